"""The person clicking: buttons, menus and overflow items in a modal, on the Home tab or in a message."""

from __future__ import annotations

import time
from typing import Any

from bot.slackfake.person import AppResponse
from bot.slackfake.person_modals import ModalsMixin
from bot.slackfake.state import (
    all_options,
    is_stateful,
    iter_elements,
)


class ClicksMixin(ModalsMixin):
    """Clicks a button (or picks a menu item) wherever the person sees it."""

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
