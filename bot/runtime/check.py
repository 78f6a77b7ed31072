"""`nextstep check`: is this deployment working? One line per check, non-zero exit if any failed.

Settings, the database (reachable, migrated to head), Slack (auth.test with each workspace's
token), and the clock (how long ago it last swept). Run it after every deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import Engine, select

from bot.config import Config, ConfigError, load_config, redact_database_url
from bot.runtime.clock_watch import STALE_AFTER, last_sweep_at
from bot.runtime.readiness import require_database, slack_identity
from bot.slack.tokens import token_source
from models import Workspace, make_engine, make_session_factory


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def run_checks(out: TextIO, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    failed = 0

    def say(ok: bool, what: str, detail: str) -> None:
        nonlocal failed
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}", file=out, flush=True)

    try:
        config = load_config()
    except ConfigError as error:
        for line in error.problems:
            say(False, "settings", line)
        print("---- database, Slack and clock not checked: fix the settings first", file=out)
        return 1
    mode = "many workspaces (OAuth)" if config.multi_workspace else "one workspace (bot token)"
    say(True, "settings", f"{mode}, database {redact_database_url(config.database_url)}")

    engine = make_engine(config.database_url)
    try:
        try:
            require_database(engine)
        except ConfigError as error:
            say(False, "database", error.problems[0])
            print("---- Slack and clock not checked: the database is needed for both", file=out)
            return 1
        say(True, "database", "reachable, schema at the latest revision")
        _check_slack(config, engine, say)
        with make_session_factory(engine)() as session:
            last = last_sweep_at(session)
        if last is None:
            say(False, "clock", "has never swept; start it (Heroku: `heroku ps:scale clock=1`)")
        else:
            age = (now() - last).total_seconds()
            fresh = age < STALE_AFTER.total_seconds()
            hint = "" if fresh else "; is it running? (Heroku: `heroku ps:scale clock=1`)"
            say(fresh, "clock", f"last sweep {_age(age)} ago{hint}")
    finally:
        engine.dispose()
    return 1 if failed else 0


def _check_slack(config: Config, engine: Engine, say: Callable[[bool, str, str], None]) -> None:
    if not config.multi_workspace:
        assert config.bot_token is not None
        try:
            identity = slack_identity(config.slack_api_url, config.bot_token)
        except ConfigError as error:
            say(False, "slack", error.problems[0])
            return
        say(True, f"slack {identity.get('team_id')}", f"auth.test answers for {identity.get('team')!s}")
        return
    tokens = token_source(config, engine)
    with make_session_factory(engine)() as session:
        teams = list(
            session.execute(
                select(Workspace.team_id, Workspace.name).where(
                    Workspace.uninstalled_at.is_(None), Workspace.tokens_revoked_at.is_(None)
                )
            )
        )
    if not teams:
        say(True, "slack", "no workspace installed yet; send an admin to /slack/install")
        return
    for team_id, name in teams:
        token = tokens.bot_token(team_id)
        if token is None:
            say(False, f"slack {team_id}", f"{name}: no bot token stored; reinstall the app there")
            continue
        try:
            slack_identity(config.slack_api_url, token, setting=f"the bot token of {name or team_id}")
        except ConfigError as error:
            say(False, f"slack {team_id}", error.problems[0])
            continue
        say(True, f"slack {team_id}", f"auth.test answers for {name or team_id}")
