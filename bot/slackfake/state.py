"""Block Kit element state as Slack keeps it in ``view.state.values``.

Shared by the fake (which stores each view's state) and the simulated user (who
changes it), so both agree on the shape of ``{block_id: {action_id: {...}}}``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

# element type -> (key in state and in block_actions, key of its initial value in the element)
STATE_KEYS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "rich_text_input": ("rich_text_value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}

TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
SINGLE_OPTION = {"static_select", "external_select", "radio_buttons"}
MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
EXTERNAL = {"external_select", "multi_external_select"}


def is_stateful(element: dict[str, Any]) -> bool:
    return element.get("type") in STATE_KEYS


def iter_elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every interactive element with the block holding it: input, actions and section accessory."""
    for block in blocks or []:
        kind = block.get("type")
        if kind == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]
        elif kind == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict):
                    yield block, element
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            accessory = block["accessory"]
            if accessory.get("type") not in ("image",):
                yield block, accessory


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def initial_entry(element: dict[str, Any]) -> dict[str, Any]:
    """The state entry of an element the person has not touched: its initial value, or empty."""
    kind = element["type"]
    key, initial_key = STATE_KEYS[kind]
    initial = copy.deepcopy(element.get(initial_key))
    if kind in MULTI_OPTION or kind.startswith("multi_"):
        value: Any = initial if initial is not None else []
    elif kind == "number_input" and initial is not None:
        value = str(initial)
    elif kind == "rich_text_input" and isinstance(initial, str):
        value = _rich_text(initial)
    else:
        value = initial
    entry: dict[str, Any] = {"type": kind, key: value}
    if kind == "timepicker" and element.get("timezone"):
        entry["timezone"] = element["timezone"]
    return entry


def initial_values(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``state.values`` of a freshly opened view."""
    values: dict[str, dict[str, Any]] = {}
    for block, element in iter_elements(blocks):
        if is_stateful(element) and block.get("block_id") and element.get("action_id"):
            values.setdefault(block["block_id"], {})[element["action_id"]] = initial_entry(element)
    return values


def merge_values(old: dict[str, dict[str, Any]], blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``state.values`` after the view is replaced by ``blocks``, as Slack does it.

    What the person entered survives for every (block_id, action_id) still present
    with the same element type; new elements start from their initial value (an
    app must change the block_id to force a new initial value); the rest is dropped.
    """
    values: dict[str, dict[str, Any]] = {}
    for block, element in iter_elements(blocks):
        if not (is_stateful(element) and block.get("block_id") and element.get("action_id")):
            continue
        block_id, action_id = block["block_id"], element["action_id"]
        previous = old.get(block_id, {}).get(action_id)
        if previous is not None and previous.get("type") == element["type"]:
            entry = copy.deepcopy(previous)
        else:
            entry = initial_entry(element)
        values.setdefault(block_id, {})[action_id] = entry
    return values


def all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The options an element offers, option groups flattened."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def option_text(option: dict[str, Any]) -> str:
    text = option.get("text")
    if isinstance(text, dict):
        return str(text.get("text", ""))
    return str(text or "")
