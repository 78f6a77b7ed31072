"""A simulated person who drives the app over real, signed HTTP, the way Slack's servers do.

Every interaction is a POST to the app's ``/slack/events`` with Slack's payload
shapes and signature; what Slack itself would do with the answer (close the
modal, show the errors, show an ephemeral ack) is applied to the fake.

The app answers over HTTP, but its listeners may keep calling the Web API after
the ack when Bolt runs with ``process_before_response=False``; give the user a
``settle`` (seconds of quiet to wait for on the fake) or use
``fake.wait_until(...)`` in that case. With ``process_before_response=True``
everything the app did is in the fake when a method returns.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any
from urllib.parse import urlencode

from bot.slackfake.fake import FakeSlack
from bot.slackfake.state import (
    EXTERNAL,
    MULTI_OPTION,
    SINGLE_OPTION,
    TEXT_INPUTS,
    all_options,
    is_stateful,
    iter_elements,
    option_text,
)


@dataclass
class AppResponse:
    """What the app answered to one request."""

    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty."""
        return json.loads(self.text) if self.text.strip() else None


class SlackUser:
    """One person in one workspace, typing commands, filling modals and clicking buttons."""

    def __init__(
        self,
        fake: FakeSlack,
        events_url: str,
        signing_secret: str,
        team_id: str,
        user_id: str,
        channel_id: str = "C_GENERAL",
        team_domain: str | None = None,
        *,
        verification_token: str = "fake-verification-token",
        settle: float = 0.0,
        timeout: float = 10.0,
        rerender_wait: float = 2.0,
    ) -> None:
        self.fake = fake
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.user_id = user_id
        self.channel_id = channel_id
        workspace = fake.workspace(team_id)
        self.team_domain = team_domain or workspace["domain"]
        self.app_id = workspace["app_id"]
        self.bot_user_id = workspace["bot_user_id"]
        self.verification_token = verification_token
        self.settle = settle
        self.rerender_wait = rerender_wait
        self.timeout = timeout
        try:
            self.name = str(fake.user(team_id, user_id)["name"])
        except KeyError:
            self.name = user_id
        self.errors: dict[str, str] = {}
        self.last_response: AppResponse | None = None
        self._suggestions: dict[tuple[str, str], list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ what the person sees

    @property
    def view(self) -> dict[str, Any] | None:
        """The modal on top of the person's screen, with what they entered in ``state.values``."""
        views = self.fake.open_views(self.team_id, self.user_id)
        return views[-1] if views else None

    @property
    def home(self) -> dict[str, Any] | None:
        """The person's App Home tab."""
        return self.fake.home(self.team_id, self.user_id)

    def dms(self) -> list[dict[str, Any]]:
        """The app's DM messages to this person, oldest first."""
        return self.fake.dm_messages(self.team_id, self.user_id)

    def last_dm(self) -> dict[str, Any] | None:
        messages = self.dms()
        return messages[-1] if messages else None

    def ephemerals(self) -> list[dict[str, Any]]:
        """Messages only this person saw, oldest first."""
        return self.fake.ephemerals(self.team_id, self.user_id)

    # ------------------------------------------------------------------ slash commands and events

    def slash(
        self,
        command: str,
        text: str = "",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        """Type ``/command text`` in ``channel_id``; an ack with a body shows up as Slack shows it."""
        form = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": self.channel_id,
            "channel_name": self._channel_name(self.channel_id),
            "user_id": self.user_id,
            "user_name": self.name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(self.team_id, self.user_id, self.channel_id),
            "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
        }
        response = self._post(
            urlencode(form).encode("utf-8"),
            "application/x-www-form-urlencoded",
            timestamp=timestamp,
            signature=signature,
            omit_headers=omit_headers,
        )
        if response.status == 200:
            self._show_command_ack(response)
        return response

    def send_event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        """Deliver an Events API ``event_callback`` (a redelivery when ``retry_num`` is given)."""
        now = time.time()
        envelope = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post(
            json.dumps(envelope).encode("utf-8"),
            "application/json",
            extra_headers=headers,
            timestamp=timestamp,
            signature=signature,
            omit_headers=omit_headers,
        )

    def open_home(self) -> AppResponse:
        """Open the app's Home tab (``app_home_opened``)."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": self.user_id,
            "channel": self.fake.dm_channel_id(self.team_id, self.user_id),
            "tab": "home",
        }
        if self.home is not None:
            event["view"] = self.home
        return self.send_event(event)

    def post_raw(
        self,
        body: bytes,
        content_type: str = "application/json",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        """POST any body, correctly signed unless told otherwise (for malformed-request tests)."""
        return self._post(
            body, content_type, timestamp=timestamp, signature=signature, omit_headers=omit_headers
        )

    # ------------------------------------------------------------------ modals

    def fill(self, block_id: str, value: Any, *, action_id: str | None = None) -> AppResponse | None:
        """Enter ``value`` in the element of ``block_id`` in the top modal (or the Home tab).

        The value is read according to the element: a str for text inputs, an option value
        (or option dict) for selects and radios, a list of them for multi-selects and
        checkboxes, an aware datetime or epoch int for a datetimepicker, a date for a
        datepicker, a time or "HH:MM" for a timepicker, ids for user/conversation selects.
        Sends ``block_actions`` when the element dispatches (actions blocks, section
        accessories, input blocks with ``dispatch_action``) and returns the app's answer.
        """
        view = self.view or self.home
        if view is None:
            raise LookupError(f"{self.user_id} has no open modal or Home tab to fill {block_id!r} in")
        block, element = self._element(view, block_id, action_id)
        kind = element.get("type")
        if kind == "button":
            raise TypeError(f"{block_id!r} is a button: use click({element.get('action_id')!r})")
        if kind == "overflow":
            option = self._pick_option(all_options(element), value, block_id)
            return self._view_action(view, block, element, {"selected_option": option})
        if not is_stateful(element):
            raise TypeError(f"cannot fill a {kind} element ({block_id!r})")
        entry = self._entry(block, element, value)
        self.fake.set_state_value(view["id"], block["block_id"], element["action_id"], entry)
        dispatches = block.get("type") in ("actions", "section") or bool(block.get("dispatch_action"))
        if not dispatches:
            return None
        fresh = self.fake.view(view["id"]) or view
        response = self._view_action(fresh, block, element, {k: v for k, v in entry.items() if k != "type"})
        self._await_rerender(view["id"], fresh.get("hash"))
        return response

    def _await_rerender(self, view_id: str, old_hash: str | None) -> None:
        """A person sees the modal change before their next choice: wait (bounded) for the app's update.

        Apps answer a dispatched choice by re-rendering after the ack; choosing again before
        that lands makes the second update fail with hash_conflict, as in real Slack.
        """
        if not self.rerender_wait or old_hash is None:
            return
        with contextlib.suppress(TimeoutError):  # this choice did not re-render the modal
            self.fake.wait_until(
                lambda: (self.fake.view(view_id) or {}).get("hash") != old_hash, timeout=self.rerender_wait
            )

    def suggest(self, block_id: str, typed: str, *, action_id: str | None = None) -> list[dict[str, Any]]:
        """Type ``typed`` in an external select; returns the options the app offered (groups flattened)."""
        view = self._require_view()
        block, element = self._element(view, block_id, action_id)
        if element.get("type") not in EXTERNAL:
            raise TypeError(f"{block_id!r} is a {element.get('type')}, not an external select")
        payload = {
            "type": "block_suggestion",
            "user": self._user_object(),
            "container": {"type": "view", "view_id": view["id"]},
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "value": typed,
            "team": self._team_object(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
        }
        response = self._send_payload(payload)
        body = response.json() if response.status == 200 else None
        options: list[dict[str, Any]] = []
        if isinstance(body, dict):
            options = all_options(body)
        self._suggestions[(block["block_id"], element["action_id"])] = options
        return options

    def submit(
        self, *, timestamp: int | None = None, signature: str | None = None, omit_headers: bool = False
    ) -> AppResponse:
        """Press the modal's submit button and apply the app's answer as Slack does."""
        view = self._require_view()
        self.errors = {}
        payload = {
            "type": "view_submission",
            "team": self._team_object(),
            "user": self._user_object(),
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = self._send_payload(
            payload, timestamp=timestamp, signature=signature, omit_headers=omit_headers
        )
        if response.status != 200:
            return response  # Slack shows "trouble connecting" and the modal stays open
        try:
            body = response.json()
        except ValueError:
            return response  # not JSON: Slack shows an error and the modal stays open
        if not isinstance(body, dict):
            body = {}
        action = body.get("response_action")
        if action == "errors":
            self.errors = dict(body.get("errors") or {})
        elif action == "update":
            self.fake.replace_top_view(self.team_id, self.user_id, body["view"])
        elif action == "push":
            self.fake.push_view(self.team_id, self.user_id, body["view"])
        elif action == "clear":
            self.fake.close_view(self.team_id, self.user_id, all_views=True)
        else:
            self.fake.close_view(self.team_id, self.user_id, view_id=view["id"])
        return response

    def close(self) -> AppResponse | None:
        """Press the modal's close button; the app hears of it only with ``notify_on_close``."""
        view = self._require_view()
        response = None
        if view.get("notify_on_close"):
            response = self._send_payload(
                {
                    "type": "view_closed",
                    "team": self._team_object(),
                    "user": self._user_object(),
                    "api_app_id": self.app_id,
                    "token": self.verification_token,
                    "view": view,
                    "is_cleared": False,
                    "is_enterprise_install": False,
                    "enterprise": None,
                }
            )
        self.fake.close_view(self.team_id, self.user_id, view_id=view["id"])
        return response

    # ------------------------------------------------------------------ buttons

    def click(
        self,
        action_id: str,
        *,
        in_message: dict[str, Any] | None = None,
        in_view: dict[str, Any] | None = None,
        value: Any = None,
        block_id: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        """Click a button (or pick ``value`` in an overflow/select) found by ``action_id``.

        Looks in ``in_message`` or ``in_view`` when given; otherwise in the top modal, then
        the Home tab, then the app's DMs newest first. ``value``/``block_id`` pick one of
        several buttons sharing an action_id.
        """
        forge = {"timestamp": timestamp, "signature": signature, "omit_headers": omit_headers}
        surfaces: list[tuple[str, dict[str, Any]]] = []
        if in_message is not None:
            surfaces = [("message", in_message)]
        elif in_view is not None:
            surfaces = [("view", in_view)]
        else:
            surfaces = [("view", v) for v in (self.view, self.home) if v is not None]
            surfaces += [("message", m) for m in reversed(self.dms())]
        for kind, surface in surfaces:
            matches = self._matching(surface.get("blocks") or [], action_id, value, block_id)
            if not matches:
                continue
            if len(matches) > 1:
                offered = [(b.get("block_id"), e.get("value")) for b, e in matches]
                raise LookupError(f"several {action_id!r} elements, pass value= or block_id=: {offered}")
            block, element = matches[0]
            if kind == "view":
                return self._click_in_view(surface, block, element, value, forge)
            return self._click_in_message(surface, block, element, value, forge)
        where = (
            "the given message" if in_message is not None else "the given view" if in_view else "any surface"
        )
        raise LookupError(f"no element {action_id!r} in {where}")

    # ------------------------------------------------------------------ internals

    def _post(
        self,
        body: bytes,
        content_type: str,
        *,
        extra_headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": content_type, **(extra_headers or {})}
        if not omit_headers:
            digest = hmac.new(
                self.signing_secret.encode("utf-8"), f"v0:{ts}:".encode() + body, hashlib.sha256
            ).hexdigest()
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature if signature is not None else f"v0={digest}"
        request = urllib.request.Request(self.events_url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                response = AppResponse(
                    answer.status, answer.read().decode("utf-8"), dict(answer.headers.items())
                )
        except urllib.error.HTTPError as error:
            response = AppResponse(error.code, error.read().decode("utf-8"), dict(error.headers.items()))
        response.elapsed = time.monotonic() - started
        self.fake.wait_idle(quiet=self.settle, timeout=self.timeout)
        self.last_response = response
        return response

    def _send_payload(self, payload: dict[str, Any], **forge: Any) -> AppResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode("utf-8")
        return self._post(body, "application/x-www-form-urlencoded", **forge)

    def _require_view(self) -> dict[str, Any]:
        view = self.view
        if view is None:
            raise LookupError(f"{self.user_id} has no modal open")
        return view

    def _user_object(self) -> dict[str, Any]:
        return {"id": self.user_id, "username": self.name, "name": self.name, "team_id": self.team_id}

    def _team_object(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        channel = self.fake.channel(self.team_id, channel_id)
        if channel is None:
            return "directmessage" if channel_id.startswith("D") else channel_id.lower()
        if channel["is_im"]:
            return "directmessage"
        return "privategroup" if channel["is_private"] else str(channel["name"])

    def _show_command_ack(self, response: AppResponse) -> None:
        if not response.text.strip():
            return
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text}
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return
        if body.get("response_type") == "in_channel":
            self.fake.post_message(self.team_id, self.channel_id, body.get("text", ""), body.get("blocks"))
        else:
            self.fake.add_ephemeral(
                self.team_id,
                self.user_id,
                self.channel_id,
                body.get("text", ""),
                body.get("blocks"),
                source="command_ack",
            )

    @staticmethod
    def _element(
        view: dict[str, Any], block_id: str, action_id: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        candidates = [
            (b, e) for b, e in iter_elements(view.get("blocks") or []) if b.get("block_id") == block_id
        ]
        if action_id is not None:
            candidates = [(b, e) for b, e in candidates if e.get("action_id") == action_id]
        if not candidates:
            present = [b.get("block_id") for b in view.get("blocks") or []]
            raise LookupError(
                f"no element in block {block_id!r} (action_id={action_id!r}); blocks: {present}"
            )
        if len(candidates) > 1:
            ids = [e.get("action_id") for _, e in candidates]
            raise LookupError(f"block {block_id!r} holds several elements, pass action_id= one of {ids}")
        return candidates[0]

    @staticmethod
    def _pick_option(options: list[dict[str, Any]], value: Any, where: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        for option in options:
            if option.get("value") == value:
                return option
        offered = [f"{o.get('value')} ({option_text(o)})" for o in options]
        raise ValueError(f"{value!r} is not offered in {where!r}; offered: {offered}")

    def _entry(self, block: dict[str, Any], element: dict[str, Any], value: Any) -> dict[str, Any]:
        """The state entry for ``value`` in ``element``, shaped as Slack shapes it."""
        kind = element["type"]
        block_id = block["block_id"]
        if kind in TEXT_INPUTS:
            return {"type": kind, "value": None if value is None else str(value)}
        if kind == "rich_text_input":
            return {
                "type": kind,
                "rich_text_value": {
                    "type": "rich_text",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": str(value)}]}
                    ],
                },
            }
        if kind in SINGLE_OPTION or kind in MULTI_OPTION:
            offered = (
                self._suggestions.get((block_id, element["action_id"]), []) + all_options(element)
                if kind in EXTERNAL
                else all_options(element)
            )
            if kind in EXTERNAL and isinstance(element.get("initial_option"), dict):
                offered.append(element["initial_option"])
            if kind in SINGLE_OPTION:
                option = None if value is None else self._pick_option(offered, value, block_id)
                return {"type": kind, "selected_option": option}
            values = list(value or [])
            return {
                "type": kind,
                "selected_options": [self._pick_option(offered, v, block_id) for v in values],
            }
        if kind == "datepicker":
            if value is not None and not isinstance(value, date):
                value = date.fromisoformat(str(value))
            return {"type": kind, "selected_date": value.isoformat() if value is not None else None}
        if kind == "timepicker":
            if isinstance(value, clock_time):
                value = value.strftime("%H:%M")
            entry: dict[str, Any] = {"type": kind, "selected_time": value}
            if element.get("timezone"):
                entry["timezone"] = element["timezone"]
            return entry
        if kind == "datetimepicker":
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    raise ValueError("a datetimepicker takes an aware datetime (or epoch seconds)")
                value = int(value.timestamp())
            return {"type": kind, "selected_date_time": None if value is None else int(value)}
        key = {
            "users_select": "selected_user",
            "multi_users_select": "selected_users",
            "conversations_select": "selected_conversation",
            "multi_conversations_select": "selected_conversations",
            "channels_select": "selected_channel",
            "multi_channels_select": "selected_channels",
        }[kind]
        if kind.startswith("multi_"):
            return {"type": kind, key: list(value or [])}
        return {"type": kind, key: value}

    def _view_action(
        self,
        view: dict[str, Any],
        block: dict[str, Any],
        element: dict[str, Any],
        chosen: dict[str, Any],
        **forge: Any,
    ) -> AppResponse:
        action = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            **chosen,
            "action_ts": f"{time.time():.6f}",
        }
        payload = {
            "type": "block_actions",
            "user": self._user_object(),
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
            "team": self._team_object(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
            "actions": [action],
        }
        return self._send_payload(payload, **forge)

    @staticmethod
    def _matching(
        blocks: list[dict[str, Any]], action_id: str, value: Any, block_id: str | None
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        found = []
        for block, element in iter_elements(blocks):
            if element.get("action_id") != action_id:
                continue
            if block_id is not None and block.get("block_id") != block_id:
                continue
            if value is not None and element.get("type") == "button" and element.get("value") != value:
                continue
            found.append((block, element))
        return found

    @staticmethod
    def _button_action(block: dict[str, Any], element: dict[str, Any]) -> dict[str, Any]:
        action = {
            "type": "button",
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "text": element.get("text"),
            "action_ts": f"{time.time():.6f}",
        }
        for key in ("value", "style"):
            if key in element:
                action[key] = element[key]
        return action

    def _click_in_view(
        self,
        view: dict[str, Any],
        block: dict[str, Any],
        element: dict[str, Any],
        value: Any,
        forge: dict[str, Any],
    ) -> AppResponse:
        if element.get("type") == "button":
            payload = {
                "type": "block_actions",
                "user": self._user_object(),
                "api_app_id": self.app_id,
                "token": self.verification_token,
                "container": {"type": "view", "view_id": view["id"]},
                "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
                "team": self._team_object(),
                "enterprise": None,
                "is_enterprise_install": False,
                "view": view,
                "actions": [self._button_action(block, element)],
            }
            return self._send_payload(payload, **forge)
        if element.get("type") == "overflow":
            option = self._pick_option(all_options(element), value, block["block_id"])
            return self._view_action(view, block, element, {"selected_option": option}, **forge)
        response = self.fill(block["block_id"], value, action_id=element["action_id"])
        if response is None:
            raise TypeError(f"{element.get('action_id')!r} does not dispatch an action")
        return response

    def _click_in_message(
        self,
        message: dict[str, Any],
        block: dict[str, Any],
        element: dict[str, Any],
        value: Any,
        forge: dict[str, Any],
    ) -> AppResponse:
        channel_id = str(message.get("channel") or self.channel_id)
        ephemeral = bool(message.get("is_ephemeral"))
        kind = element.get("type")
        state: dict[str, Any] = {}
        if kind == "button":
            action = self._button_action(block, element)
        else:
            if kind == "overflow":
                chosen: dict[str, Any] = {
                    "selected_option": self._pick_option(all_options(element), value, block["block_id"])
                }
            elif is_stateful(element):
                entry = self._entry(block, element, value)
                state = {block["block_id"]: {element["action_id"]: entry}}
                chosen = {k: v for k, v in entry.items() if k != "type"}
            else:
                raise TypeError(f"cannot click a {kind} element")
            action = {
                "type": kind,
                "action_id": element["action_id"],
                "block_id": block["block_id"],
                **chosen,
                "action_ts": f"{time.time():.6f}",
            }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_object(),
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
            "team": self._team_object(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "state": {"values": state},
            "response_url": self.fake.new_response_url(
                self.team_id, self.user_id, channel_id, message["ts"], ephemeral=ephemeral
            ),
            "actions": [action],
        }
        if not ephemeral:
            # Slack sends the message as it is, without the fake's bookkeeping.
            payload["message"] = {k: v for k, v in message.items() if k not in ("channel", "source")}
        return self._send_payload(payload, **forge)
