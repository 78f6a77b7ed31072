"""Is this Slack payload shaped as Slack shapes it? Checked before anything reads it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

# The fields the app and Bolt read, and the JSON type each must have when present.
_SHAPES: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "user": dict,
    "team": (dict, type(None)),
    "view": dict,
    "actions": list,
    "container": dict,
    "channel": (dict, type(None)),
    "message": dict,
    "event": dict,
    "trigger_id": str,
}
_VIEW_SHAPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "state": dict,
    "blocks": list,
    "callback_id": str,
    "private_metadata": str,
    "hash": str,
}


def decode(body: bytes, content_type: str) -> Any:
    """The payload in a request body: JSON (events), ``payload=`` JSON (interactivity), or a form (commands)."""
    text = body.decode("utf-8")
    if content_type.startswith("application/json"):
        return json.loads(text)
    form = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    return json.loads(form["payload"]) if "payload" in form else form


def problem(body: bytes, content_type: str) -> str | None:
    """Why the payload cannot be from Slack, or None when it is well-formed enough to handle."""
    try:
        payload = decode(body, content_type)
    except (UnicodeDecodeError, ValueError):
        return "body is not UTF-8 JSON or a form"
    if not isinstance(payload, dict):
        return "payload is not an object"
    if not payload:
        return "empty payload"
    for key, kind in _SHAPES.items():
        if key in payload and not isinstance(payload[key], kind):
            return f"{key} has the wrong type"
    if isinstance(payload.get("actions"), list) and not all(isinstance(a, dict) for a in payload["actions"]):
        return "actions are not objects"
    view = payload.get("view")
    if isinstance(view, dict):
        for key, kind in _VIEW_SHAPES.items():
            if key in view and not isinstance(view[key], kind):
                return f"view.{key} has the wrong type"
    if payload.get("type") in ("view_submission", "view_closed") and not isinstance(view, dict):
        return "a view payload without a view"
    if payload.get("type") in ("view_submission", "block_actions", "block_suggestion") and not isinstance(
        payload.get("user"), dict
    ):
        return "an interaction without a user"
    return None
