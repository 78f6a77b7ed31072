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

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from bot.slackfake.person import AppResponse
from bot.slackfake.person_clicks import ClicksMixin

__all__ = ["AppResponse", "SlackUser"]


class SlackUser(ClicksMixin):
    """One person in one workspace, typing commands, filling modals and clicking buttons."""

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

    def shortcut(
        self, callback_id: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> AppResponse:
        """Pick the app's global shortcut ``callback_id`` from the shortcuts menu."""
        payload = {
            "type": "shortcut",
            "token": self.verification_token,
            "action_ts": f"{time.time():.6f}",
            "team": self._team_object(),
            "user": self._user_object(),
            "api_app_id": self.app_id,
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
        }
        return self._send_payload(payload, timestamp=timestamp, signature=signature)

    def message_shortcut(
        self,
        callback_id: str,
        message: dict[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> AppResponse:
        """Pick the app's message shortcut ``callback_id`` from ``message``'s "More actions" menu."""
        channel_id = str(message.get("channel") or self.channel_id)
        payload = {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": f"{time.time():.6f}",
            "team": self._team_object(),
            "user": self._user_object(),
            "api_app_id": self.app_id,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.issue_trigger(self.team_id, self.user_id),
            "response_url": self.fake.new_response_url(self.team_id, self.user_id, channel_id, message["ts"]),
            "message_ts": message["ts"],
            # Slack sends the message as it is, without the fake's bookkeeping.
            "message": {k: v for k, v in message.items() if k not in ("channel", "source")},
        }
        return self._send_payload(payload, timestamp=timestamp, signature=signature)

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
