"""The one parse of a Slack request body: its real form, size and depth limits, cleaned text, Slack's shapes.

Run once at the edge (handlers.web), after the signature check and before anything else reads
the body. What comes out is a plain dict shaped as Slack shapes that kind of request, with
every string cleaned of what a database or a person cannot take; it is handed to Bolt as it is,
so Bolt reads it the same way whatever the body first looked like, and does not parse it again.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from bot.slack import ids

# Slack's payloads are a few kB (a full modal's view, some tens). More is not from Slack.
MAX_BODY = 1024 * 1024
# Slack's deepest payloads (a view's state: view > state > values > block > action > option) nest
# about a dozen levels; rich text in a message a few more. JSON deeper than this is refused before
# it is parsed, so no parser or walker below can run out of stack.
MAX_DEPTH = 48
# Slack sends a handful of form fields; a form with many more is not Slack's.
MAX_FORM_FIELDS = 100
# Slack caps a slash command's text at 4,000 characters and a typeahead's query well below 150.
MAX_COMMAND_TEXT = 4000
MAX_QUERY = 150

# NUL and the other C0/C1 controls except tab, newline and carriage return, and lone surrogates
# (JSON can spell "\ud800"; PostgreSQL refuses NUL and Python cannot encode a lone surrogate).
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# JSON escapes that decode to one of those: \b, \f, \u0000-\u001f, \u007f-\u009f, surrogates. (An
# escaped backslash before a "b" matches too: that only sends the payload the slower, cleaning way.)
_UNWANTED_ESCAPE = re.compile(r"\\(?:[bf]|u(?:00[01]|007f|00[89]|d[89a-f]))", re.IGNORECASE)
# team_id=T1, "team_id": "T1" or "team": {"id": "T1"
_TEAM_IN_BODY = re.compile(r'team(?:_id"?\s*[:=]|"\s*:\s*\{\s*"id"\s*:)\s*"?([TE][A-Z0-9_]{1,31})\b')


class Malformed(ValueError):
    """A signed body that is not a Slack payload; the message says why (no body content in it)."""


def clean_text(text: str) -> str:
    """The text without NUL, lone surrogates and control characters other than tab and newlines."""
    return _UNWANTED.sub("", text)


def parse(body: bytes, content_type: str) -> dict[str, Any]:
    """The payload in a signed request body, checked against Slack's shapes; raises Malformed."""
    if len(body) > MAX_BODY:
        raise Malformed("body over 1 MiB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("body is not UTF-8") from None
    media = content_type.split(";", 1)[0].strip().lower()
    json_text: str | None = None  # the JSON the payload was read from (None: a plain form)
    if media == "application/json":
        json_text = text
        payload = _json(text)
    elif media == "application/x-www-form-urlencoded":
        form = _form(text)
        if "payload" in form:  # interactivity: the JSON payload in one field
            if len(form) != 1:
                raise Malformed("a payload field beside other fields")
            json_text = form["payload"]
            payload = _json(json_text)
        else:
            payload = form
    else:
        raise Malformed("content type is neither JSON nor a form")
    if not isinstance(payload, dict) or not payload:
        raise Malformed("payload is not a non-empty object")
    if json_text is None or _UNWANTED.search(json_text) or _UNWANTED_ESCAPE.search(json_text):
        payload = _cleaned(payload)
    else:  # the usual case: nothing in the JSON can decode to what clean_text removes
        _check_depth(payload)
    why = _shape_problem(payload)
    if why is not None:
        raise Malformed(why)
    # Capped as Slack caps them: longer is not Slack's, and the rest is still the person's words.
    if "command" in payload and isinstance(payload.get("text"), str):
        payload["text"] = payload["text"][:MAX_COMMAND_TEXT]
    if payload.get("type") == "block_suggestion":
        payload["value"] = payload["value"][:MAX_QUERY]
    return payload


def is_ssl_check(body: bytes, content_type: str) -> bool:
    """Slack's SSL check (``ssl_check=1``), answered with an empty 200 and nothing else."""
    if not content_type.lower().startswith("application/x-www-form-urlencoded") or len(body) > 1024:
        return False
    try:
        form = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True, max_num_fields=5))
    except (UnicodeDecodeError, ValueError):
        return False
    return form.get("ssl_check") == "1" and set(form) <= {"ssl_check", "token"}


def team_named(body: bytes) -> str | None:
    """The workspace id a body names, for the log line about a body that could not be parsed."""
    found = _TEAM_IN_BODY.search(unquote_plus(body[:65536].decode("utf-8", "replace")))
    return found.group(1) if found else None


def _form(text: str) -> dict[str, str]:
    """The fields of a form body, as ``parse_qsl(text, keep_blank_values=True)`` reads them."""
    if text and text.count("&") + 1 > MAX_FORM_FIELDS:
        raise Malformed("too many form fields")
    form: dict[str, str] = {}
    for field in text.split("&") if text else ():
        if not field:
            continue
        name, _, value = field.partition("=")
        name = unquote_fast(name)
        if name in form:
            raise Malformed("a form field given twice")
        form[name] = unquote_fast(value)
    return form


