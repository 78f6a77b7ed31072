"""chat.postMessage's rate limits (opt-in): HTTP 429 with Retry-After, per channel and per workspace."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from bot.slackfake.conversations import ConversationsMixin
from bot.slackfake.records import (
    FakeSlackError,
    RateLimits,
)


class RateLimitsMixin(ConversationsMixin):
    """Refuses messages over Slack's limits, when a test turns them on."""

    def enforce_rate_limits(
        self, per_channel_interval: float | None = 1.0, per_workspace_per_second: float | None = None
    ) -> None:
        """Answer chat.postMessage with HTTP 429 and ``Retry-After`` when it goes over Slack's limits.

        Off by default. A message to a channel sooner than ``per_channel_interval`` seconds after
        the last one accepted there, or one that would make more than ``per_workspace_per_second``
        accepted in the workspace within any 1 s (a sliding window), is refused; ``Retry-After``
        is the whole seconds (at least 1) until it would be accepted. A user id as the channel
        counts as the app's DM with them. ``None`` leaves that limit off; times are ``fake.clock``'s.
        """
        with self._lock:
            self._rate_limits = RateLimits(per_channel_interval, per_workspace_per_second)

    def stop_enforcing_rate_limits(self) -> None:
        with self._lock:
            self._rate_limits = None

    @property
    def rate_limited_count(self) -> int:
        """How many calls ``enforce_rate_limits`` has refused with a 429."""
        with self._lock:
            return self._rate_limited_count

    def _rate_key(self, method: str, params: dict[str, Any], token: str | None) -> tuple[str, str] | None:
        """(team, channel) of a chat.postMessage the limits apply to; None lets Slack's own errors answer."""
        if self._rate_limits is None or method != "chat.postMessage":
            return None
        auth = self._tokens.get(token or "")
        if auth is None or auth.revoked:
            return None
        try:
            return auth.team_id, self._resolve_channel(auth.team_id, params.get("channel")).id
        except FakeSlackError:
            return None

    def _over_rate_limit(self, method: str, params: dict[str, Any], token: str | None) -> int | None:
        """Retry-After in whole seconds when this call goes over the enforced limits, else None."""
        key = self._rate_key(method, params, token)
        if key is None:
            return None
        limits = self._rate_limits
        assert limits is not None
        now = self.clock()
        wait = 0.0
        last = limits.last_to_channel.get(key)
        if limits.per_channel_interval is not None and last is not None:
            wait = max(wait, last + limits.per_channel_interval - now)
        cap = limits.per_workspace_per_second
        recent = limits.recent_in_workspace.setdefault(key[0], deque())
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if cap is not None and len(recent) >= cap:
            # The oldest messages must leave the window until one more fits under the cap.
            wait = max(wait, recent[len(recent) - math.ceil(cap)] + 1.0 - now)
        if wait <= 0:
            return None
        self._rate_limited_count += 1
        return max(1, math.ceil(wait))

    def _note_rate(
        self, method: str, params: dict[str, Any], token: str | None, response: dict[str, Any]
    ) -> None:
        key = self._rate_key(method, params, token)
        if key is None or not response.get("ok"):
            return
        assert self._rate_limits is not None
        now = self.clock()
        self._rate_limits.last_to_channel[key] = now
        self._rate_limits.recent_in_workspace.setdefault(key[0], deque()).append(now)
