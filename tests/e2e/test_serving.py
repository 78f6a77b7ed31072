"""The processes operators run: `nextstep serve` (gunicorn), `nextstep db upgrade`, `python app.py`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import inspect

from bot.runtime.migrate import upgrade
from bot.slackfake.user import SlackUser
from models import make_engine
from tests.e2e.conftest import NEXTSTEP, SECRET, fill_booked_meeting

ROOT = Path(__file__).parents[2]
# The CLI of this checkout, in this interpreter (not whatever `nextstep` is first on PATH).


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(**values: str) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "DYNO", "PORT"))
    }
    return base | values


def test_nextstep_serve_runs_gunicorn_that_answers_slack(fake, databases, tmp_path):
    url = databases.create()
    subprocess.run(
        [*NEXTSTEP, "db", "upgrade"],
        env=env(DATABASE_URL=url),
        check=True,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    server = subprocess.Popen(
        [*NEXTSTEP, "serve"],
        env=env(
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_BOT_TOKEN="xoxb-T1",
            SLACK_API_URL=fake.api_url,
            DATABASE_URL=url,
            PORT=str(port),
            WEB_CONCURRENCY="1",
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        deadline = started + 30
        while True:
            try:
                # The master accepts before the worker has booted: a slow first answer is normal.
                health = requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert health.status_code == 200 and health.json()["database"] == "ok"
        print(f"gunicorn answered /healthz {time.monotonic() - started:.1f}s after start")
        maria = SlackUser(fake, f"{base}/slack/events", SECRET, "T1", "U1")
        assert maria.slash("/meeting").status == 200
        assert fake.wait_until(lambda: maria.view)["title"]["text"] == "Log a meeting"
        assert maria.slash("/meeting", signature="v0=forged").status == 401
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "xoxb-T1" not in output and SECRET not in output


def wait_for_health(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=5)
            return
        except requests.RequestException:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)


# Slack holds the coaching DM (sent after the meeting modal's ack) this long.
SLOW_DM = 4.0


def _coaching_dms(fake) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if "Proposal walkthrough" in json.dumps(c.params)]


def test_serve_logs_json_lines_and_lets_work_after_the_ack_finish_on_sigterm(fake, databases, tmp_path):
    url = databases.create()
    upgrade(url)
    port = free_port()
    server = subprocess.Popen(
        [*NEXTSTEP, "serve"],
        env=env(
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_BOT_TOKEN="xoxb-T1",
            SLACK_API_URL=fake.api_url,
            DATABASE_URL=url,
            PORT=str(port),
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="2",
            LOG_FORMAT="json",
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_health(server, base)
        maria = SlackUser(fake, f"{base}/slack/events", SECRET, "T1", "U1")
        # A request refused for its signature: its body (people's words) stays out of the log.
        assert maria.slash("/meeting", "Acme private words", signature="v0=forged").status == 401
        # Slack refuses the modal once: the warning carries the workspace and the request id.
        fake.inject("views.open", error="fatal_error")
        assert maria.slash("/meeting").status == 200
        fake.wait_until(lambda: fake.calls_to("views.open"))
        # Whatever the app says about the refused modal has been said before Slack is made slow:
        # only the coaching DM may meet the delay.
        fake.wait_idle(quiet=0.5)
        # The meeting is saved and acked at once; the coaching DM takes Slack 4 s, and the
        # server is stopped while it is on its way.
        fill_booked_meeting(maria, fake)
        fake.inject("chat.postMessage", delay=SLOW_DM)
        maria.wait_for_app = False  # the ack, not the DM after it
        answer = maria.submit()
        assert answer.status == 200 and answer.elapsed < SLOW_DM / 2, answer.elapsed
        fake.wait_until(lambda: _coaching_dms(fake))
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        stopped_in = time.monotonic() - signalled
    finally:
        if server.poll() is None:
            server.kill()
        output = server.communicate(timeout=30)[0].decode()
    assert code == 0, output[-3000:]
    # It waited for the DM (Slack answered it after SLOW_DM), within gunicorn's graceful timeout.
    assert SLOW_DM * 0.7 < stopped_in < 30, stopped_in
    (dm,) = _coaching_dms(fake)
    assert dm.status == 200 and dm.response and dm.response["ok"], output[-3000:]
    assert "Proposal walkthrough" in json.dumps(maria.last_dm())

    records = [json.loads(line) for line in output.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message", "team", "request"} <= r.keys() for r in records)
    loggers = {r["logger"] for r in records}
    assert "gunicorn.error" in loggers and "nextstep" in loggers, loggers
    (refused,) = [r for r in records if "refused" in r["message"]]
    assert refused["message"] == "Slack request refused (401): invalid or stale signature"
    (failed,) = [r for r in records if "views.open failed" in r["message"]]
    assert failed["team"] == "T1" and failed["level"] == "WARNING" and len(failed["request"]) == 12
    assert "Acme private words" not in output and "Acme+private+words" not in output
    assert not [r for r in records if "will be unused" in r["message"] or r["level"] == "ERROR"]
    assert "xoxb-T1" not in output and SECRET not in output
    print(f"gunicorn stopped {stopped_in:.1f}s after SIGTERM, once the coaching DM was sent")


def test_a_missing_setting_stops_start_up_with_one_line_naming_it(tmp_path):
    result = subprocess.run(
        [*NEXTSTEP, "serve"],
        env=env(SLACK_BOT_TOKEN="xoxb-1"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "nextstep: SLACK_SIGNING_SECRET: missing; copy it from your Slack app's Basic Information page"
    ]


def test_sqlite_on_heroku_is_refused_at_start_up(tmp_path):
    result = subprocess.run(
        [*NEXTSTEP, "serve"],
        env=env(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", DYNO="web.1"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith(
        "nextstep: DATABASE_URL: SQLite cannot be shared"
    )


def test_serving_an_unmigrated_database_says_to_upgrade_first(fake, tmp_path):
    result = subprocess.run(
        [*NEXTSTEP, "serve"],
        env=env(
            SLACK_SIGNING_SECRET="s",
            SLACK_BOT_TOKEN="xoxb-T1",
            SLACK_API_URL=fake.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite",
            WEB_CONCURRENCY="1",
            PORT=str(free_port()),
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "nextstep: DATABASE_URL: the database is not ready" in result.stderr + result.stdout
    assert "run `nextstep db upgrade` first" in result.stderr + result.stdout


def test_db_upgrade_builds_the_schema_in_the_working_directory_by_default(tmp_path):
    subprocess.run(
        [*NEXTSTEP, "db", "upgrade"], env=env(), cwd=tmp_path, check=True, capture_output=True, timeout=60
    )
    engine = make_engine(f"sqlite:///{tmp_path}/nextstep.sqlite")
    assert {"meetings", "next_steps", "slack_installations"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_app_py_uses_socket_mode_when_the_app_token_is_set(fake, monkeypatch, tmp_path):
    import slack_bolt.adapter.socket_mode as socket_mode

    import app as entry

    started: list[str] = []

    class RecordingHandler:
        def __init__(self, bolt_app, app_token):
            started.append(app_token)
            self.bolt_app = bolt_app

        def start(self):
            assert self.bolt_app is not None

    monkeypatch.setattr(socket_mode, "SocketModeHandler", RecordingHandler)
    upgrade(f"sqlite:///{tmp_path}/x.sqlite")
    for key, value in env(
        SLACK_SIGNING_SECRET="s",
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_APP_TOKEN="xapp-1",
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite",
    ).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SLACK_CLIENT_ID", raising=False)
    assert entry.main() == 0
    assert started == ["xapp-1"]


@pytest.mark.parametrize("argv", [["--help"], ["db", "--help"]])
def test_cli_help(argv):
    result = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", *argv], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0 and "usage: nextstep" in result.stdout
