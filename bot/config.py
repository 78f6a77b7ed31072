"""Configuration: read from the environment once, validated at start-up, passed down.

Nothing else in the project reads ``os.environ``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

SLACK_API_DEFAULT = "https://slack.com/api/"
# A Slack member id: U… (or W… on Enterprise Grid), uppercase letters and digits.
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{1,31}")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Config:
    signing_secret: str
    database_url: str
    slack_api_url: str = SLACK_API_DEFAULT
    bot_token: str | None = None
    app_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    port: int = 3000
    # The clock paces chat.postMessage per workspace to stay under Slack's limits.
    workspace_rate: float = 5.0
    # NEXTSTEP_ADMINS (single-workspace mode): who may change the settings besides Slack's
    # workspace admins and owners.
    admins: frozenset[str] = frozenset()

    @property
    def multi_workspace(self) -> bool:
        """OAuth install flow (many workspaces) rather than one static bot token."""
        return self.client_id is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def redacted(self) -> dict[str, str | int | None]:
        """What may be logged: no secret, no token, no password."""
        url = urlparse(self.database_url)
        db = self.database_url if not url.password else self.database_url.replace(url.password, "***")
        return {
            "mode": "oauth" if self.multi_workspace else ("socket" if self.app_token else "single"),
            "database": db,
            "slack_api_url": self.slack_api_url,
            "port": self.port,
        }


def normalize_database_url(url: str) -> str:
    """Accept Heroku's ``postgres://`` and pick the psycopg 3 driver for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def default_database_url(cwd: Path | None = None) -> str:
    return f"sqlite:///{(cwd or Path.cwd()) / 'nextstep.sqlite'}"


def load_database_url(env: Mapping[str, str]) -> str:
    """The database URL alone, for commands that need no Slack settings (``db upgrade``)."""
    problems: list[str] = []
    url = _database_url(env, problems)
    if problems:
        raise ConfigError(problems)
    return url


def _database_url(env: Mapping[str, str], problems: list[str]) -> str:
    raw = env.get("DATABASE_URL", "").strip()
    url = normalize_database_url(raw) if raw else default_database_url()
    scheme = url.split(":", 1)[0]
    if scheme not in ("sqlite", "postgresql+psycopg") and not scheme.startswith(("sqlite+", "postgresql+")):
        problems.append(
            f"DATABASE_URL: unsupported database {scheme!r}; use postgres://… or sqlite:///path (or leave it unset)"
        )
    elif url.startswith("sqlite") and env.get("DYNO"):
        problems.append(
            "DATABASE_URL: SQLite cannot be shared between the web and clock dynos (DYNO is set); "
            "attach PostgreSQL and set DATABASE_URL"
        )
    return url


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Validate every setting; raise ConfigError listing one line per problem."""
    env = os.environ if env is None else env
    problems: list[str] = []

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    signing_secret = get("SLACK_SIGNING_SECRET")
    if signing_secret is None:
        problems.append("SLACK_SIGNING_SECRET: missing; copy it from your Slack app's Basic Information page")

    bot_token, app_token = get("SLACK_BOT_TOKEN"), get("SLACK_APP_TOKEN")
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: malformed; a bot token starts with xoxb-")
    if app_token is not None and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN: malformed; an app-level token starts with xapp-")
    if (client_id is None) != (client_secret is None):
        missing = "SLACK_CLIENT_SECRET" if client_secret is None else "SLACK_CLIENT_ID"
        problems.append(
            f"{missing}: missing; the OAuth install flow needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
        )
    if bot_token is None and client_id is None and client_secret is None:
        problems.append(
            "SLACK_BOT_TOKEN: missing; set it for one workspace, or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET for many"
        )
    if app_token is not None and bot_token is None:
        problems.append("SLACK_APP_TOKEN: Socket Mode serves one workspace and needs SLACK_BOT_TOKEN too")

    slack_api_url = get("SLACK_API_URL") or SLACK_API_DEFAULT
    parsed = urlparse(slack_api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"SLACK_API_URL: malformed {slack_api_url!r}; expected e.g. https://slack.com/api/")
    elif not slack_api_url.endswith("/"):
        slack_api_url += "/"

    port_raw = get("PORT") or "3000"
    port = 3000
    if not port_raw.isdigit() or not 0 <= int(port_raw) <= 65535:
        problems.append(f"PORT: malformed {port_raw!r}; expected a number from 0 to 65535")
    else:
        port = int(port_raw)

    rate_raw = get("SLACK_WORKSPACE_RATE") or "5"
    workspace_rate = 5.0
    try:
        workspace_rate = float(rate_raw)
        if not 0 < workspace_rate <= 1000:
            raise ValueError
    except ValueError:
        problems.append(f"SLACK_WORKSPACE_RATE: malformed {rate_raw!r}; expected messages per second, e.g. 5")

    admins = _admins(get("NEXTSTEP_ADMINS"), oauth=client_id is not None, problems=problems)
    database_url = _database_url(env, problems)
    if problems:
        raise ConfigError(problems)
    assert signing_secret is not None
    return Config(
        signing_secret=signing_secret,
        database_url=database_url,
        slack_api_url=slack_api_url,
        bot_token=bot_token,
        app_token=app_token,
        client_id=client_id,
        client_secret=client_secret,
        port=port,
        workspace_rate=workspace_rate,
        admins=admins,
    )


def _admins(raw: str | None, *, oauth: bool, problems: list[str]) -> frozenset[str]:
    """NEXTSTEP_ADMINS: comma-separated Slack member ids (spaces and a stray comma forgiven)."""
    if raw is None:
        return frozenset()
    if oauth:
        problems.append(
            "NEXTSTEP_ADMINS: only for one workspace (SLACK_BOT_TOKEN); with SLACK_CLIENT_ID each "
            "workspace's admins are its Slack admins and owners and whoever installed the app"
        )
        return frozenset()
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    bad = [i for i in ids if not SLACK_USER_ID.fullmatch(i)]
    if bad or not ids:
        shown = ", ".join(repr(i) for i in bad) or repr(raw)
        problems.append(
            f"NEXTSTEP_ADMINS: malformed {shown}; expected Slack member ids separated by commas, "
            "e.g. U024BE7LH,U0G9QF9C6 (in Slack: open their profile, then More, then Copy member ID)"
        )
        return frozenset()
    return frozenset(ids)
