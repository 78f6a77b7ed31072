"""Block Kit as plain text a person reads in a terminal (``nextstep demo``, test failure messages).

Two ways to show Slack's mrkdwn:
- ``markup="slack"`` (the default, for tests and failure messages): links, mentions and dates are
  resolved, the formatting marks (``*bold*``, ``_italics_``, ``>`` quotes…) are kept as written;
- ``markup="terminal"`` (``nextstep demo``): everything becomes what a terminal can show, as Slack
  would draw it: marks dropped, quotes and code blocks behind a bar, ``:emoji:`` codes as the
  emoji, ``<@U123>`` as the person's name when ``names`` knows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.slackfake.mrkdwn import (
    CODE,
    QUOTE,
    SLACK,
    Markup,
    Style,
    emoji_symbol,
    mrkdwn_to_text,
    text_of,
    wrap,
)
from bot.slackfake.state import STATE_KEYS, all_options, initial_entry, option_text

WIDTH = 78
__all__ = ["emoji_symbol", "mrkdwn_to_text", "render_blocks", "render_message", "render_view"]

TEXT_LIKE = {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}


def _when(epoch: Any, tz: tzinfo | None) -> str:
    moment = datetime.fromtimestamp(int(epoch), tz or UTC)
    return moment.strftime("%a %d %b %Y %H:%M") + ("" if tz else " UTC")


def _rich_text(obj: Any, style: Style = SLACK) -> str:
    """The words of a rich_text block or value."""
    if isinstance(obj, list):
        return "".join(_rich_text(o, style) for o in obj)
    if not isinstance(obj, dict):
        return ""
    kind = obj.get("type")
    if kind == "text":
        return str(obj.get("text", ""))
    if kind == "link":
        return str(obj.get("text") or obj.get("url", ""))
    if kind == "user":
        user = str(obj.get("user_id", ""))
        return "@" + style.names.get(user, user)
    if kind == "channel":
        channel = str(obj.get("channel_id", ""))
        return "#" + style.names.get(channel, channel)
    if kind == "emoji":
        name = str(obj.get("name", ""))
        return emoji_symbol(name) if style.markup == "terminal" else f":{name}:"
    inner = _rich_text(obj.get("elements") or [], style)
    if kind == "rich_text_list":
        return "\n".join("• " + _rich_text(e, style) for e in obj.get("elements") or [])
    if kind in ("rich_text_quote", "rich_text_preformatted") and style.markup == "terminal":
        bar = QUOTE if kind == "rich_text_quote" else CODE
        return "\n".join(bar + line for line in inner.strip("\n").split("\n")) + "\n"
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        return inner + "\n"
    return inner


def _chosen(
    element: dict[str, Any], entry: dict[str, Any] | None, tz: tzinfo | None, style: Style = SLACK
) -> str | None:
    """What the element currently shows as chosen, or None when nothing is."""
    if element.get("type") not in STATE_KEYS:
        return None
    entry = entry if entry is not None else initial_entry(element)
    key = STATE_KEYS[element["type"]][0]
    value = entry.get(key)
    if value in (None, "", []):
        return None
    if key == "selected_option":
        return style.plain(option_text(value))
    if key == "selected_options":
        return ", ".join(style.plain(option_text(o)) for o in value)
    if key == "selected_date_time":
        return _when(value, tz)
    if key == "rich_text_value":
        return _rich_text(value, style).strip()
    if isinstance(value, list):
        return ", ".join(("@" if "user" in key else "#") + style.names.get(str(v), str(v)) for v in value)
    if key == "selected_user":
        return "@" + style.names.get(str(value), str(value))
    if key in ("selected_conversation", "selected_channel"):
        return "#" + style.names.get(str(value), str(value))
    return str(value)


def _element(
    element: dict[str, Any],
    entry: dict[str, Any] | None = None,
    tz: tzinfo | None = None,
    style: Style = SLACK,
) -> str:
    """One interactive element on one line, as it looks before it is opened."""
    kind = element.get("type")
    placeholder = text_of(element.get("placeholder"), style)
    chosen = _chosen(element, entry, tz, style)
    if kind == "button":
        return f"[{text_of(element.get('text'), style)}{' ↗' if element.get('url') else ''}]"
    if kind == "overflow":
        return "[⋯]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("radio_buttons", "checkboxes"):
        selected = {o.get("value") for o in _selected_options(element, entry)}
        on, off = ("◉", "○") if kind == "radio_buttons" else ("☑", "☐")
        return "   ".join(
            f"{on if o.get('value') in selected else off} {style.plain(option_text(o))}"
            for o in all_options(element)
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
            for field_text in fields[i : i + 2]:
                lines += wrap(field_text, width)
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
    markup: Markup = "slack",
    names: Mapping[str, str] | None = None,
) -> str:
    """Blocks as text: ``state`` shows what was entered in inputs, ``errors`` the modal's error lines.

    ``markup`` and ``names``: how mrkdwn is shown (see the module's docstring).
    """
    state = state or {}
    errors = errors or {}
    style = Style(markup, names or {})
    lines: list[str] = []

    def text(obj: Any) -> str:
        return text_of(obj, style)

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
            title = text(block.get("text"))
            lines += [title, "═" * min(len(title), width)]
        elif kind == "section":
            body = wrap(text(block.get("text")), width) if block.get("text") else []
            body += _fields([text(f) for f in block.get("fields") or []], width)
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                shown = _element(accessory, entry_of(block, accessory), tz, style)
                if body and len(body[-1]) + len(shown) + 2 <= width:
                    body[-1] = f"{body[-1]}  {shown}"
                else:
                    body.append(f"  {shown}")
            lines += body
        elif kind == "context":
            parts = [
                f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else text(e)
                for e in block.get("elements") or []
            ]
            lines += wrap(" · ".join(parts), width - 2, indent="  › ")
        elif kind == "divider":
            lines.append("─" * width)
        elif kind == "actions":
            controls = [_element(e, entry_of(block, e), tz, style) for e in block.get("elements") or []]
            lines += wrap(" ".join(controls), width)
        elif kind == "input":
            element = block.get("element") or {}
            label = text(block.get("label"))
            optional = " (optional)" if block.get("optional") else ""
            shown = _element(element, entry_of(block, element), tz, style)
            if element.get("type") in ("radio_buttons", "checkboxes"):
                lines.append(f"{label}{optional}:")
                lines += wrap(shown, width, indent="  ")
            else:
                lines += wrap(f"{label}{optional}: {shown}", width)
            if block.get("hint"):
                lines += wrap(text(block["hint"]), width, indent="  ")
            if block.get("block_id") in errors:
                lines.append(f"  ⚠ {errors[block['block_id']]}")
        elif kind == "image":
            title = f" — {text(block['title'])}" if block.get("title") else ""
            lines.append(f"[image: {block.get('alt_text', '')}]{title}")
        elif kind == "rich_text":
            lines += wrap(_rich_text(block, style).strip("\n"), width)
        elif kind == "markdown":
            lines += wrap(str(block.get("text", "")), width)
        elif kind in ("video", "file"):
            lines.append(f"[{kind}: {text(block.get('title')) or block.get('external_id', '')}]")
        else:
            lines.append(f"[{kind}]")
    return "\n".join(lines)


def render_view(
    view: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    width: int = WIDTH,
    tz: tzinfo | None = None,
    markup: Markup = "slack",
    names: Mapping[str, str] | None = None,
) -> str:
    """A modal or Home tab: its title, its blocks with what was entered so far, its buttons."""
    style = Style(markup, names or {})
    title = text_of(view.get("title"), style) or ("App Home" if view.get("type") == "home" else "Modal")
    top = f"┌─ {title} " + "─" * max(0, width - len(title) - 4)
    body = render_blocks(
        view.get("blocks"),
        width=width - 2,
        state=(view.get("state") or {}).get("values"),
        errors=errors,
        tz=tz,
        markup=markup,
        names=names,
    )
    lines = [top] + [f"│ {line}".rstrip() for line in body.split("\n")] if body else [top]
    buttons = []
    if view.get("type") == "modal":
        buttons.append(f"[{text_of(view.get('close'), style) or 'Cancel'}]")
        if view.get("submit"):
            buttons.append(f"[{text_of(view['submit'], style)}]")
    footer = " ".join(buttons)
    lines.append("└" + "─" * max(0, width - len(footer) - 2) + (f" {footer}" if footer else "─"))
    return "\n".join(lines)


def render_message(
    message: dict[str, Any],
    *,
    width: int = WIDTH,
    tz: tzinfo | None = None,
    markup: Markup = "slack",
    names: Mapping[str, str] | None = None,
) -> str:
    """A message as the person reads it: its blocks (or its text when it has none) and attachments."""
    style = Style(markup, names or {})
    if message.get("blocks"):
        text = render_blocks(message["blocks"], width=width, tz=tz, markup=markup, names=names)
    else:
        text = "\n".join(wrap(style.mrkdwn(str(message.get("text", ""))), width))
    parts = [text] if text else []
    for attachment in message.get("attachments") or []:
        inner = (
            render_blocks(attachment["blocks"], width=width - 2, tz=tz, markup=markup, names=names)
            if attachment.get("blocks")
            else "\n".join(
                wrap(style.mrkdwn(str(attachment.get("text") or attachment.get("fallback", ""))), width - 2)
            )
        )
        parts.append("\n".join(f"┃ {line}".rstrip() for line in inner.split("\n")))
    if message.get("edited"):
        parts.append("(edited)")
    return "\n".join(parts)
