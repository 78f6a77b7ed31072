"""Every misconfiguration an operator can make: one line naming what to fix, a non-zero exit, no traceback.

Each case runs the real CLI in its own process, as Heroku or an operator's shell would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime.migrate import upgrade
from tests.e2e.conftest import SECRET

ROOT = Path(__file__).parents[2]
NEXTSTEP = [sys.executable, "-m", "bot.runtime.cli"]
# Nothing listens on port 1: a PostgreSQL server that is down.
PG_DOWN = "postgresql://postgres:hunter2@127.0.0.1:1/nextstep"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: list[str], cwd: Path, timeout: float = 60, **values: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("SLACK_", "DATABASE_URL", "DYNO", "PORT", "LOG_", "WEB_CONCURRENCY", "GUNICORN_")
        )
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [*NEXTSTEP, *args], env=env | values, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode != 0, result
    assert result.stderr.splitlines() == [line], result.stderr
    assert "Traceback" not in result.stdout + result.stderr


SETTINGS = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-T1"}


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        (
            "LOG_LEVEL",
            "verbose",
            "nextstep: LOG_LEVEL: malformed 'verbose'; expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        ("LOG_FORMAT", "xml", "nextstep: LOG_FORMAT: malformed 'xml'; expected text or json"),
        (
            "WEB_CONCURRENCY",
            "abc",
            "nextstep: WEB_CONCURRENCY: malformed 'abc'; expected a whole number from 1 to 64",
        ),
        (
            "GUNICORN_THREADS",
            "0",
            "nextstep: GUNICORN_THREADS: malformed '0'; expected a whole number from 1 to 256",
        ),
        (
            "SLACK_WORKSPACE_RATE",
            "fast",
            "nextstep: SLACK_WORKSPACE_RATE: malformed 'fast'; expected messages per second, e.g. 5",
        ),
        ("PORT", "eighty", "nextstep: PORT: malformed 'eighty'; expected a number from 0 to 65535"),
    ],
)
def test_a_malformed_setting_stops_serve_with_one_line(tmp_path, name, value, line):
    result = run(["serve"], tmp_path, **SETTINGS, **{name: value})
    assert result.returncode == 2
    assert_one_line(result, line)


def test_db_upgrade_with_postgresql_down_says_it_is_unreachable(tmp_path):
    result = run(["db", "upgrade"], tmp_path, DATABASE_URL=PG_DOWN)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("nextstep: DATABASE_URL: PostgreSQL at 127.0.0.1:1/nextstep is unreachable (")
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_db_upgrade_into_a_folder_that_does_not_exist_names_the_folder(tmp_path):
    result = run(["db", "upgrade"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/missing/x.sqlite")
    assert result.returncode == 2
    assert_one_line(
        result,
        f"nextstep: DATABASE_URL: the folder {tmp_path}/missing does not exist; "
        "create it or point DATABASE_URL elsewhere",
    )
    assert not (tmp_path / "missing").exists()


def test_serve_with_postgresql_down_says_unreachable_not_unmigrated(tmp_path):
    result = run(["serve"], tmp_path, **SETTINGS, DATABASE_URL=PG_DOWN, PORT=str(closed_port()))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("nextstep: DATABASE_URL: PostgreSQL at 127.0.0.1:1/nextstep is unreachable (")
    assert "db upgrade" not in line and "hunter2" not in line


def test_serve_with_slack_unreachable_says_so_not_refused(databases, tmp_path):
    url = databases.create()
    upgrade(url)
    port = closed_port()
    result = run(
        ["serve"],
        tmp_path,
        **SETTINGS,
        DATABASE_URL=url,
        SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
        PORT=str(closed_port()),
    )
    assert result.returncode == 2
    assert_one_line(
        result,
        f"nextstep: SLACK_API_URL: Slack is unreachable at http://127.0.0.1:{port}/api/ (URLError); "
        "check the network",
    )


def test_serve_with_a_token_slack_refuses_says_refused(fake, databases, tmp_path):
    url = databases.create()
    upgrade(url)
    result = run(
        ["serve"],
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-revoked",
        DATABASE_URL=url,
        SLACK_API_URL=fake.api_url,
        PORT=str(closed_port()),
    )
    assert result.returncode == 2
    assert_one_line(result, "nextstep: SLACK_BOT_TOKEN: Slack refused it (invalid_auth)")


@pytest.mark.parametrize("command", [["clock"], ["tick", "--at", "2026-12-01T09:00:00Z"]])
def test_clock_on_a_database_never_migrated_stops_with_one_line(databases, fake, tmp_path, command):
    url = databases.create()
    result = run(command, tmp_path, **SETTINGS, DATABASE_URL=url, SLACK_API_URL=fake.api_url, timeout=30)
    assert result.returncode == 2
    assert_one_line(
        result,
        "nextstep: DATABASE_URL: the database is not ready (no schema); run `nextstep db upgrade` first",
    )


def test_tick_with_an_instant_without_offset_says_how_to_write_it(tmp_path):
    result = run(["tick", "--at", "2026-12-01T09:00"], tmp_path, **SETTINGS)
    assert result.returncode == 2
    assert_one_line(result, "nextstep: --at: give the offset, e.g. 2026-12-01T09:00:00+00:00 or ...Z")


def test_a_gunicorn_worker_that_cannot_boot_stops_the_master_instead_of_respawning(databases, fake, tmp_path):
    """A worker can still fail after the master's checks (here: gunicorn run by hand on app:wsgi_app).

    One worker: when several fail at once, gunicorn's master can be halting for the first when
    the second's SIGCHLD raises its HaltServer again (exit 1 with gunicorn's own traceback; it
    still stops, and `nextstep serve` checks in the master first so its workers don't get here).
    """
    url = databases.create()  # never migrated
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "app:wsgi_app()",
            "--bind",
            f"127.0.0.1:{closed_port()}",
            "--workers",
            "1",
        ],
        env=env | SETTINGS | {"DATABASE_URL": url, "SLACK_API_URL": fake.api_url, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3  # gunicorn's "worker failed to boot": the master halted
    lines = result.stderr.splitlines()
    boots = [line for line in lines if "Booting worker" in line]
    assert len(boots) <= 2, f"workers respawned: {len(boots)} boots"
    assert "Traceback" not in result.stderr
    assert (
        "nextstep: DATABASE_URL: the database is not ready (no schema); run `nextstep db upgrade` first"
        in lines
    )
