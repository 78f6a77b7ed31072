"""Sending to Slack from outside a request (the clock): tokens, retries, rate limits, fault kinds.

Uses slack_sdk's WebClient only. 429s are retried after ``Retry-After``, 5xx and
connection faults (timeouts included) a bounded number of times; what is left is sorted
into the three kinds the sweep acts on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.services.reps import SlackProfile

# What a refusal means (stop the workspace, mark the rep left) is read from the one table.
from bot.slack.refusals import DEAD_TOKEN, USER_GONE
from bot.slack.tokens import TokenSource
from bot.slack.uploads import upload


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
    """Sends as soon as the limits allow, and no sooner; thread-safe, real (monotonic) time.

    Per workspace a sliding window: at most ``n`` messages in any ``n / rate`` seconds (``n`` the
    rate rounded down: 10 in any 1 s at 10/s), so a worker held up by the database or the GIL
    catches up instead of losing its slot for good, as fixed spacing would. Per channel one
    message per ``per_channel_interval``. A message counts from when its call returned
    (``sent``), which is after Slack counted it, so network jitter cannot push Slack's own
    sliding count over the cap; until then, from when it was let go.
    """

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._limits = limits
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._burst = max(1, int(limits.per_workspace_per_second))
        self._span = self._burst / limits.per_workspace_per_second
        self._recent: dict[str, deque[list[float]]] = {}  # the last n messages' times, per workspace
        self._held: dict[str, float] = {}  # a 429's Retry-After, per workspace
        self._last_to_channel: dict[tuple[str, str], list[float]] = {}

    def wait(self, team_id: str, channel: str) -> list[float]:
        """Sleep until this message may go; returns its slot, to hand to ``sent`` when the call returns."""
        with self._lock:
            now = self._clock()
            at = max(now, self._held.get(team_id, 0.0))
            recent = self._recent.setdefault(team_id, deque(maxlen=self._burst))
            if len(recent) == self._burst:
                at = max(at, min(slot[0] for slot in recent) + self._span)
            last = self._last_to_channel.get((team_id, channel))
            if last is not None:
                at = max(at, last[0] + self._limits.per_channel_interval)
            slot = [at]
            recent.append(slot)
            self._last_to_channel[(team_id, channel)] = slot
        if at > now:
            self._sleep(at - now)
        return slot

    def sent(self, slot: list[float]) -> None:
        """The call returned (accepted or not): the message counts from now."""
        with self._lock:
            slot[0] = max(slot[0], self._clock())

    def hold(self, team_id: str, seconds: float) -> None:
        """Slack said 429: nothing more to this workspace for ``seconds`` (its Retry-After)."""
        with self._lock:
            until = self._clock() + seconds
            self._held[team_id] = max(self._held.get(team_id, 0.0), until)


# Posting is not idempotent: after a read timeout Slack may already have posted, so only reads
# (users.info) are retried on timeouts. A post that timed out fails, and the sweep retries it
# later with backoff: the second window for a duplicate, documented in bot/clock/sweep.py.
_NOT_IDEMPOTENT = ("chat.postMessage", "files.completeUploadExternal")


class _ConnectionRetry(ConnectionErrorRetryHandler):
    def __init__(self, stop: threading.Event | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._stop = stop

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        if isinstance(error, TimeoutError) and request.url.endswith(_NOT_IDEMPOTENT):
            return False
        if self._stop is not None and self._stop.is_set():
            return False  # stopping: the call in flight was the last one
        return bool(super()._can_retry(state=state, request=request, response=response, error=error))


class _ServerErrorRetry(ServerErrorRetryHandler):
    def __init__(self, stop: threading.Event | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._stop = stop

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        if self._stop is not None and self._stop.is_set():
            return False
        return bool(super()._can_retry(state=state, request=request, response=response, error=error))


def retry_handlers(stop: threading.Event | None = None) -> list[Any]:
    """Bounded retries; none once ``stop`` is set, so a stopping clock waits one call at most."""
    # No 429 handler: the outbox honours Retry-After itself, so its pacer knows when the
    # workspace's next message may go (slack_sdk's own retry would go behind its back).
    return [
        _ServerErrorRetry(stop, max_retry_count=2),
        _ConnectionRetry(
            stop,
            max_retry_count=2,
            error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError],
        ),
    ]


MAX_RATE_LIMITED = 5


class SlackOutbox:
    """DMs and profile look-ups for the sweep, one WebClient per workspace."""

    def __init__(
        self,
        api_url: str,
        tokens: TokenSource,
        limits: Limits | None = None,
        timeout: int = 10,
        stop: threading.Event | None = None,
    ):
        self._api_url = api_url
        self._stop = stop
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
                token=token,
                base_url=self._api_url,
                timeout=self._timeout,
                retry_handlers=retry_handlers(self._stop),
            )
            with self._lock:
                self._clients[team_id] = client
        return client

    def _paced(self, team_id: str, channel: str, call: Callable[[WebClient], Any]) -> Any:
        """A paced write; a 429 holds the whole workspace for its Retry-After, then tries again."""
        for _ in range(MAX_RATE_LIMITED):
            slot = self._pacer.wait(team_id, channel)
            try:
                return call(self._client(team_id))
            except SlackApiError as error:
                if error.response.status_code != 429 or (self._stop is not None and self._stop.is_set()):
                    raise
                headers = error.response.headers or {}
                retry_after = headers.get("Retry-After") or headers.get("retry-after")
                if isinstance(retry_after, list):
                    retry_after = retry_after[0]
                self._pacer.hold(team_id, float(retry_after or 1))
            finally:
                self._pacer.sent(slot)
        raise SlackApiError("ratelimited", {"ok": False, "error": "ratelimited"})

    def _call(self, team_id: str, call: Callable[[WebClient], Any], channel: str | None = None) -> Any:
        try:
            if channel is not None:
                return self._paced(team_id, channel, call)
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
        response = self._call(
            team_id, lambda c: c.chat_postMessage(channel=user_id, text=text, blocks=blocks), channel=user_id
        )
        return str(response["channel"]), str(response["ts"])

    def update(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._call(team_id, lambda c: c.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    def profile(self, team_id: str, user_id: str) -> SlackProfile:
        response = self._call(team_id, lambda c: c.users_info(user=user_id))
        return SlackProfile.from_users_info(response["user"])

    def post_to_channel(
        self,
        team_id: str,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """Post in a channel (the leaderboard); (channel, ts). Channel faults come back as ``reason``."""
        response = self._call(
            team_id,
            lambda c: c.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts),
            channel=channel,
        )
        return str(response["channel"]), str(response["ts"])

    def join_channel(self, team_id: str, channel: str) -> None:
        """conversations.join: public channels only (a private one answers method_not_supported_for_channel_type)."""
        self._call(team_id, lambda c: c.conversations_join(channel=channel))

    def files_upload(
        self,
        team_id: str,
        channel: str,
        thread_ts: str | None,
        content: bytes,
        filename: str,
        title: str,
        alt_text: str | None = None,
    ) -> None:
        """Share a file in a thread, through the one upload path (bot.slack.uploads)."""
        self._call(
            team_id,
            lambda c: upload(
                c,
                channel=channel,
                thread_ts=thread_ts,
                content=content,
                filename=filename,
                title=title,
                alt_text=alt_text,
            ),
            channel=channel,
        )
