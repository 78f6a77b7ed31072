"""The person in a modal: filling fields, typing into an external select, submitting, closing."""

from __future__ import annotations

import contextlib
import time
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

from bot.slackfake.person import AppResponse, PersonBase
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


class ModalsMixin(PersonBase):
    """Fills, submits and closes the modal on top of the person's stack."""

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