# Percent-decoding is a Python loop over every escape in urllib: an interactivity payload is
# JSON with a %22 for each quote (a /meeting submission, about 1,400 escapes). binascii's
# quoted-printable decoder does the same in C once "%" reads "=": it is used when the text
# can only mean one thing to both (ASCII, no "=", no line breaks, every "%" a full escape).
_TO_QP = bytes.maketrans(b"%+", b"= ")
_PARTIAL_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def unquote_fast(text: str) -> str:
    """``urllib.parse.unquote_plus(text)``, the same string, faster on long escaped text."""
    if "%" not in text:
        return text.replace("+", " ")
    if (
        not text.isascii()
        or "=" in text
        or "\n" in text
        or "\r" in text
        or _PARTIAL_ESCAPE.search(text) is not None
    ):
        return unquote_plus(text)
    return binascii.a2b_qp(text.encode("ascii").translate(_TO_QP)).decode("utf-8", "replace")


def _json(text: str) -> Any:
    # The C parser counts its own depth and stops at Python's recursion limit (RecursionError):
    # no nesting can exhaust the stack here. MAX_DEPTH is enforced by the walk that follows.
    try:
        return json.loads(text)
    except RecursionError:
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH}") from None
    except ValueError:
        raise Malformed("not JSON") from None


def _cleaned(value: Any, depth: int = 1) -> Any:
    """Every string (keys too) cleaned; raises Malformed past MAX_DEPTH (so the recursion is bounded)."""
    if isinstance(value, str):
        return clean_text(value)
    if depth > MAX_DEPTH:
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH}")
    if isinstance(value, dict):
        return {clean_text(k): _cleaned(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v, depth + 1) for v in value]
    return value


def _check_depth(value: Any, depth: int = 1) -> None:
    """What ``_cleaned`` checks of the nesting, for a payload with nothing to clean."""
    if depth > MAX_DEPTH:
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH}")
    for child in value.values() if isinstance(value, dict) else value:
        if isinstance(child, (dict, list)):
            _check_depth(child, depth + 1)


