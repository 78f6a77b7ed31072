"""`nextstep check` after a deploy: one line per check, and an exit code a script can trust."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.runtime.migrate import upgrade
from models import ClockSweep, make_engine, make_session_factory
from tests.e2e.conftest import SECRET

ROOT = Path(__file__).parents[2]


def check(cwd: Path, **values: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "DYNO", "LOG_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "check"],
        env=env | values,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def migrated_with_a_sweep(databases, minutes_ago: float) -> str:
    url = databases.create()
    upgrade(url)
    engine = make_engine(url)
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with make_session_factory(engine)() as session:
        session.add(
            ClockSweep(worker="clock", as_of=at, started_at=at, finished_at=at, claimed=0, sent=0, failed=0)
        )
        session.commit()
    engine.dispose()
    return url


def test_a_healthy_deployment_passes_every_check(fake, databases, tmp_path):
    url = migrated_with_a_sweep(databases, minutes_ago=1)
    result = check(
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=url,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   settings",
        "ok   database",
        "ok   slack T1",
        "ok   clock",
    ]
    assert lines[2] == "ok   slack T1: auth.test answers for Acme Sales"
    assert lines[3].startswith("ok   clock: last sweep ") and lines[3].endswith(" s ago")
    assert result.stderr == ""


def test_a_broken_deployment_fails_with_a_line_per_problem(fake, databases, tmp_path):
    url = migrated_with_a_sweep(databases, minutes_ago=25)
    result = check(
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=url,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [line for line in lines[:2] if line.startswith("ok   ")]
    assert lines[2] == "FAIL slack: SLACK_BOT_TOKEN: Slack refused it (invalid_auth)"
    assert lines[3] == "FAIL clock: last sweep 25 min ago; is it running? (Heroku: `heroku ps:scale clock=1`)"


def test_an_unmigrated_database_is_named_and_the_rest_is_not_guessed(fake, databases, tmp_path):
    result = check(
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=databases.create(),
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        "FAIL database: DATABASE_URL: the database is not ready (no schema); run `nextstep db upgrade` first",
        "---- Slack and clock not checked: the database is needed for both",
    ]


def test_bad_settings_fail_the_check_one_line_each(tmp_path):
    result = check(tmp_path, SLACK_BOT_TOKEN="xoxb-T1", LOG_LEVEL="INFO")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "FAIL settings: SLACK_SIGNING_SECRET: missing; copy it from your Slack app's Basic Information page",
        "---- database, Slack and clock not checked: fix the settings first",
    ]
