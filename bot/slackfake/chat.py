"""Messages: chat.postMessage, chat.postEphemeral, chat.update and chat.delete, and reading them back."""

from __future__ import annotations

import copy
from typing import Any

from bot.slackfake.conversations import ConversationsMixin
from bot.slackfake.limits import check_blocks
from bot.slackfake.records import (
    FakeSlackError,
    Message,
    Token,
)


class ChatMixin(ConversationsMixin):
    """Messages and ephemerals, with every version of each message kept."""

    def post_message(
        self,
        team_id: str,
        channel_or_user_id: str,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Post as the app without going through HTTP (seeding, or a slash command's in_channel ack)."""
        with self._lock:
            try:
                channel_id = self._resolve_channel(team_id, channel_or_user_id).id
            except FakeSlackError:
                channel_id = channel_or_user_id  # a slash command works in channels nobody seeded
            message = self._store_message(team_id, channel_id, text, blocks, None, {})
            return self._message_dict(message)

    def add_ephemeral(
        self,
        team_id: str,
        user_id: str,
        channel_id: str,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        *,
        source: str = "app",
    ) -> dict[str, Any]:
        """Show an ephemeral message to one person (a slash command's ack body lands here)."""
        with self._lock:
            return self._store_ephemeral(team_id, user_id, channel_id, text, blocks, source)

    def messages(self, channel_or_user_id: str, team_id: str | None = None) -> list[dict[str, Any]]:
        """The latest state of each message in a channel (a user id means their DM with the app), oldest first."""
        with self._lock:
            found: list[Message] = []
            for (team, channel_id), messages in self._messages.items():
                if team_id is not None and team != team_id:
                    continue
                channel = self._channels.get((team, channel_id))
                if channel_id == channel_or_user_id or (
                    channel is not None and channel.im_user == channel_or_user_id
                ):
                    found.extend(m for m in messages if not m.deleted)
            found.sort(key=lambda m: m.ts)
            return [self._message_dict(m) for m in found]

    def dm_messages(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """What the app wrote to that person in DM, oldest first."""
        with self._lock:
            channel_id = self._dms.get((team_id, user_id))
            if channel_id is None:
                return []
            return [
                self._message_dict(m) for m in self._messages.get((team_id, channel_id), []) if not m.deleted
            ]

    def message(self, channel_id: str, ts: str, team_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            found = self._find_message(channel_id, ts, team_id)
            return self._message_dict(found) if found is not None else None

    def message_history(self, channel_id: str, ts: str, team_id: str | None = None) -> list[dict[str, Any]]:
        """Every version of a message, the first as posted and the last as it is now."""
        with self._lock:
            found = self._find_message(channel_id, ts, team_id)
            if found is None:
                return []
            return [copy.deepcopy(v) for v in found.history] + [self._message_dict(found)]

    def ephemerals(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages shown to that person (chat.postEphemeral, response_url, slash acks), oldest first."""
        with self._lock:
            return copy.deepcopy(self._ephemerals.get((team_id, user_id), []))

    def _find_message(self, channel_id: str, ts: str, team_id: str | None) -> Message | None:
        for (team, channel), messages in self._messages.items():
            if channel != channel_id or (team_id is not None and team != team_id):
                continue
            for message in messages:
                if message.ts == ts and not message.deleted:
                    return message
        return None

    def _message_dict(self, message: Message) -> dict[str, Any]:
        return {**copy.deepcopy(message.body), "channel": message.channel, "team": message.team_id}

    def _store_message(
        self,
        team_id: str,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        extra: dict[str, Any],
    ) -> Message:
        ws = self._workspaces[team_id]
        ts = self._next_ts()
        body: dict[str, Any] = {
            "type": "message",
            "text": text or "",
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "app_id": self.app_id,
            "ts": ts,
        }
        if blocks:
            body["blocks"] = self._assign_ids(blocks)
        if thread_ts:
            body["thread_ts"] = thread_ts
        body.update({k: copy.deepcopy(v) for k, v in extra.items() if v is not None})
        message = Message(team_id, channel_id, ts, body)
        self._messages.setdefault((team_id, channel_id), []).append(message)
        return message

    def _edit_message(self, message: Message, changes: dict[str, Any]) -> None:
        message.history.append(self._message_dict(message))
        body = message.body
        if "text" in changes:
            body["text"] = changes["text"] or ""
        if "blocks" in changes:
            if changes["blocks"]:
                body["blocks"] = self._assign_ids(changes["blocks"])
            else:
                body.pop("blocks", None)
        if "attachments" in changes:
            body["attachments"] = copy.deepcopy(changes["attachments"])
        body["edited"] = {"user": self._workspaces[message.team_id].bot_user_id, "ts": self._next_ts()}

    def _store_ephemeral(
        self,
        team_id: str,
        user_id: str,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        source: str,
    ) -> dict[str, Any]:
        ws = self._workspaces[team_id]
        entry: dict[str, Any] = {
            "type": "message",
            "is_ephemeral": True,
            "channel": channel_id,
            "team": team_id,
            "ts": self._next_ts(),
            "text": text or "",
            "blocks": self._assign_ids(blocks or []),
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "source": source,
        }
        self._ephemerals.setdefault((team_id, user_id), []).append(entry)
        return copy.deepcopy(entry)

    def _chat_post_message(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable(auth.team_id, params.get("channel"))
        text, blocks, attachments = params.get("text"), params.get("blocks"), params.get("attachments")
        if not text and not blocks and not attachments:
            raise FakeSlackError("no_text")
        if blocks:
            problems = check_blocks(blocks, max_blocks=50)
            if problems:
                raise FakeSlackError("invalid_blocks", response_metadata={"messages": problems})
        if text and len(text) > 40000:
            raise FakeSlackError("msg_too_long")
        message = self._store_message(
            auth.team_id,
            channel.id,
            text or "",
            blocks,
            params.get("thread_ts"),
            {
                "attachments": attachments,
                "metadata": params.get("metadata"),
                "username": params.get("username"),
            },
        )
        body = copy.deepcopy(message.body)
        return {"channel": channel.id, "ts": message.ts, "message": body}

    def _chat_post_ephemeral(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get((auth.team_id, params.get("user") or ""))
        if user is None:
            raise FakeSlackError("user_not_found")
        channel = self._postable(auth.team_id, params.get("channel"))
        text, blocks = params.get("text"), params.get("blocks")
        if not text and not blocks and not params.get("attachments"):
            raise FakeSlackError("no_text")
        if blocks:
            problems = check_blocks(blocks, max_blocks=50)
            if problems:
                raise FakeSlackError("invalid_blocks", response_metadata={"messages": problems})
        entry = self._store_ephemeral(
            auth.team_id, user.id, channel.id, text or "", blocks, "chat.postEphemeral"
        )
        return {"message_ts": entry["ts"]}

    def _chat_update(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(auth.team_id, params.get("channel"))
        message = self._find_message(channel.id, str(params.get("ts") or ""), auth.team_id)
        if message is None:
            raise FakeSlackError("message_not_found")
        if channel.is_archived:
            raise FakeSlackError("is_archived")
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            raise FakeSlackError("no_text")
        if params.get("blocks"):
            problems = check_blocks(params["blocks"], max_blocks=50)
            if problems:
                raise FakeSlackError("invalid_blocks", response_metadata={"messages": problems})
        # Omitted blocks/attachments keep their old value, as in Slack.
        self._edit_message(message, {k: params[k] for k in ("text", "blocks", "attachments") if k in params})
        body = copy.deepcopy(message.body)
        return {"channel": channel.id, "ts": message.ts, "text": body["text"], "message": body}

    def _chat_delete(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(auth.team_id, params.get("channel"))
        message = self._find_message(channel.id, str(params.get("ts") or ""), auth.team_id)
        if message is None:
            raise FakeSlackError("message_not_found")
        message.history.append(self._message_dict(message))
        message.deleted = True
        return {"channel": channel.id, "ts": message.ts}