# ---------------------------------------------------------------- Slack's shapes, per kind of request


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _opt(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """The check, for a field that may also be absent or null."""
    return lambda v: v is None or check(v)


def _obj_with_id(parse_id: Callable[[Any], str | None]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, dict) and parse_id(v.get("id")) is not None


def _fields(obj: dict[str, Any], checks: dict[str, Callable[[Any], bool]], where: str) -> str | None:
    for key, check in checks.items():
        if not check(obj.get(key)):
            return f"{where}{key} is missing or of the wrong type"
    return None


def _option(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("value"), str)


def _state(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    values = v.get("values", {})
    return isinstance(values, dict) and all(
        isinstance(actions, dict) and all(isinstance(e, dict) for e in actions.values())
        for actions in values.values()
    )


_VIEW = {
    "id": _is_str,
    "callback_id": _opt(_is_str),
    "private_metadata": _opt(_is_str),
    "hash": _opt(_is_str),
    "state": _opt(_state),
    "blocks": _opt(lambda v: isinstance(v, list) and all(isinstance(b, dict) for b in v)),
    "type": _opt(_is_str),
}
_ACTION = {
    "action_id": _is_str,
    "block_id": _opt(_is_str),
    "value": _opt(_is_str),
    "selected_option": _opt(_option),
    "action_ts": _opt(_is_str),
}
_INTERACTION = {
    "user": _obj_with_id(ids.parse_user_id),
    "team": _obj_with_id(ids.parse_team_id),
    "api_app_id": _opt(_is_str),
}
_INTERACTIONS = (
    "block_actions",
    "view_submission",
    "view_closed",
    "block_suggestion",
    "shortcut",  # the global "Log a meeting" shortcut
    "message_action",  # the message shortcut
)
_COMMAND = {
    "command": lambda v: isinstance(v, str) and v.startswith("/"),
    "team_id": lambda v: ids.parse_team_id(v) is not None,
    "user_id": lambda v: ids.parse_user_id(v) is not None,
    "trigger_id": lambda v: ids.parse_trigger_id(v) is not None,
    "channel_id": _opt(lambda v: ids.parse_channel_id(v) is not None),
    "text": _opt(_is_str),
    "response_url": _opt(_is_str),
}
_EVENTS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "app_home_opened": {
        "user": lambda v: ids.parse_user_id(v) is not None,
        "tab": _opt(_is_str),
        "channel": _opt(_is_str),
        "view": _opt(lambda v: isinstance(v, dict)),
    },
    "tokens_revoked": {"tokens": lambda v: isinstance(v, dict)},
}


def _str_or_object(v: Any) -> bool:
    return v is None or isinstance(v, str) or (isinstance(v, dict) and _opt(_is_str)(v.get("id")))


# What Bolt itself reads of any payload (and of an event) to build its context, before a listener.
_BOLT_READS = {
    "enterprise": _str_or_object,
    "team": _str_or_object,
    "user": _str_or_object,
    "channel": _str_or_object,
    "item": _opt(lambda v: isinstance(v, dict) and _str_or_object(v.get("channel"))),
    "message": _opt(lambda v: isinstance(v, dict) and _str_or_object(v.get("user"))),
    "previous_message": _opt(lambda v: isinstance(v, dict) and _str_or_object(v.get("user"))),
    "authorizations": _opt(
        lambda v: (
            isinstance(v, list)
            and all(
                isinstance(a, dict)
                and all(_opt(_is_str)(a.get(k)) for k in ("team_id", "user_id", "enterprise_id"))
                for a in v
            )
        )
    ),
    "is_ext_shared_channel": _opt(lambda v: isinstance(v, bool)),
    "is_enterprise_install": _opt(lambda v: isinstance(v, bool | str)),
    "thread_ts": _opt(_is_str),
    "enterprise_id": _opt(_is_str),
    "team_id": _opt(_is_str),
    "user_id": _opt(_is_str),
    "channel_id": _opt(_is_str),
    "type": _opt(_is_str),
    "subtype": _opt(_is_str),
    "view": _opt(lambda v: isinstance(v, dict) and _opt(_is_str)(v.get("app_installed_team_id"))),
}


def _view_problem(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "view is not an object"
    return _fields(view, _VIEW, "view.")


def _shape_problem(p: dict[str, Any]) -> str | None:
    why = _fields(p, _BOLT_READS, "")
    if why is None and isinstance(p.get("event"), dict):
        why = _fields(p["event"], _BOLT_READS, "event.")
    return why or _kind_problem(p)


def _kind_problem(p: dict[str, Any]) -> str | None:
    kind = p.get("type")
    if kind is None and "command" in p:
        return _fields(p, _COMMAND, "")
    if not isinstance(kind, str):
        return "type is missing or not a string"
    if kind == "url_verification":
        return None if isinstance(p.get("challenge"), str) else "challenge is not a string"
    if kind == "event_callback":
        event = p.get("event")
        why = _fields(p, {"team_id": lambda v: ids.parse_team_id(v) is not None}, "")
        if why or not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return why or "event is not an object with a type"
        if not isinstance(p.get("event_id", ""), str) or not isinstance(p.get("authorizations", []), list):
            return "event_id or authorizations of the wrong type"
        authorizations = p.get("authorizations") or []
        # Bolt takes the workspace from the first authorization when there is one, not from team_id.
        if authorizations and ids.parse_team_id(authorizations[0].get("team_id")) is None:
            return "authorizations[0].team_id is missing or of the wrong type"
        return _fields(event, _EVENTS.get(event["type"], {}), "event.")
    if kind not in _INTERACTIONS:
        return f"{kind[:40]!r} is not a kind of request the app handles"
    why = _fields(p, _INTERACTION, "")
    if why:
        return why
    if kind == "block_actions":
        actions = p.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            return "actions is not a non-empty list of objects"
        for action in actions:
            why = _fields(action, _ACTION, "actions[].")
            if why:
                return why
        why = _fields(
            p,
            {
                "trigger_id": lambda v: ids.parse_trigger_id(v) is not None,
                "container": _opt(lambda v: isinstance(v, dict)),
                "channel": _opt(lambda v: isinstance(v, dict) and _opt(_is_str)(v.get("id"))),
                "message": _opt(lambda v: isinstance(v, dict) and _opt(_is_str)(v.get("ts"))),
            },
            "",
        )
        return why or (_view_problem(p["view"]) if p.get("view") is not None else None)
    if kind in ("view_submission", "view_closed"):
        trigger = p.get("trigger_id")
        if trigger is not None and ids.parse_trigger_id(trigger) is None:
            return "trigger_id is not Slack's"
        view = p.get("view")
        why = _view_problem(view)
        if why is None and isinstance(view, dict) and not isinstance(view.get("callback_id"), str):
            return "view.callback_id is missing"
        return why
    if kind in ("shortcut", "message_action"):
        why = _fields(
            p,
            {
                "callback_id": _is_str,
                "trigger_id": lambda v: ids.parse_trigger_id(v) is not None,
                "response_url": _opt(_is_str),
                "channel": _opt(
                    lambda v: isinstance(v, dict) and ids.parse_channel_id(v.get("id")) is not None
                ),
                "message": _opt(lambda v: isinstance(v, dict) and _opt(_is_str)(v.get("text"))),
            },
            "",
        )
        if why is None and kind == "message_action" and not isinstance(p.get("message"), dict):
            return "message is missing"
        return why
    if kind == "block_suggestion":
        why = _fields(
            p,
            {
                "action_id": _is_str,
                "block_id": _opt(_is_str),
                "value": _is_str,
            },
            "",
        )
        return why or (_view_problem(p["view"]) if p.get("view") is not None else None)
    return f"{kind!r} is not a kind of request the app handles"
