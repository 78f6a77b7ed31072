"""Small Block Kit pieces shared by the builders: escaping, Slack's length limits, plain-dict blocks."""

from __future__ import annotations

from typing import Any

# Slack's limits (https://docs.slack.dev/reference/block-kit).
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
CONTEXT_TEXT_LIMIT = 3000
MAX_BLOCKS = 50
MAX_ACTIONS_ELEMENTS = 25

Block = dict[str, Any]

_ELLIPSIS = "\u2026"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup: &, < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten plain text to at most `limit` characters, ending with "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + _ELLIPSIS


def fit(mrkdwn: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Shorten already-escaped mrkdwn to `limit` characters without cutting an &entity; in half."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + _ELLIPSIS


def user_text(text: str, limit: int) -> str:
    """A person's words made safe for mrkdwn: shortened to `limit` characters first, then escaped."""
    return escape(clip(text, limit))


def plain(text: str, limit: int | None = None, emoji: bool = True) -> Block:
    return {"type": "plain_text", "text": clip(text, limit) if limit else text, "emoji": emoji}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> Block:
    """A mrkdwn text object; `text` must already be escaped."""
    return {"type": "mrkdwn", "text": fit(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_LIMIT)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """A mrkdwn section; `text` must already be escaped."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    """A context block of mrkdwn texts (already escaped); Slack allows at most 10."""
    block: Block = {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT_LIMIT) for t in texts[:10]]}
    if block_id:
        block["block_id"] = block_id
    return block


def actions(elements: list[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:MAX_ACTIONS_ELEMENTS]}
    if block_id:
        block["block_id"] = block_id
    return block


# Slack's limit for a button's accessibility_label.
ACCESSIBILITY_LABEL_LIMIT = 75


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
    label: str | None = None,
) -> Block:
    """A button; ``label`` is what a screen reader says instead of ``text``: give one whenever the
    same button repeats in a message (three "Log a meeting"), naming what this one is for."""
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT_LIMIT), "action_id": action_id}
    if label is not None:
        element["accessibility_label"] = clip(label, ACCESSIBILITY_LABEL_LIMIT)
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    return element
