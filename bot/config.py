"""Configuration: read from the environment once, validated at start-up, passed down.

Nothing else in the project reads ``os.environ``. Two libraries read their own variables:
slack_bolt's ``App`` falls back to SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CLIENT_ID,
SLACK_CLIENT_SECRET and SLACK_VERIFICATION_TOKEN when not given them (``handlers.create_app``
gives it the validated ones), and gunicorn's config module reads WEB_CONCURRENCY when it is
imported (``nextstep serve`` validates it here first and passes both worker settings explicitly).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

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
    # gunicorn, for `nextstep serve`: worker processes and threads per worker.
    web_concurrency: int = 2
    gunicorn_threads: int = 8
    # Per web worker: listeners' work after their ack running at once (handlers.after_ack).
    after_ack_slots: int = 4

    @property
    def multi_workspace(self) -> bool:
        """OAuth install flow (many workspaces) rather than one static bot token."""
        return self.client_id is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def redacted(self) -> dict[str, str | int | None]:
        """What may be logged: no secret, no token, no password."""
        return {
            "mode": "oauth" if self.multi_workspace else ("socket" if self.app_token else "single"),
            "database": redact_database_url(self.database_url),
            "slack_api_url": self.slack_api_url,
            "port": self.port,
        }


def redact_database_url(url: str) -> str:
    """The URL with its password component (only) masked, as SQLAlchemy renders it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    format: str = "text"


def load_log_settings(env: Mapping[str, str] | None = None) -> LogSettings:
    """LOG_LEVEL and LOG_FORMAT, read first: every command logs, whatever else it needs."""
    env = os.environ if env is None else env
    problems: list[str] = []
    level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if level not in LOG_LEVELS:
        problems.append(
            f"LOG_LEVEL: malformed {env.get('LOG_LEVEL', '')!r}; expected one of {', '.join(LOG_LEVELS)}"
        )
    fmt = (env.get("LOG_FORMAT", "").strip() or "text").lower()
    if fmt not in LOG_FORMATS:
        problems.append(f"LOG_FORMAT: malformed {env.get('LOG_FORMAT', '')!r}; expected text or json")
    if problems:
        raise ConfigError(problems)
    return LogSettings(level=level, format=fmt)


def demo_database_url(env: Mapping[str, str] | None = None) -> str | None:
    """`nextstep demo` uses DATABASE_URL only when the operator set it (else a throwaway one)."""
    env = os.environ if env is None else env
    return env.get("DATABASE_URL", "").strip() or None


def _positive_int(env: Mapping[str, str], name: str, default: int, upper: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= upper:
        problems.append(f"{name}: malformed {raw!r}; expected a whole number from 1 to {upper}")
        return default
    return int(raw)


def normalize_database_url(url: str) -> str:
    """Accept Heroku's ``postgres://`` and pick the psycopg 3 driver for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def default_database_url(cwd: Path | None = None) -> str:
    return f"sqlite:///{(cwd or Path.cwd()) / 'nextstep.sqlite'}"


def load_database_url(env: Mapping[str, str] | None = None) -> str:
    """The database URL alone, for commands that need no Slack settings (``db upgrade``)."""
    env = os.environ if env is None else env
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
    web_concurrency = _positive_int(env, "WEB_CONCURRENCY", 2, 64, problems)
    gunicorn_threads = _positive_int(env, "GUNICORN_THREADS", 8, 256, problems)
    after_ack_slots = _positive_int(env, "AFTER_ACK_SLOTS", 4, 64, problems)

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
        web_concurrency=web_concurrency,
        gunicorn_threads=gunicorn_threads,
        after_ack_slots=after_ack_slots,
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
