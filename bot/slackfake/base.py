"""The fake's state and what every API family shares: ids, timestamps, tokens, recorded calls,
injected faults and the helpers tests wait with.

All state lives here, behind one lock, so each family (a mixin in its own module) reads the
same dicts; ``FakeSlack`` composes the families.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from bot.slackfake.records import (
    Call,
    Channel,
    FakeSlackError,
    Fault,
    Message,
    OAuthCode,
    RateLimits,
    ResponsePost,
    ResponseUrl,
    Token,
    Trigger,
    User,
    View,
    Workspace,
)
from bot.slackfake.state import iter_elements


class FakeBase:
    """State, ids and recorded calls shared by every API family."""

    def __init__(self, *, app_id: str = "A0NEXTSTEP") -> None:
        self.app_id = app_id
        self.oauth_client_id = "fake-client-id"
        self.oauth_client_secret = "fake-client-secret"
        self.clock: Callable[[], float] = time.monotonic
        self.wall_clock: Callable[[], float] = time.time
        self.internal_errors: list[str] = []
        self._lock = threading.RLock()
        self._recorded = threading.Condition(self._lock)  # notified at every call recorded
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        # Slack's ids are unique everywhere; a per-instance salt keeps two fakes (two demo runs
        # on one persistent database) from handing out the same view id.
        self._id_salt = secrets.token_hex(2).upper()
        self._last_ts = 0
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._calls: list[Call] = []
        self._response_posts: list[ResponsePost] = []
        self._faults: dict[str, list[Fault]] = {}
        self._rate_limits: RateLimits | None = None
        self._rate_limited_count = 0
        self._workspaces: dict[str, Workspace] = {}
        self._tokens: dict[str, Token] = {}
        self._users: dict[tuple[str, str], User] = {}
        self._channels: dict[tuple[str, str], Channel] = {}
        self._dms: dict[tuple[str, str], str] = {}
        self._messages: dict[tuple[str, str], list[Message]] = {}
        self._ephemerals: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._triggers: dict[str, Trigger] = {}
        self._views: dict[str, View] = {}
        self._stacks: dict[tuple[str, str], list[str]] = {}
        self._homes: dict[tuple[str, str], str] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._oauth_codes: dict[str, OAuthCode] = {}
        # Web API method -> the family's handler; FakeSlack fills it in from every family.
        self._methods: dict[str, Callable[[Token, dict[str, Any]], dict[str, Any]]] = {}
        # Slack's v2 upload: a URL per file, the bytes POSTed there, then the completion call.
        self._uploads: dict[str, dict[str, Any]] = {}

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def api_url(self) -> str:
        """The base URL for ``WebClient(base_url=...)``; ends with ``/``."""
        return self.base_url + "api/"

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_since(self, start: int) -> list[Call]:
        """The calls recorded after the first ``start`` (``len(calls)`` taken earlier): a poll that
        copies only what is new, however many calls came before."""
        with self._lock:
            return self._calls[start:]

    def wait_for_calls(self, start: int, timeout: float) -> list[Call]:
        """``calls_since(start)``, once there is one, waiting up to ``timeout`` seconds without
        polling (empty if none came): a harness waiting for the app costs no CPU meanwhile."""
        with self._recorded:
            self._recorded.wait_for(lambda: len(self._calls) > start, timeout)
            return self._calls[start:]

    def _recorded_call(self, call: Call) -> None:
        """Record a call (the lock held)."""
        self._calls.append(call)
        self._recorded.notify_all()

    def call_count(self) -> int:
        with self._lock:
            return len(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def clear_calls(self) -> None:
        """Forget the recorded calls and response_url posts (state such as messages stays)."""
        with self._lock:
            self._calls.clear()
            self._response_posts.clear()

    @property
    def response_posts(self) -> list[ResponsePost]:
        with self._lock:
            return list(self._response_posts)

    def wait_idle(self, quiet: float = 0.0, timeout: float = 5.0) -> bool:
        """Wait until no request is in flight and none arrived for ``quiet`` seconds (real time)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                busy, last = self._in_flight, self._last_activity
            now = time.monotonic()
            if busy == 0 and now - last >= quiet:
                return True
            if now > deadline:
                return False
            time.sleep(0.002)

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll ``predicate`` until it returns something truthy; returns it, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            time.sleep(0.005)

    def inject(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``error``: answer ``{"ok": false, "error": error}``; ``status``: answer that HTTP status
        (429 carries ``Retry-After``, default 1); ``delay``: sleep first (then answer normally
        unless error/status is given). ``method`` may be ``"response_url"``.
        """
        if error is None and status is None and delay is None:
            raise ValueError("inject needs error, status or delay")
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(error, status, retry_after, delay, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _require_workspace(self, team_id: str) -> Workspace:
        ws = self._workspaces.get(team_id)
        if ws is None:
            raise KeyError(f"no workspace {team_id}: add_workspace first")
        return ws

    def _require_user(self, team_id: str, user_id: str) -> User:
        user = self._users.get((team_id, user_id))
        if user is None:
            raise KeyError(f"no user {user_id} in {team_id}: add_user first")
        return user

    def _authenticate(self, token: str | None) -> Token:
        if not token:
            raise FakeSlackError("not_authed")
        found = self._tokens.get(token)
        if found is None:
            raise FakeSlackError("invalid_auth")
        if found.revoked:
            raise FakeSlackError("token_revoked")
        return found

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{self._id_salt}{next(self._ids):06d}"

    def _next_ts(self) -> str:
        # Slack's ts is the posting time; strictly increasing even on a frozen clock.
        micros = max(int(self.wall_clock() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_hash(self) -> str:
        return f"{int(self.wall_clock())}.{secrets.token_hex(4)}"

    def _assign_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Slack gives a random block_id / action_id to blocks and elements that have none."""
        blocks = copy.deepcopy(blocks)
        for block in blocks:
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = f"b{secrets.token_hex(3)}"
        for _block, element in iter_elements(blocks):
            if not element.get("action_id"):
                element["action_id"] = f"a{secrets.token_hex(3)}"
        return blocks
