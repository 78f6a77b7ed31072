"""Sending to Slack from outside a request (the clock): tokens, retries, rate limits, fault kinds.

Uses slack_sdk's WebClient only. 429s are retried after ``Retry-After``, 5xx and
connection faults (timeouts included) a bounded number of times; what is left is sorted
into the three kinds the sweep acts on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.reps import SlackProfile
from bot.slack_tokens import TokenSource

# The workspace's token is no good any more: stop its nudges.
DEAD_TOKEN = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"})
# The person is gone from the workspace: mark the rep left.
USER_GONE = frozenset({"user_not_found", "user_disabled", "cannot_dm_bot", "user_not_visible"})


class DeliveryError(Exception):
    """A send that did not happen: ``kind`` is dead_token, user_gone or retry."""

    def __init__(self, kind: str, reason: str):
        self.kind = kind
        self.reason = reason
        super().__init__(f"{kind}: {reason}")


@dataclass(frozen=True)
class Limits:
    """Slack's chat.postMessage limits as the app paces itself: per channel and per workspace."""

    per_channel_interval: float = 1.0  # seconds between two messages to one channel
    per_workspace_per_second: float = 5.0


class _Pacer:
    """Spaces calls so that none exceeds the limits; thread-safe, real (monotonic) time."""

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._limits = limits
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_workspace: dict[str, float] = {}
        self._next_channel: dict[tuple[str, str], float] = {}

    def wait(self, team_id: str, channel: str) -> None:
        with self._lock:
            now = self._clock()
            at = max(
                now, self._next_workspace.get(team_id, 0.0), self._next_channel.get((team_id, channel), 0.0)
            )
            self._next_workspace[team_id] = at + 1.0 / self._limits.per_workspace_per_second
            self._next_channel[(team_id, channel)] = at + self._limits.per_channel_interval
        if at > now:
            self._sleep(at - now)


def retry_handlers() -> list[Any]:
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(
            max_retry_count=2, error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError]
        ),
    ]


class SlackOutbox:
    """DMs and profile look-ups for the sweep, one WebClient per workspace."""

    def __init__(self, api_url: str, tokens: TokenSource, limits: Limits | None = None, timeout: int = 10):
        self._api_url = api_url
        self._tokens = tokens
        self._timeout = timeout
        self._pacer = _Pacer(limits or Limits())
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def _client(self, team_id: str) -> WebClient:
        with self._lock:
            client = self._clients.get(team_id)
        token = self._tokens.bot_token(team_id)
        if token is None:
            raise DeliveryError("dead_token", "no token for this workspace")
        if client is None or client.token != token:
            client = WebClient(
                token=token, base_url=self._api_url, timeout=self._timeout, retry_handlers=retry_handlers()
            )
            with self._lock:
                self._clients[team_id] = client
        return client

    def _call(self, team_id: str, call: Callable[[WebClient], Any]) -> Any:
        try:
            return call(self._client(team_id))
        except SlackApiError as error:
            code = str(error.response.get("error") or f"http_{error.response.status_code}")
            if code in DEAD_TOKEN:
                raise DeliveryError("dead_token", code) from None
            if code in USER_GONE:
                raise DeliveryError("user_gone", code) from None
            raise DeliveryError("retry", code) from None
        except DeliveryError:
            raise
        except Exception as error:  # timeouts and connection faults left after the retries
            raise DeliveryError("retry", type(error).__name__) from None

    def post_dm(self, team_id: str, user_id: str, text: str, blocks: list[dict[str, Any]]) -> tuple[str, str]:
        """Post to the user's DM with the app; (channel, ts)."""
        self._pacer.wait(team_id, user_id)
        response = self._call(
            team_id, lambda c: c.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        )
        return str(response["channel"]), str(response["ts"])

    def update(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._call(team_id, lambda c: c.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    def profile(self, team_id: str, user_id: str) -> SlackProfile:
        response = self._call(team_id, lambda c: c.users_info(user=user_id))
        return SlackProfile.from_users_info(response["user"])
