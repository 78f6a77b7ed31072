"""A loopback fake of the Slack Web API, for tests and ``nextstep demo``.

The app under test talks to it through ``slack_sdk.WebClient(base_url=fake.api_url)``
exactly as it talks to Slack: same request shapes, same response shapes, same
error codes. Tests seed workspaces, users and channels, then read back what a
person would see (DMs, ephemerals, modals, the Home tab) and every call made.

Two clocks, both replaceable:
- ``fake.clock`` (default ``time.monotonic``) ages trigger ids, so a test can
  expire one without sleeping, and paces the opt-in rate limits
  (``enforce_rate_limits``);
- ``fake.wall_clock`` (default ``time.time``) stamps calls, message ts, view
  hashes and users' timezone offsets.
"""

from __future__ import annotations

import base64
import copy
import email.parser
import email.policy
import itertools
import json
import logging
import math
import re
import secrets
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from bot.slackfake.limits import check_blocks, check_view
from bot.slackfake.state import initial_values, iter_elements, merge_values

log = logging.getLogger(__name__)

# Slack's documented lifetime of a trigger_id.
TRIGGER_LIFETIME = 3.0
# Slack keeps at most three modals in a stack.
MAX_MODAL_STACK = 3
# A response_url may be used five times.
RESPONSE_URL_USES = 5
# Fields that form-encoded callers send as JSON strings.
JSON_FIELDS = ("view", "blocks", "attachments", "metadata")

DEFAULT_SCOPES = "commands,chat:write,users:read,im:write"

# zoneinfo only knows abbreviations; Slack shows the long name.
_TZ_LABELS = {
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "AKST": "Alaska Standard Time",
    "AKDT": "Alaska Daylight Time",
    "HST": "Hawaii-Aleutian Standard Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "NZST": "New Zealand Standard Time",
    "NZDT": "New Zealand Daylight Time",
}


class FakeSlackError(Exception):
    """A Slack error code, answered as ``{"ok": false, "error": code}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error if not extra else f"{error} {extra}")
        self.error = error
        self.extra = extra


@dataclass
class Call:
    """One request the fake received. ``status`` and ``response`` are what it answered."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int = 0
    response: dict[str, Any] | None = None


@dataclass
class ResponsePost:
    """One POST to a response_url."""

    url: str
    team_id: str
    user_id: str
    channel_id: str
    body: dict[str, Any]
    at: float


@dataclass
class _Workspace:
    team_id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str


@dataclass
class _Token:
    token: str
    team_id: str
    user_id: str
    is_bot: bool
    revoked: bool = False


@dataclass
class _User:
    team_id: str
    id: str
    name: str
    real_name: str
    display_name: str
    tz: str
    is_admin: bool
    is_owner: bool
    deleted: bool
    is_bot: bool
    email: str | None


@dataclass
class _Channel:
    team_id: str
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    bot_is_member: bool = True
    im_user: str | None = None


@dataclass
class _Message:
    team_id: str
    channel: str
    ts: str
    body: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False


@dataclass
class _Trigger:
    id: str
    team_id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class _View:
    id: str
    team_id: str
    user_id: str
    body: dict[str, Any]
    closed: bool = False


@dataclass
class _ResponseUrl:
    id: str
    team_id: str
    user_id: str
    channel_id: str
    message_ts: str | None
    ephemeral: bool
    uses: int = 0


@dataclass
class _Fault:
    error: str | None
    status: int | None
    retry_after: int | None
    delay: float | None
    remaining: int


@dataclass
class _RateLimits:
    """chat.postMessage limits (opt-in): accepted messages per channel and per workspace."""

    per_channel_interval: float | None
    per_workspace_per_second: float | None
    last_to_channel: dict[tuple[str, str], float] = field(default_factory=dict)
    recent_in_workspace: dict[str, deque[float]] = field(default_factory=dict)


