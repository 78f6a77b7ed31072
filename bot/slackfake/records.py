"""What the fake keeps: the public records tests read (Call, ResponsePost) and its own store of
workspaces, tokens, users, channels, messages, views, response URLs and OAuth codes."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


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
class Workspace:
    team_id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str


@dataclass
class Token:
    token: str
    team_id: str
    user_id: str
    is_bot: bool
    revoked: bool = False


@dataclass
class User:
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
class Channel:
    team_id: str
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    bot_is_member: bool = True
    im_user: str | None = None


@dataclass
class Message:
    team_id: str
    channel: str
    ts: str
    body: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Trigger:
    id: str
    team_id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class View:
    id: str
    team_id: str
    user_id: str
    body: dict[str, Any]
    closed: bool = False


@dataclass
class ResponseUrl:
    id: str
    team_id: str
    user_id: str
    channel_id: str
    message_ts: str | None
    ephemeral: bool
    uses: int = 0


@dataclass
class Fault:
    error: str | None
    status: int | None
    retry_after: int | None
    delay: float | None
    remaining: int


@dataclass
class RateLimits:
    """chat.postMessage limits (opt-in): accepted messages per channel and per workspace."""

    per_channel_interval: float | None
    per_workspace_per_second: float | None
    last_to_channel: dict[tuple[str, str], float] = field(default_factory=dict)
    recent_in_workspace: dict[str, deque[float]] = field(default_factory=dict)


@dataclass
class OAuthCode:
    code: str
    team_id: str
    team_name: str
    installer_user_id: str
    scopes: str
    user_scopes: str
    redirect_uri: str | None
    used: bool = False


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
