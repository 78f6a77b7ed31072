"""Block Kit as plain text a person reads in a terminal (``nextstep demo``, test failure messages)."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.slackfake.state import STATE_KEYS, all_options, initial_entry, option_text

WIDTH = 78
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
TEXT_LIKE = {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}


def mrkdwn_to_text(text: str) -> str:
    """Slack's mrkdwn made readable: links as ``text (url)``, mentions as ``@U1``, dates as their fallback."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!date^") or target.startswith("!subteam^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        shown = target[len("mailto:") :] if target.startswith("mailto:") else target
        if label and label != shown:
            return f"{label} ({shown})"
        return shown

    return _LINK.sub(replace, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any) -> str:
    """A text object (plain_text or mrkdwn) or a bare string as readable text."""
    if obj is None:
        return ""
    if isinstance(obj, dict):
        raw = str(obj.get("text", ""))
        return mrkdwn_to_text(raw) if obj.get("type") == "mrkdwn" else raw
    return mrkdwn_to_text(str(obj))


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            lines.append(indent.rstrip())
            continue
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [indent]
        )
    return lines


def _when(epoch: Any, tz: tzinfo | None) -> str:
    moment = datetime.fromtimestamp(int(epoch), tz or UTC)
    return moment.strftime("%a %d %b %Y %H:%M") + ("" if tz else " UTC")


def _rich_text(obj: Any) -> str:
    """The words of a rich_text block or value."""
    if isinstance(obj, list):
        return "".join(_rich_text(o) for o in obj)
    if not isinstance(obj, dict):
        return ""
    kind = obj.get("type")
    if kind == "text":
        return str(obj.get("text", ""))
    if kind == "link":
        return str(obj.get("text") or obj.get("url", ""))
    if kind == "user":
        return "@" + str(obj.get("user_id", ""))
    if kind == "channel":
        return "#" + str(obj.get("channel_id", ""))
    if kind == "emoji":
        return f":{obj.get('name', '')}:"
    inner = _rich_text(obj.get("elements") or [])
    if kind == "rich_text_list":
        return "\n".join("• " + _rich_text(e) for e in obj.get("elements") or [])
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        return inner + "\n"
    return inner


def _chosen(element: dict[str, Any], entry: dict[str, Any] | None, tz: tzinfo | None) -> str | None:
    """What the element currently shows as chosen, or None when nothing is."""
    if element.get("type") not in STATE_KEYS:
        return None
    entry = entry if entry is not None else initial_entry(element)
    key = STATE_KEYS[element["type"]][0]
    value = entry.get(key)
    if value in (None, "", []):
        return None
    if key == "selected_option":
        return option_text(value)
    if key == "selected_options":
        return ", ".join(option_text(o) for o in value)
    if key == "selected_date_time":
        return _when(value, tz)
    if key == "rich_text_value":
        return _rich_text(value).strip()
    if isinstance(value, list):
        return ", ".join(("@" if "user" in key else "#") + str(v) for v in value)
    if key == "selected_user":
        return "@" + str(value)
    if key in ("selected_conversation", "selected_channel"):
        return "#" + str(value)
    return str(value)


def _element(element: dict[str, Any], entry: dict[str, Any] | None = None, tz: tzinfo | None = None) -> str:
    """One interactive element on one line, as it looks before it is opened."""
    kind = element.get("type")
    placeholder = _text(element.get("placeholder"))
    chosen = _chosen(element, entry, tz)
    if kind == "button":
        return f"[{_text(element.get('text'))}{' ↗' if element.get('url') else ''}]"
    if kind == "overflow":
        return "[⋯]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("radio_buttons", "checkboxes"):
        selected = {o.get("value") for o in _selected_options(element, entry)}
        on, off = ("◉", "○") if kind == "radio_buttons" else ("☑", "☐")
        return "   ".join(
            f"{on if o.get('value') in selected else off} {option_text(o)}" for o in all_options(element)
        )
    if kind in TEXT_LIKE:
        return chosen if chosen is not None else f"<{placeholder or '…'}>"
    if kind == "datepicker":
        return f"[📅 {chosen or placeholder or 'Pick a date'}]"
    if kind == "timepicker":
        return f"[🕘 {chosen or placeholder or 'Pick a time'}]"
    if kind == "datetimepicker":
        return f"[📅 {chosen or 'Pick a date and time'}]"
    if kind in STATE_KEYS:
        return f"[{chosen or placeholder or 'Choose'} ▾]"
    return f"[{kind}]"


def _selected_options(element: dict[str, Any], entry: dict[str, Any] | None) -> list[dict[str, Any]]:
    entry = entry if entry is not None else initial_entry(element)
    if entry.get("selected_option"):
        return [entry["selected_option"]]
    return list(entry.get("selected_options") or [])


def _fields(fields: list[str], width: int) -> list[str]:
    """Section fields in two columns, as Slack lays them out, when they fit."""
    column = (width - 3) // 2
    lines: list[str] = []
    for i in range(0, len(fields), 2):
        left = fields[i].split("\n")
        right = fields[i + 1].split("\n") if i + 1 < len(fields) else []
        if max(map(len, left + right)) > column:
            for field in fields[i : i + 2]:
                lines += _wrap(field, width)
            continue
        for j in range(max(len(left), len(right))):
            cell = left[j] if j < len(left) else ""
            other = right[j] if j < len(right) else ""
            lines.append(f"{cell.ljust(column)}   {other}".rstrip())
    return lines


