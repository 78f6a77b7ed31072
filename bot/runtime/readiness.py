"""Is this deployment ready to run? The database answers and is migrated; Slack answers the token.

Each check raises ConfigError with one line naming the setting to look at, so every process
(`serve`, `clock`, `tick`, `db upgrade`, `check`) stops on the same clear sentence instead of
a traceback. Unreachable and unmigrated are told apart: they have different fixes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.config import ConfigError

_SILENT = logging.getLogger("nextstep.readiness.slack_sdk")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False


def _where(database_url: str) -> str:
    try:
        url = make_url(database_url)
    except ArgumentError:
        return "the database"
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}" if url.database else "SQLite in memory"
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def sqlite_folder_problem(database_url: str) -> str | None:
    """A SQLite file in a folder that does not exist: SQLite only says 'unable to open'."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    folder = Path(url.database).expanduser().resolve().parent
    if not folder.is_dir():
        return f"DATABASE_URL: the folder {folder} does not exist; create it or point DATABASE_URL elsewhere"
    return None


def unreachable(database_url: str, error: BaseException) -> ConfigError:
    """The one line for a database that does not answer (not a schema problem)."""
    folder = sqlite_folder_problem(database_url)
    if folder:
        return ConfigError([folder])
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    detail = reason[0][:160] if reason else type(error).__name__
    return ConfigError(
        [f"DATABASE_URL: {_where(database_url)} is unreachable ({type(error).__name__}: {detail})"]
    )


def head_revision() -> str:
    from bot.runtime.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated); raises ConfigError if unreachable."""
    folder = sqlite_folder_problem(str(engine.url))
    if folder:
        raise ConfigError([folder])
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as error:
        raise unreachable(engine.url.render_as_string(hide_password=False), error) from None


def require_database(engine: Engine) -> None:
    """The database answers and its schema is the one this code needs."""
    current, head = schema_revision(engine), head_revision()
    if current == head:
        return
    at = "no schema" if current is None else f"schema at revision {current}, this version needs {head}"
    raise ConfigError([f"DATABASE_URL: the database is not ready ({at}); run `nextstep db upgrade` first"])


def slack_identity(api_url: str, token: str, setting: str = "SLACK_BOT_TOKEN") -> dict[str, Any]:
    """auth.test for the token: the team it belongs to; one line for each way it can fail."""
    # No retries and no slack_sdk error lines: the answer is this function's one line.
    client = WebClient(token=token, base_url=api_url, timeout=10, retry_handlers=[], logger=_SILENT)
    try:
        return dict(client.auth_test().data)  # type: ignore[arg-type]
    except SlackApiError as error:
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        raise ConfigError(
            [f"{setting}: Slack refused it ({code or f'HTTP {error.response.status_code}'})"]
        ) from None
    except Exception as error:  # connection refused, DNS, timeout, TLS: Slack never answered
        raise ConfigError(
            [f"SLACK_API_URL: Slack is unreachable at {api_url} ({type(error).__name__}); check the network"]
        ) from None
