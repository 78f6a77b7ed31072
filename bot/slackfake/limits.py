"""The Block Kit limits Slack enforces, so an app that breaks them fails in tests, not in production.

Only the limits an app is likely to hit are checked; each problem is reported
the way Slack does in ``response_metadata.messages``.
"""

from __future__ import annotations

from typing import Any

from bot.slackfake.state import STATE_KEYS, all_options

BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "rich_text",
    "section",
    "video",
    "markdown",
}


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def _check_len(problems: list[str], value: Any, limit: int, pointer: str) -> None:
    if value is not None and len(_text(value)) > limit:
        problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]")


def _check_option(problems: list[str], option: Any, pointer: str) -> None:
    if not isinstance(option, dict) or "value" not in option or "text" not in option:
        problems.append(f"[ERROR] an option needs text and value [json-pointer:{pointer}]")
        return
    _check_len(problems, option["text"], 75, f"{pointer}/text/text")
    _check_len(problems, option["value"], 150, f"{pointer}/value")


def _check_element(problems: list[str], element: dict[str, Any], pointer: str) -> None:
    kind = element.get("type")
    if not kind:
        problems.append(f"[ERROR] missing required field: type [json-pointer:{pointer}]")
        return
    _check_len(problems, element.get("action_id"), 255, f"{pointer}/action_id")
    if kind == "button":
        if "text" not in element:
            problems.append(f"[ERROR] missing required field: text [json-pointer:{pointer}]")
        _check_len(problems, element.get("text"), 75, f"{pointer}/text/text")
        _check_len(problems, element.get("value"), 2000, f"{pointer}/value")
        _check_len(problems, element.get("url"), 3000, f"{pointer}/url")
    if kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"):
        options = all_options(element)
        if not options:
            problems.append(f"[ERROR] must provide options or option_groups [json-pointer:{pointer}]")
        if len(element.get("options") or []) > 100:
            problems.append(f"[ERROR] no more than 100 items allowed [json-pointer:{pointer}/options]")
        for i, option in enumerate(element.get("options") or []):
            _check_option(problems, option, f"{pointer}/options/{i}")
        values = [o.get("value") for o in options if isinstance(o, dict)]
        initial = element.get("initial_option")
        if isinstance(initial, dict) and initial.get("value") not in values:
            problems.append(
                f"[ERROR] initial_option must match one of the options [json-pointer:{pointer}/initial_option]"
            )
        for i, option in enumerate(element.get("initial_options") or []):
            if isinstance(option, dict) and option.get("value") not in values:
                problems.append(
                    "[ERROR] initial_options must match the options "
                    f"[json-pointer:{pointer}/initial_options/{i}]"
                )
    if kind == "plain_text_input":
        _check_len(problems, element.get("initial_value"), 3000, f"{pointer}/initial_value")
    if kind in STATE_KEYS or kind in ("button", "overflow"):
        _check_len(problems, element.get("placeholder"), 150, f"{pointer}/placeholder/text")


def check_blocks(blocks: Any, *, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Problems with a list of blocks, empty when Slack would accept it."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        here = f"{pointer}/{i}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            problems.append(f"[ERROR] unsupported type [json-pointer:{here}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            _check_len(problems, block_id, 255, f"{here}/block_id")
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id: {block_id} [json-pointer:{here}/block_id]")
            block_ids.add(block_id)
        kind = block["type"]
        if kind == "header":
            _check_len(problems, block.get("text"), 150, f"{here}/text/text")
        elif kind == "section":
            if not block.get("text") and not block.get("fields"):
                problems.append(f"[ERROR] must provide text or fields [json-pointer:{here}]")
            _check_len(problems, block.get("text"), 3000, f"{here}/text/text")
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"[ERROR] no more than 10 items allowed [json-pointer:{here}/fields]")
            for j, field in enumerate(fields):
                _check_len(problems, field, 2000, f"{here}/fields/{j}/text")
            if isinstance(block.get("accessory"), dict):
                _check_element(problems, block["accessory"], f"{here}/accessory")
        elif kind == "context":
            if len(block.get("elements") or []) > 10:
                problems.append(f"[ERROR] no more than 10 items allowed [json-pointer:{here}/elements]")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > 25:
                problems.append(f"[ERROR] must hold 1 to 25 elements [json-pointer:{here}/elements]")
            action_ids: set[str] = set()
            for j, element in enumerate(elements):
                if isinstance(element, dict):
                    _check_element(problems, element, f"{here}/elements/{j}")
                    action_id = element.get("action_id")
                    if action_id is not None:
                        if action_id in action_ids:
                            problems.append(
                                f"[ERROR] duplicate action_id: {action_id} [json-pointer:{here}/elements/{j}]"
                            )
                        action_ids.add(action_id)
        elif kind == "input":
            if "label" not in block:
                problems.append(f"[ERROR] missing required field: label [json-pointer:{here}]")
            _check_len(problems, block.get("label"), 2000, f"{here}/label/text")
            if not isinstance(block.get("element"), dict):
                problems.append(f"[ERROR] missing required field: element [json-pointer:{here}]")
            else:
                _check_element(problems, block["element"], f"{here}/element")
    return problems


def check_view(view: Any, *, home: bool) -> list[str]:
    """Problems with a modal or Home tab view, empty when Slack would accept it."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view [json-pointer:/view]"]
    expected = "home" if home else "modal"
    if view.get("type") != expected:
        return [f"[ERROR] type must be {expected} [json-pointer:/view/type]"]
    problems = check_blocks(view.get("blocks"), max_blocks=100, pointer="/view/blocks")
    if not home:
        if "title" not in view:
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            _check_len(problems, view.get(key), 24, f"/view/{key}/text")
        has_input = any(b.get("type") == "input" for b in view.get("blocks") or [] if isinstance(b, dict))
        if has_input and not view.get("submit"):
            problems.append(
                "[ERROR] must provide a submit property when using input blocks [json-pointer:/view]"
            )
    _check_len(problems, view.get("callback_id"), 255, "/view/callback_id")
    _check_len(problems, view.get("private_metadata"), 3000, "/view/private_metadata")
    _check_len(problems, view.get("external_id"), 255, "/view/external_id")
    return problems