def render_blocks(
    blocks: list[dict[str, Any]] | None,
    *,
    width: int = WIDTH,
    state: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
    tz: tzinfo | None = None,
) -> str:
    """Blocks as text: ``state`` shows what was entered in inputs, ``errors`` the modal's error lines."""
    state = state or {}
    errors = errors or {}
    lines: list[str] = []

    def entry_of(block: dict[str, Any], element: dict[str, Any]) -> dict[str, Any] | None:
        return state.get(block.get("block_id", ""), {}).get(element.get("action_id", ""))

    previous: str | None = None
    for block in blocks or []:
        kind = block.get("type")
        # Slack spaces blocks apart; a context line stays under what it annotates, inputs stack,
        # and a header's underline or a divider is space enough.
        tight = (
            kind in ("context", "divider") or previous in ("header", "divider") or kind == previous == "input"
        )
        if previous is not None and not tight:
            lines.append("")
        previous = kind
        if kind == "header":
            title = _text(block.get("text"))
            lines += [title, "═" * min(len(title), width)]
        elif kind == "section":
            body = _wrap(_text(block.get("text")), width) if block.get("text") else []
            body += _fields([_text(f) for f in block.get("fields") or []], width)
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                shown = _element(accessory, entry_of(block, accessory), tz)
                if body and len(body[-1]) + len(shown) + 2 <= width:
                    body[-1] = f"{body[-1]}  {shown}"
                else:
                    body.append(f"  {shown}")
            lines += body
        elif kind == "context":
            parts = [
                f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else _text(e)
                for e in block.get("elements") or []
            ]
            lines += _wrap(" · ".join(parts), width - 2, indent="  › ")
        elif kind == "divider":
            lines.append("─" * width)
        elif kind == "actions":
            controls = [_element(e, entry_of(block, e), tz) for e in block.get("elements") or []]
            lines += _wrap(" ".join(controls), width)
        elif kind == "input":
            element = block.get("element") or {}
            label = _text(block.get("label"))
            optional = " (optional)" if block.get("optional") else ""
            shown = _element(element, entry_of(block, element), tz)
            if element.get("type") in ("radio_buttons", "checkboxes"):
                lines.append(f"{label}{optional}:")
                lines += _wrap(shown, width, indent="  ")
            else:
                lines += _wrap(f"{label}{optional}: {shown}", width)
            if block.get("hint"):
                lines += _wrap(_text(block["hint"]), width, indent="  ")
            if block.get("block_id") in errors:
                lines.append(f"  ⚠ {errors[block['block_id']]}")
        elif kind == "image":
            title = f" — {_text(block['title'])}" if block.get("title") else ""
            lines.append(f"[image: {block.get('alt_text', '')}]{title}")
        elif kind == "rich_text":
            lines += _wrap(_rich_text(block).strip("\n"), width)
        elif kind == "markdown":
            lines += _wrap(str(block.get("text", "")), width)
        elif kind in ("video", "file"):
            lines.append(f"[{kind}: {_text(block.get('title')) or block.get('external_id', '')}]")
        else:
            lines.append(f"[{kind}]")
    return "\n".join(lines)


def render_view(
    view: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    width: int = WIDTH,
    tz: tzinfo | None = None,
) -> str:
    """A modal or Home tab: its title, its blocks with what was entered so far, its buttons."""
    title = _text(view.get("title")) or ("App Home" if view.get("type") == "home" else "Modal")
    top = f"┌─ {title} " + "─" * max(0, width - len(title) - 4)
    body = render_blocks(
        view.get("blocks"),
        width=width - 2,
        state=(view.get("state") or {}).get("values"),
        errors=errors,
        tz=tz,
    )
    lines = [top] + [f"│ {line}".rstrip() for line in body.split("\n")] if body else [top]
    buttons = []
    if view.get("type") == "modal":
        buttons.append(f"[{_text(view.get('close')) or 'Cancel'}]")
        if view.get("submit"):
            buttons.append(f"[{_text(view['submit'])}]")
    footer = " ".join(buttons)
    lines.append("└" + "─" * max(0, width - len(footer) - 2) + (f" {footer}" if footer else "─"))
    return "\n".join(lines)


def render_message(message: dict[str, Any], *, width: int = WIDTH, tz: tzinfo | None = None) -> str:
    """A message as the person reads it: its blocks (or its text when it has none) and attachments."""
    if message.get("blocks"):
        text = render_blocks(message["blocks"], width=width, tz=tz)
    else:
        text = "\n".join(_wrap(mrkdwn_to_text(str(message.get("text", ""))), width))
    parts = [text] if text else []
    for attachment in message.get("attachments") or []:
        inner = (
            render_blocks(attachment["blocks"], width=width - 2, tz=tz)
            if attachment.get("blocks")
            else "\n".join(
                _wrap(
                    mrkdwn_to_text(str(attachment.get("text") or attachment.get("fallback", ""))), width - 2
                )
            )
        )
        parts.append("\n".join(f"┃ {line}".rstrip() for line in inner.split("\n")))
    if message.get("edited"):
        parts.append("(edited)")
    return "\n".join(parts)
