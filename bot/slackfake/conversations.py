"""Channels and the app's DMs: conversations.open, conversations.info and conversations.join."""

from __future__ import annotations

from typing import Any

from bot.slackfake.base import FakeBase
from bot.slackfake.records import (
    Channel,
    FakeSlackError,
    Token,
    User,
)


class ConversationsMixin(FakeBase):
    """Channels, DMs, and which of them the app may post to."""

    def add_channel(
        self,
        team_id: str,
        channel_id: str,
        name: str,
        is_private: bool = False,
        is_archived: bool = False,
        bot_is_member: bool = True,
    ) -> None:
        with self._lock:
            self._require_workspace(team_id)
            self._channels[(team_id, channel_id)] = Channel(
                team_id, channel_id, name, is_private, is_archived, bot_is_member
            )

    def archive_channel(self, team_id: str, channel_id: str) -> None:
        with self._lock:
            self._channels[(team_id, channel_id)].is_archived = True

    def delete_channel(self, team_id: str, channel_id: str) -> None:
        """The channel is gone, as after an admin deletes it: calls about it answer channel_not_found."""
        with self._lock:
            self._channels.pop((team_id, channel_id), None)

    def dm_channel_id(self, team_id: str, user_id: str) -> str:
        """The id of the app's DM with that user (opened if needed, as conversations.open does)."""
        with self._lock:
            return self._dm(team_id, self._require_user(team_id, user_id)).id

    def channel(self, team_id: str, channel_id: str) -> dict[str, Any] | None:
        """The channel as conversations.info returns it, or None."""
        with self._lock:
            found = self._channels.get((team_id, channel_id))
            return self._channel_dict(found) if found else None

    def _dm(self, team_id: str, user: User) -> Channel:
        channel_id = self._dms.get((team_id, user.id))
        if channel_id is None:
            channel_id = self._new_id("D")
            self._dms[(team_id, user.id)] = channel_id
            self._channels[(team_id, channel_id)] = Channel(team_id, channel_id, user.id, im_user=user.id)
        return self._channels[(team_id, channel_id)]

    def _resolve_channel(self, team_id: str, ref: Any) -> Channel:
        """A channel id, a DM id, a #name, or a user id (meaning the app's DM with them)."""
        if not ref or not isinstance(ref, str):
            raise FakeSlackError("channel_not_found")
        if ref.startswith("#"):
            for channel in self._channels.values():
                if channel.team_id == team_id and channel.name == ref[1:] and channel.im_user is None:
                    return channel
            raise FakeSlackError("channel_not_found")
        found = self._channels.get((team_id, ref))
        if found is not None:
            return found
        user = self._users.get((team_id, ref))
        if user is not None:
            if user.deleted:
                raise FakeSlackError("user_disabled")
            return self._dm(team_id, user)
        raise FakeSlackError("channel_not_found")

    def _postable(self, team_id: str, ref: Any) -> Channel:
        channel = self._resolve_channel(team_id, ref)
        if channel.is_archived:
            raise FakeSlackError("is_archived")
        if channel.im_user is not None:
            if self._users[(team_id, channel.im_user)].deleted:
                raise FakeSlackError("user_disabled")
        elif not channel.bot_is_member:
            raise FakeSlackError("not_in_channel")
        return channel

    def _channel_dict(self, channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": channel.im_user is None and not channel.is_private,
            "is_private": channel.is_private,
            "is_im": channel.im_user is not None,
            "is_archived": channel.is_archived,
            "is_member": channel.bot_is_member,
            **({"user": channel.im_user} if channel.im_user else {}),
        }

    def _conversations_open(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel = self._resolve_channel(auth.team_id, params["channel"])
            return {"channel": {"id": channel.id}}
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise FakeSlackError("users_list_not_supplied")
        if len(users) > 1:
            raise FakeSlackError("fake_does_not_support_group_dms")
        user = self._users.get((auth.team_id, users[0]))
        if user is None:
            raise FakeSlackError("user_not_found")
        if user.deleted:
            raise FakeSlackError("user_disabled")
        already_open = (auth.team_id, user.id) in self._dms
        return {
            "no_op": already_open,
            "already_open": already_open,
            "channel": {"id": self._dm(auth.team_id, user).id},
        }

    def _conversations_info(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get((auth.team_id, params.get("channel") or ""))
        if channel is None:
            raise FakeSlackError("channel_not_found")
        return {"channel": self._channel_dict(channel)}

    def _conversations_join(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        """The bot joins a public channel; private ones and DMs need an invitation, as in Slack."""
        channel = self._channels.get((auth.team_id, params.get("channel") or ""))
        if channel is None:
            raise FakeSlackError("channel_not_found")
        if channel.is_private or channel.im_user is not None:
            raise FakeSlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise FakeSlackError("is_archived")
        already = channel.bot_is_member
        channel.bot_is_member = True
        return {
            "channel": self._channel_dict(channel),
            **({"warning": "already_in_channel"} if already else {}),
        }