@dataclass
class _OAuthCode:
    code: str
    team_id: str
    team_name: str
    installer_user_id: str
    scopes: str
    user_scopes: str
    redirect_uri: str | None
    used: bool = False


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _parse_params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if raw:
        if kind == "application/json":
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        elif kind == "multipart/form-data":
            # oauth.v2.access arrives as multipart (slack_sdk's `data=`).
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    params[name] = payload.decode("utf-8")
        else:
            params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            params[key] = json.loads(value)
    return params


def _tz_fields(tz: str, at: float) -> dict[str, Any]:
    now = datetime.fromtimestamp(at, ZoneInfo(tz))
    offset = now.utcoffset()
    abbreviation = now.tzname() or tz
    return {
        "tz": tz,
        "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
    }


class FakeSlack:
    """The Slack Web API on 127.0.0.1, in a background thread. Use as a context manager or start()/stop()."""

    def __init__(self, *, app_id: str = "A0NEXTSTEP") -> None:
        self.app_id = app_id
        self.oauth_client_id = "fake-client-id"
        self.oauth_client_secret = "fake-client-secret"
        self.clock: Callable[[], float] = time.monotonic
        self.wall_clock: Callable[[], float] = time.time
        self.internal_errors: list[str] = []
        self._lock = threading.RLock()
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
        self._faults: dict[str, list[_Fault]] = {}
        self._rate_limits: _RateLimits | None = None
        self._rate_limited_count = 0
        self._workspaces: dict[str, _Workspace] = {}
        self._tokens: dict[str, _Token] = {}
        self._users: dict[tuple[str, str], _User] = {}
        self._channels: dict[tuple[str, str], _Channel] = {}
        self._dms: dict[tuple[str, str], str] = {}
        self._messages: dict[tuple[str, str], list[_Message]] = {}
        self._ephemerals: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, _View] = {}
        self._stacks: dict[tuple[str, str], list[str]] = {}
        self._homes: dict[tuple[str, str], str] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._oauth_codes: dict[str, _OAuthCode] = {}
        self._methods: dict[str, Callable[[_Token, dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "team.info": self._team_info,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        # Slack's v2 upload: a URL per file, the bytes POSTed there, then the completion call.
        self._uploads: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 on a free port."""
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._stopping.clear()
        # A short poll interval keeps stop() (every test's teardown) fast.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes requests sleeping on an injected delay
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def api_url(self) -> str:
        """The base URL for ``WebClient(base_url=...)``; ends with ``/``."""
        return self.base_url + "api/"

    # ------------------------------------------------------------------ seeding

    def add_workspace(
        self,
        team_id: str,
        name: str,
        bot_token: str | None = None,
        bot_user_id: str | None = None,
        *,
        domain: str | None = None,
        bot_name: str = "nextstep",
    ) -> str:
        """Add a workspace with the app installed; returns its bot token."""
        suffix = team_id[1:] if team_id.startswith("T") else team_id
        bot_user_id = bot_user_id or f"UBOT{suffix}"
        token = bot_token or f"xoxb-{team_id}"
        with self._lock:
            self._workspaces[team_id] = _Workspace(
                team_id=team_id,
                name=name,
                domain=domain or (re.sub(r"[^a-z0-9-]", "", name.lower()) or team_id.lower()),
                bot_user_id=bot_user_id,
                bot_id=f"B{suffix}",
            )
            self._tokens[token] = _Token(token, team_id, bot_user_id, is_bot=True)
            self.add_user(team_id, bot_user_id, bot_name, real_name=bot_name, tz="UTC", is_bot=True)
        return token

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "America/Los_Angeles",
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
        *,
        display_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
    ) -> None:
        """Add (or replace) a member of a workspace."""
        ZoneInfo(tz)  # fail at seeding, not at users.info
        with self._lock:
            self._require_workspace(team_id)
            self._users[(team_id, user_id)] = _User(
                team_id=team_id,
                id=user_id,
                name=name,
                real_name=real_name or name,
                display_name=display_name if display_name is not None else name,
                tz=tz,
                is_admin=is_admin,
                is_owner=is_owner,
                deleted=deleted,
                is_bot=is_bot,
                email=email,
            )

    def delete_user(self, team_id: str, user_id: str) -> None:
        """Deactivate a user, as an admin does: users.info still answers, with ``deleted: true``."""
        with self._lock:
            self._require_user(team_id, user_id).deleted = True

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
            self._channels[(team_id, channel_id)] = _Channel(
                team_id, channel_id, name, is_private, is_archived, bot_is_member
            )

    def archive_channel(self, team_id: str, channel_id: str) -> None:
        with self._lock:
            self._channels[(team_id, channel_id)].is_archived = True

    def delete_channel(self, team_id: str, channel_id: str) -> None:
        """The channel is gone, as after an admin deletes it: calls about it answer channel_not_found."""
        with self._lock:
            self._channels.pop((team_id, channel_id), None)

    def revoke_token(self, token: str) -> None:
        """The token now answers ``token_revoked`` (as after an uninstall)."""
        with self._lock:
            if token in self._tokens:
                self._tokens[token].revoked = True

    def issue_trigger(self, team_id: str, user_id: str) -> str:
        """A fresh trigger_id, as Slack puts in a slash command or an interaction."""
        with self._lock:
            n = next(self._ids)
            trigger_id = f"{n}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(trigger_id, team_id, user_id, self.clock())
            return trigger_id

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
            self._response_urls[response_id] = _ResponseUrl(
                response_id, team_id, user_id, channel_id, message_ts, ephemeral
            )
            return f"{self.base_url}response/{response_id}"

    def add_oauth_code(
        self,
        code: str,
        team_id: str,
        team_name: str,
        installer_user_id: str,
        scopes: str = DEFAULT_SCOPES,
        *,
        user_scopes: str = "",
        redirect_uri: str | None = None,
    ) -> None:
        """A code that oauth.v2.access will exchange once for a new bot token."""
        with self._lock:
            self._oauth_codes[code] = _OAuthCode(
                code, team_id, team_name, installer_user_id, scopes, user_scopes, redirect_uri
            )

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
            self._faults.setdefault(method, []).append(_Fault(error, status, retry_after, delay, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

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
            self._rate_limits = _RateLimits(per_channel_interval, per_workspace_per_second)

    def stop_enforcing_rate_limits(self) -> None:
        with self._lock:
            self._rate_limits = None

    @property
    def rate_limited_count(self) -> int:
        """How many calls ``enforce_rate_limits`` has refused with a 429."""
        with self._lock:
            return self._rate_limited_count

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

    # ------------------------------------------------------------------ reading

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

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

    def dm_channel_id(self, team_id: str, user_id: str) -> str:
        """The id of the app's DM with that user (opened if needed, as conversations.open does)."""
        with self._lock:
            return self._dm(team_id, self._require_user(team_id, user_id)).id

    def messages(self, channel_or_user_id: str, team_id: str | None = None) -> list[dict[str, Any]]:
        """The latest state of each message in a channel (a user id means their DM with the app), oldest first."""
        with self._lock:
            found: list[_Message] = []
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

    def open_views(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """The person's modal stack, the top (visible) modal last."""
        with self._lock:
            return [copy.deepcopy(self._views[v].body) for v in self._stacks.get((team_id, user_id), [])]

    def home(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        """The person's App Home tab as last published, or None."""
        with self._lock:
            view_id = self._homes.get((team_id, user_id))
            return copy.deepcopy(self._views[view_id].body) if view_id else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found.body) if found else None

    def workspace(self, team_id: str) -> dict[str, str]:
        """team_id, name, domain, bot_user_id, bot_id and app_id of a workspace."""
        with self._lock:
            ws = self._require_workspace(team_id)
            return {
                "team_id": ws.team_id,
                "name": ws.name,
                "domain": ws.domain,
                "bot_user_id": ws.bot_user_id,
                "bot_id": ws.bot_id,
                "app_id": self.app_id,
            }

    def channel(self, team_id: str, channel_id: str) -> dict[str, Any] | None:
        """The channel as conversations.info returns it, or None."""
        with self._lock:
            found = self._channels.get((team_id, channel_id))
            return self._channel_dict(found) if found else None

    def user(self, team_id: str, user_id: str) -> dict[str, Any]:
        """The user as users.info returns it."""
        with self._lock:
            return self._user_dict(self._require_user(team_id, user_id))

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

    # ------------------------------------------------------------------ what Slack's client does
    # The simulated user calls these: they are what Slack itself does to the views
    # when a person types, submits or closes, not Web API methods.

    def set_state_value(self, view_id: str, block_id: str, action_id: str, entry: dict[str, Any]) -> None:
        """Record what the person entered in one element of an open view."""
        with self._lock:
            view = self._views[view_id]
            view.body["state"]["values"].setdefault(block_id, {})[action_id] = copy.deepcopy(entry)

    def close_view(
        self, team_id: str, user_id: str, *, view_id: str | None = None, all_views: bool = False
    ) -> None:
        """Close the top modal, or the given one, or the whole stack."""
        with self._lock:
            stack = self._stacks.get((team_id, user_id), [])
            if all_views:
                closing = list(stack)
            elif view_id is not None:
                closing = [view_id] if view_id in stack else []
            else:
                closing = stack[-1:]
            for view_id in closing:
                self._views[view_id].closed = True
                stack.remove(view_id)

    def replace_top_view(self, team_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A view_submission answered ``response_action: update``."""
        with self._lock:
            stack = self._stacks.get((team_id, user_id)) or []
            if not stack:
                raise FakeSlackError("not_found")
            self._check_view(spec, home=False)
            return copy.deepcopy(self._replace_view(self._views[stack[-1]], spec))

    def push_view(self, team_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A view_submission answered ``response_action: push``."""
        with self._lock:
            self._check_view(spec, home=False)
            return copy.deepcopy(self._push(team_id, user_id, spec))

    # ------------------------------------------------------------------ HTTP

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._in_flight += 1
            self._last_activity = time.monotonic()
        try:
            url = urlsplit(request.path)
            length = int(request.headers.get("Content-Length") or 0)
            raw = request.rfile.read(length) if length else b""
            if url.path.startswith("/api/"):
                status, headers, body = self._api(url.path[len("/api/") :], raw, request, url.query)
            elif url.path.startswith("/response/") and request.command == "POST":
                status, headers, body = self._response_url(url.path[len("/response/") :], raw)
            elif url.path.startswith("/upload/") and request.command == "POST":
                status, headers, body = self._receive_upload(url.path[len("/upload/") :], raw)
            else:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            request.send_response(status)
            for key, value in headers.items():
                request.send_header(key, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the client gave up (e.g. its timeout fired during an injected delay)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_activity = time.monotonic()

    def _api(
        self, method: str, raw: bytes, request: BaseHTTPRequestHandler, query: str
    ) -> tuple[int, dict[str, str], bytes]:
        content_type = request.headers.get("Content-Type", "")
        try:
            params = _parse_params(raw, content_type, query)
            bad_body = None
        except (ValueError, UnicodeDecodeError):
            params, bad_body = {}, ("invalid_json" if "json" in content_type else "invalid_form_data")
        token, basic = None, None
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :].strip()
        elif authorization.startswith("Basic "):
            try:
                client_id, _, secret = (
                    base64.b64decode(authorization[len("Basic ") :]).decode("utf-8").partition(":")
                )
                basic = (client_id, secret)
            except (ValueError, UnicodeDecodeError):
                basic = ("", "")
        token = token or params.pop("token", None)
        params.pop("token", None)

        with self._lock:
            call = Call(method, params, token, self.wall_clock())
            self._calls.append(call)
            fault = self._take_fault(method)
        status, headers = 200, {"Content-Type": "application/json; charset=utf-8"}
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.status:
            status = fault.status
            default = "ratelimited" if status == 429 else "fatal_error"
            response: dict[str, Any] = {"ok": False, "error": fault.error or default}
            if status == 429:
                headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        elif fault is not None and fault.error:
            response = {"ok": False, "error": fault.error}
        elif bad_body:
            response = {"ok": False, "error": bad_body}
        else:
            with self._lock:
                retry_after = self._over_rate_limit(method, params, token)
                if retry_after is None:
                    response = self._dispatch(method, params, token, basic)
                    self._note_rate(method, params, token, response)
            if retry_after is not None:
                status, response = 429, {"ok": False, "error": "ratelimited"}
                headers["Retry-After"] = str(retry_after)
        call.status, call.response = status, response
        return status, headers, json.dumps(response).encode("utf-8")

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

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _dispatch(
        self, method: str, params: dict[str, Any], token: str | None, basic: tuple[str, str] | None
    ) -> dict[str, Any]:
        try:
            if method == "oauth.v2.access":
                return {"ok": True, **self._oauth_v2_access(params, basic)}
            handler = self._methods.get(method)
            if handler is None:
                return {"ok": False, "error": "unknown_method"}
            return {"ok": True, **handler(self._authenticate(token), params)}
        except FakeSlackError as e:
            return {"ok": False, "error": e.error, **e.extra}
        except Exception:  # a bug in the fake must show up in the test, not hang it
            detail = traceback.format_exc()
            self.internal_errors.append(detail)
            log.error("fake Slack failed on %s:\n%s", method, detail)
            return {"ok": False, "error": "fatal_error"}

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
            self._calls.append(call)
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

    def _apply_response(self, target: _ResponseUrl, body: dict[str, Any]) -> None:
        text, blocks = body.get("text", ""), body.get("blocks")
        if _truthy(body.get("delete_original")):
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
        if _truthy(body.get("replace_original")) and target.message_ts:
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

    # ------------------------------------------------------------------ internals

    def _require_workspace(self, team_id: str) -> _Workspace:
        ws = self._workspaces.get(team_id)
        if ws is None:
            raise KeyError(f"no workspace {team_id}: add_workspace first")
        return ws

    def _require_user(self, team_id: str, user_id: str) -> _User:
        user = self._users.get((team_id, user_id))
        if user is None:
            raise KeyError(f"no user {user_id} in {team_id}: add_user first")
        return user

    def _authenticate(self, token: str | None) -> _Token:
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

    def _user_dict(self, user: _User) -> dict[str, Any]:
        return {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            **_tz_fields(user.tz, self.wall_clock()),
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "profile": {
                "real_name": user.real_name,
                "real_name_normalized": user.real_name,
                "display_name": user.display_name,
                "display_name_normalized": user.display_name,
                "team": user.team_id,
                **({"email": user.email} if user.email else {}),
            },
        }

    def _dm(self, team_id: str, user: _User) -> _Channel:
        channel_id = self._dms.get((team_id, user.id))
        if channel_id is None:
            channel_id = self._new_id("D")
            self._dms[(team_id, user.id)] = channel_id
            self._channels[(team_id, channel_id)] = _Channel(team_id, channel_id, user.id, im_user=user.id)
        return self._channels[(team_id, channel_id)]

    def _resolve_channel(self, team_id: str, ref: Any) -> _Channel:
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

    def _postable(self, team_id: str, ref: Any) -> _Channel:
        channel = self._resolve_channel(team_id, ref)
        if channel.is_archived:
            raise FakeSlackError("is_archived")
        if channel.im_user is not None:
            if self._users[(team_id, channel.im_user)].deleted:
                raise FakeSlackError("user_disabled")
        elif not channel.bot_is_member:
            raise FakeSlackError("not_in_channel")
        return channel

    def _find_message(self, channel_id: str, ts: str, team_id: str | None) -> _Message | None:
        for (team, channel), messages in self._messages.items():
            if channel != channel_id or (team_id is not None and team != team_id):
                continue
            for message in messages:
                if message.ts == ts and not message.deleted:
                    return message
        return None

    def _message_dict(self, message: _Message) -> dict[str, Any]:
        return {**copy.deepcopy(message.body), "channel": message.channel, "team": message.team_id}

    def _store_message(
        self,
        team_id: str,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        extra: dict[str, Any],
    ) -> _Message:
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
        message = _Message(team_id, channel_id, ts, body)
        self._messages.setdefault((team_id, channel_id), []).append(message)
        return message

    def _edit_message(self, message: _Message, changes: dict[str, Any]) -> None:
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

    def _check_view(self, spec: Any, *, home: bool) -> None:
        problems = check_view(spec, home=home)
        if problems:
            raise FakeSlackError("invalid_arguments", response_metadata={"messages": problems})

    def _build_view(self, view: _View, spec: dict[str, Any], old_values: dict[str, Any] | None) -> None:
        """(Re)build a view's body from the app's spec; what the person entered survives a rebuild."""
        ws = self._workspaces[view.team_id]
        blocks = self._assign_ids(spec.get("blocks") or [])
        values = initial_values(blocks) if old_values is None else merge_values(old_values, blocks)
        body = {
            "id": view.id,
            "team_id": view.team_id,
            "type": spec["type"],
            "blocks": blocks,
            "private_metadata": spec.get("private_metadata") or "",
            "callback_id": spec.get("callback_id") or "",
            "state": {"values": values},
            "hash": self._new_hash(),
            "title": copy.deepcopy(spec.get("title")),
            "clear_on_close": _truthy(spec.get("clear_on_close", False)),
            "notify_on_close": _truthy(spec.get("notify_on_close", False)),
            "close": copy.deepcopy(spec.get("close")),
            "submit": copy.deepcopy(spec.get("submit")),
            "previous_view_id": view.body.get("previous_view_id"),
            "root_view_id": view.body.get("root_view_id") or view.id,
            "app_id": self.app_id,
            "external_id": spec.get("external_id") or view.body.get("external_id") or "",
            "app_installed_team_id": view.team_id,
            "bot_id": ws.bot_id,
        }
        view.body = body

    def _create_view(
        self, team_id: str, user_id: str, spec: dict[str, Any], root: str | None, previous: str | None
    ) -> _View:
        external_id = spec.get("external_id")
        if external_id and any(
            v.team_id == team_id and v.body.get("external_id") == external_id for v in self._views.values()
        ):
            raise FakeSlackError("duplicate_external_id")
        view = _View(
            self._new_id("V"), team_id, user_id, {"root_view_id": root, "previous_view_id": previous}
        )
        self._build_view(view, spec, None)
        self._views[view.id] = view
        return view

    def _replace_view(self, view: _View, spec: dict[str, Any]) -> dict[str, Any]:
        self._build_view(view, spec, view.body["state"]["values"])
        return view.body

    def _push(self, team_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        stack = self._stacks.get((team_id, user_id)) or []
        if not stack:
            raise FakeSlackError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise FakeSlackError("push_limit_reached")
        view = self._create_view(team_id, user_id, spec, root=stack[0], previous=stack[-1])
        stack.append(view.id)
        return view.body

    def _use_trigger(self, team_id: str, trigger_id: Any, spec: Any) -> _Trigger:
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None or trigger.team_id != team_id:
            raise FakeSlackError("invalid_trigger_id")
        if trigger.used:
            raise FakeSlackError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_LIFETIME:
            raise FakeSlackError("expired_trigger_id")
        self._check_view(spec, home=False)
        trigger.used = True
        return trigger

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        ws = self._workspaces[auth.team_id]
        user = self._users.get((auth.team_id, auth.user_id))
        return {
            "url": f"https://{ws.domain}.slack.com/",
            "team": ws.name,
            "user": user.name if user else auth.user_id,
            "team_id": ws.team_id,
            "user_id": auth.user_id,
            **({"bot_id": ws.bot_id} if auth.is_bot else {}),
            "is_enterprise_install": False,
        }

    def _users_info(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get((auth.team_id, params.get("user") or ""))
        if user is None:
            raise FakeSlackError("user_not_found")
        return {"user": self._user_dict(user)}

    def _users_list(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_dict(u) for (team, _), u in self._users.items() if team == auth.team_id]
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _team_info(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        ws = self._workspaces[auth.team_id]
        return {"team": {"id": ws.team_id, "name": ws.name, "domain": ws.domain}}

    def _conversations_open(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
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

    def _conversations_info(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get((auth.team_id, params.get("channel") or ""))
        if channel is None:
            raise FakeSlackError("channel_not_found")
        return {"channel": self._channel_dict(channel)}

    def _conversations_join(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
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

    def _channel_dict(self, channel: _Channel) -> dict[str, Any]:
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

    def _chat_post_message(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
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

    def _files_get_upload_url(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename:
            raise FakeSlackError("invalid_arguments")
        if length <= 0:
            raise FakeSlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] length must be > 0"]}
            )
        file_id = self._new_id("F")
        self._uploads[file_id] = {
            "id": file_id,
            "team_id": auth.team_id,
            "filename": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
            "content": None,
            "completed": False,
        }
        return {"upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None or upload["completed"]:
                return 404, {"Content-Type": "text/plain"}, b"not found"
            upload["content"] = raw
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(raw)}".encode()

    def _files_complete_upload(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise FakeSlackError("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise FakeSlackError("invalid_arguments")
        uploads = []
        for entry in files:
            upload = self._uploads.get(str((entry or {}).get("id")))
            if upload is None or upload["team_id"] != auth.team_id or upload["completed"]:
                raise FakeSlackError("file_not_found")
            if upload["content"] is None or len(upload["content"]) != upload["length"]:
                raise FakeSlackError("file_upload_size_mismatch" if upload["content"] else "file_not_found")
            uploads.append((upload, entry.get("title") or upload["filename"]))
        channel_id = params.get("channel_id")
        channel = self._postable(auth.team_id, channel_id) if channel_id else None
        shared = []
        for upload, title in uploads:
            upload.update(
                completed=True,
                title=title,
                channel=channel.id if channel else None,
                thread_ts=params.get("thread_ts"),
                initial_comment=params.get("initial_comment"),
            )
            shared.append({"id": upload["id"], "title": title, "name": upload["filename"]})
        if channel is not None:
            self._store_message(
                auth.team_id,
                channel.id,
                params.get("initial_comment") or "",
                None,
                params.get("thread_ts"),
                {"files": shared},
            )
        return {"files": shared}

    def files(self, team_id: str | None = None) -> list[dict[str, Any]]:
        """Every completed upload: id, filename, title, content (bytes), channel, thread_ts, initial_comment."""
        with self._lock:
            return [
                copy.deepcopy(u)
                for u in self._uploads.values()
                if u["completed"] and (team_id is None or u["team_id"] == team_id)
            ]

    def _chat_post_ephemeral(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
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

    def _chat_update(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
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

    def _chat_delete(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(auth.team_id, params.get("channel"))
        message = self._find_message(channel.id, str(params.get("ts") or ""), auth.team_id)
        if message is None:
            raise FakeSlackError("message_not_found")
        message.history.append(self._message_dict(message))
        message.deleted = True
        return {"channel": channel.id, "ts": message.ts}

    def _views_open(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        trigger = self._use_trigger(auth.team_id, params.get("trigger_id"), params.get("view"))
        # A new modal from outside any modal replaces whatever stack was open.
        self.close_view(auth.team_id, trigger.user_id, all_views=True)
        view = self._create_view(auth.team_id, trigger.user_id, params["view"], root=None, previous=None)
        self._stacks[(auth.team_id, trigger.user_id)] = [view.id]
        return {"view": copy.deepcopy(view.body)}

    def _views_push(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        trigger = self._use_trigger(auth.team_id, params.get("trigger_id"), params.get("view"))
        return {"view": copy.deepcopy(self._push(auth.team_id, trigger.user_id, params["view"]))}

    def _views_update(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise FakeSlackError(
                "invalid_arguments", response_metadata={"messages": ["view_id or external_id required"]}
            )
        found = None
        for candidate in self._views.values():
            if candidate.team_id != auth.team_id or candidate.closed:
                continue
            if (view_id and candidate.id == view_id) or (
                not view_id and external_id and candidate.body.get("external_id") == external_id
            ):
                found = candidate
                break
        if found is None:
            raise FakeSlackError("not_found")
        wanted_hash = params.get("hash")
        if wanted_hash and wanted_hash != found.body["hash"]:
            raise FakeSlackError("hash_conflict")
        self._check_view(params.get("view"), home=found.body["type"] == "home")
        return {"view": copy.deepcopy(self._replace_view(found, params["view"]))}

    def _views_publish(self, auth: _Token, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get((auth.team_id, params.get("user_id") or ""))
        if user is None:
            raise FakeSlackError("user_not_found")
        self._check_view(params.get("view"), home=True)
        view_id = self._homes.get((auth.team_id, user.id))
        if view_id is None:
            view = self._create_view(auth.team_id, user.id, params["view"], root=None, previous=None)
            self._homes[(auth.team_id, user.id)] = view.id
            return {"view": copy.deepcopy(view.body)}
        existing = self._views[view_id]
        wanted_hash = params.get("hash")
        if wanted_hash and wanted_hash != existing.body["hash"]:
            raise FakeSlackError("hash_conflict")
        return {"view": copy.deepcopy(self._replace_view(existing, params["view"]))}

    def _oauth_v2_access(self, params: dict[str, Any], basic: tuple[str, str] | None) -> dict[str, Any]:
        client_id, secret = basic or (params.get("client_id") or "", params.get("client_secret") or "")
        if client_id != self.oauth_client_id:
            raise FakeSlackError("invalid_client_id")
        if secret != self.oauth_client_secret:
            raise FakeSlackError("bad_client_secret")
        code = self._oauth_codes.get(params.get("code") or "")
        if code is None or code.used:
            raise FakeSlackError("invalid_code")
        if code.redirect_uri and params.get("redirect_uri") != code.redirect_uri:
            raise FakeSlackError("bad_redirect_uri")
        code.used = True
        token = f"xoxb-{code.team_id}-{next(self._ids)}-{secrets.token_hex(8)}"
        if code.team_id in self._workspaces:
            ws = self._workspaces[code.team_id]
            ws.name = code.team_name
            self._tokens[token] = _Token(token, code.team_id, ws.bot_user_id, is_bot=True)
        else:
            self.add_workspace(code.team_id, code.team_name, bot_token=token)
            ws = self._workspaces[code.team_id]
        if (code.team_id, code.installer_user_id) not in self._users:
            # The installer exists in Slack; seed them with add_user first to choose their timezone.
            self.add_user(code.team_id, code.installer_user_id, code.installer_user_id, is_admin=True)
        authed_user: dict[str, Any] = {
            "id": code.installer_user_id,
            "scope": code.user_scopes,
            "token_type": "user",
        }
        if code.user_scopes:
            user_token = f"xoxp-{code.team_id}-{next(self._ids)}-{secrets.token_hex(8)}"
            self._tokens[user_token] = _Token(user_token, code.team_id, code.installer_user_id, is_bot=False)
            authed_user["access_token"] = user_token
        return {
            "app_id": self.app_id,
            "authed_user": authed_user,
            "scope": code.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read fake.calls, not stderr

    def do_POST(self) -> None:
        self.fake._serve(self)

    def do_GET(self) -> None:
        self.fake._serve(self)
