"""Slack's mrkdwn as text a person reads in a terminal: links, mentions, dates, marks and emoji.

``markup="slack"`` keeps the marks as written (tests, failure messages); ``markup="terminal"``
draws them as Slack would (``nextstep demo``). ``render.py`` lays Block Kit out with these.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import emoji

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")

Markup = Literal["slack", "terminal"]
QUOTE = "▎ "  # Slack draws a bar left of a quote
CODE = "┆ "  # and a box around a code block
BULLETS = ("• ", "◦ ", "▪ ", "- ")
# Slack's marks open after a space or punctuation and close before one, around text that does not
# start or end with a space (so 2*3*4, snake_case and a~b stay as they are).
_MARKS = {
    mark: re.compile(
        rf"(?<![^\W_])(?<!{re.escape(mark)}){re.escape(mark)}(?=\S)([^{re.escape(mark)}\n]*?\S)"
        rf"{re.escape(mark)}(?!{re.escape(mark)})(?![^\W_])"
    )
    for mark in "*_~"
}
_EMOJI = re.compile(r"(?<![\w:]):([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*|\+1|-1):(?:skin-tone-[2-6]:)?(?![\w])")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_SLOT = re.compile("\x00(\\d+)\x00")
_STRIKE = "\u0336"  # combining long stroke overlay: t̶h̶i̶s̶

# Slack's own names for a few emoji the library knows by another alias.
_SLACK_EMOJI = {"first_place_medal": "1st_place_medal", "second_place_medal": "2nd_place_medal"}
_SLACK_EMOJI["third_place_medal"] = "3rd_place_medal"


def emoji_symbol(name: str) -> str:
    """``large_green_circle`` as 🟢; a code no emoji answers to (a workspace's custom one) as (name)."""
    for candidate in (name, _SLACK_EMOJI.get(name, name), name.removeprefix("large_")):
        shown = emoji.emojize(f":{candidate}:", language="alias")
        if shown != f":{candidate}:":
            return shown
    return f"({name.replace('_', ' ')})"


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _link(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@") or target.startswith("#"):
        return target[0] + (label or names.get(target[1:]) or target[1:])
    if target.startswith("!date^") or target.startswith("!subteam^"):
        return label or target
    if target.startswith("!"):
        return "@" + target[1:]
    shown = target[len("mailto:") :] if target.startswith("mailto:") else target
    if label and label != shown:
        return f"{label} ({shown})"
    return shown


def mrkdwn_to_text(text: str, *, markup: Markup = "slack", names: Mapping[str, str] | None = None) -> str:
    """Slack's mrkdwn made readable: links as ``text (url)``, mentions as ``@name``, dates as their fallback.

    With ``markup="terminal"`` the marks go too: bold, italics and inline code as their text,
    strikethrough struck through, quotes and code blocks behind a bar, ``:emoji:`` as the emoji.
    """
    names = names or {}
    if markup == "slack":
        return _unescape(_LINK.sub(lambda m: _link(m, names), text))

    kept: list[str] = []  # what no later rule may touch, behind a \x00n\x00 slot

    def keep(shown: str) -> str:
        kept.append(shown)
        return f"\x00{len(kept) - 1}\x00"

    def code_block(match: re.Match[str]) -> str:
        body = "\n".join(CODE + line for line in _unescape(match.group(1)).split("\n"))
        before = "" if match.start() == 0 or text[match.start() - 1] == "\n" else "\n"
        after = "" if match.end() == len(text) or text[match.end()] == "\n" else "\n"
        return before + keep(body) + after

    text = _CODE_BLOCK.sub(code_block, text)
    text = _INLINE_CODE.sub(lambda m: keep(_unescape(m.group(1))), text)
    text = _LINK.sub(lambda m: keep(_unescape(_link(m, names))), text)
    text = _EMOJI.sub(lambda m: emoji_symbol(m.group(1)), text)
    text = _MARKS["*"].sub(lambda m: m.group(1), text)
    text = _MARKS["_"].sub(lambda m: m.group(1), text)
    text = _MARKS["~"].sub(lambda m: "".join(c + _STRIKE for c in m.group(1)), text)
    lines, quoted = [], False
    for line in text.split("\n"):
        for mark in (">>>", "&gt;&gt;&gt;"):
            if not quoted and line.startswith(mark):
                quoted, line = True, line[len(mark) :].lstrip(" ")
        for mark in (">", "&gt;"):
            if not quoted and line.startswith(mark):
                line = QUOTE + line[len(mark) :].removeprefix(" ")
        lines.append(QUOTE + line if quoted else line)
    text = _unescape("\n".join(lines))
    return _SLOT.sub(lambda m: kept[int(m.group(1))], text)


@dataclass(frozen=True)
class Style:
    """How text objects are shown: see the module's docstring."""

    markup: Markup = "slack"
    names: Mapping[str, str] = field(default_factory=dict)

    def mrkdwn(self, text: str) -> str:
        return mrkdwn_to_text(text, markup=self.markup, names=self.names)

    def plain(self, text: str) -> str:
        """plain_text: Slack shows its :emoji: codes as emoji (``"emoji": true``, the default)."""
        if self.markup == "slack":
            return text
        return _EMOJI.sub(lambda m: emoji_symbol(m.group(1)), text)


SLACK = Style()


def text_of(obj: Any, style: Style = SLACK) -> str:
    """A text object (plain_text or mrkdwn) or a bare string as readable text."""
    if obj is None:
        return ""
    if isinstance(obj, dict):
        raw = str(obj.get("text", ""))
        if obj.get("type") == "mrkdwn":
            return style.mrkdwn(raw)
        return style.plain(raw) if obj.get("emoji", True) else raw
    return style.mrkdwn(str(obj))


def _indents(line: str) -> tuple[str, str, str]:
    """A line's bar (quote or code), its text, and the hanging indent a bullet's wrapped lines take."""
    bar = next((b for b in (QUOTE, CODE) if line.startswith(b)), "")
    body = line[len(bar) :]
    bullet = next((b for b in BULLETS if body.lstrip(" ").startswith(b)), None)
    hang = " " * (len(body) - len(body.lstrip(" ")) + len(bullet)) if bullet else ""
    return bar, body, hang


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            lines.append(indent.rstrip())
            continue
        bar, body, hang = _indents(line)
        lines.extend(
            textwrap.wrap(
                body,
                width=width,
                initial_indent=indent + bar,
                subsequent_indent=indent + bar + hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [(indent + bar).rstrip()]
        )
    return lines
