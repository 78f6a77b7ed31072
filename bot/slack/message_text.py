"""A Slack message's text as a person reads it: what the message shortcut puts in the notes."""

from __future__ import annotations

import html
import re

# <@U123|maria>, <#C123|general>, <!here>, <!subteam^S1|@sales>, <https://x|label>, <mailto:a@b|a@b>
_ANGLE = re.compile(r"<([^<>]*)>")
_BLANK_LINES = re.compile(r"\n{3,}")


def _token(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in ("here", "channel", "everyone"):
            return f"@{name}"
        return label or (f"@{name}" if name else "")
    if label:  # a link with words: the words, then where it goes, as a person would paste it
        address = target.removeprefix("mailto:")
        return label if label == address else f"{label} ({address})"
    return target.removeprefix("mailto:")


def plain_message_text(text: str | None, limit: int) -> str:
    """``text`` without Slack's markup (mentions, links, entities), at most ``limit`` characters."""
    if not text:
        return ""
    cleaned = _ANGLE.sub(lambda m: _token(m.group(1)), text)
    cleaned = html.unescape(cleaned)  # Slack escapes only &, < and >; unescape after the <…> are read
    cleaned = _BLANK_LINES.sub("\n\n", cleaned.replace("\r\n", "\n")).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "\u2026"
