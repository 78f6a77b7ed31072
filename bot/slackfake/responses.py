"""response_url: the URL Slack hands an app with a command or an interaction, usable five times."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

from bot.slackfake.chat import ChatMixin
from bot.slackfake.records import (
    Call,
    ResponsePost,
    ResponseUrl,
    truthy,
)

# A response_url may be used five times.
RESPONSE_URL_USES = 5


class ResponseUrlsMixin(ChatMixin):
    """Issues response URLs and applies what the app POSTs to them."""

    def new_response_url(
        self,
        team_id: str,
        user_id: str,
        channel_id: str,
        message_ts: str | None = None,
        *,
        ephemeral: bool = False,
    ) -> str:
        """A response_url; with ``message_ts`` it can replace or delete that message."""
        with self._lock:
            response_id = f"{next(self._ids)}-{secrets.token_hex(8)}"
            self._response_urls[response_id] = ResponseUrl(
                response_id, team_id, user_id, channel_id, message_ts, ephemeral
            )
            return f"{self.base_url}response/{response_id}"

    def _response_url(self, response_id: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        text = {"Content-Type": "text/plain; charset=utf-8"}
        with self._lock:
            target = self._response_urls.get(response_id)
            try:
                body = json.loads(raw.decode("utf-8") or "{}")
            except (ValueError, UnicodeDecodeError):
                body = None
            call = Call(
                "response_url",
                body if isinstance(body, dict) else {"raw": raw.decode("latin-1")},
                None,
                self.wall_clock(),
            )
            self._recorded_call(call)
            fault = self._take_fault("response_url")
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and (fault.status or fault.error):
            call.status = fault.status or 500
            return call.status, text, (fault.error or "internal_error").encode()
        with self._lock:
            if target is None:
                call.status = 404
                return 404, text, b"no_active_hooks"
            if not isinstance(body, dict):
                call.status = 400
                return 400, text, b"invalid_payload"
            target.uses += 1
            if target.uses > RESPONSE_URL_USES:
                call.status = 404
                return 404, text, b"used_url"
            self._response_posts.append(
                ResponsePost(
                    f"{self.base_url}response/{response_id}",
                    target.team_id,
                    target.user_id,
                    target.channel_id,
                    copy.deepcopy(body),
                    call.at,
                )
            )
            self._apply_response(target, body)
            call.status = 200
        return 200, text, b"ok"

    def _apply_response(self, target: ResponseUrl, body: dict[str, Any]) -> None:
        text, blocks = body.get("text", ""), body.get("blocks")
        if truthy(body.get("delete_original")):
            if target.ephemeral:
                self._ephemerals[(target.team_id, target.user_id)] = [
                    e
                    for e in self._ephemerals.get((target.team_id, target.user_id), [])
                    if e["ts"] != target.message_ts
                ]
            elif target.message_ts and (
                original := self._find_message(target.channel_id, target.message_ts, target.team_id)
            ):
                original.deleted = True
            return
        if truthy(body.get("replace_original")) and target.message_ts:
            if target.ephemeral:
                for entry in self._ephemerals.get((target.team_id, target.user_id), []):
                    if entry["ts"] == target.message_ts:
                        entry.update({"text": text, "blocks": copy.deepcopy(blocks or [])})
                return
            original = self._find_message(target.channel_id, target.message_ts, target.team_id)
            if original is not None:
                self._edit_message(original, {"text": text, "blocks": blocks or []})
                return
        if body.get("response_type") == "in_channel":
            self._store_message(target.team_id, target.channel_id, text, blocks, body.get("thread_ts"), {})
        else:
            self._store_ephemeral(
                target.team_id, target.user_id, target.channel_id, text, blocks, "response_url"
            )
