"""`nextstep clock` as its dyno runs it: quiet when idle, JSON lines on request, a clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.runtime.migrate import upgrade
from models import ClockSweep, make_engine
from tests.e2e.conftest import SECRET

ROOT = Path(__file__).parents[2]


def test_an_idle_clock_logs_nothing_at_info_and_stops_on_sigterm_with_one_line(fake, databases, tmp_path):
    url = databases.create()
    upgrade(url)
    engine = make_engine(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_"))}
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot.runtime.cli", "clock"],
        env=env
        | {
            "PYTHONPATH": str(ROOT),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-T1",
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "LOG_FORMAT": "json",
        },
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        with engine.connect() as conn:  # the first sweep runs at start
            while not conn.execute(select(func.count()).select_from(ClockSweep)).scalar():
                assert clock.poll() is None, clock.stdout.read().decode() if clock.stdout else ""
                assert time.monotonic() < deadline, "the clock never swept"
                time.sleep(0.1)
                conn.rollback()
        time.sleep(0.5)
        clock.send_signal(signal.SIGTERM)
        code = clock.wait(timeout=25)
    finally:
        if clock.poll() is None:
            clock.kill()
        output = clock.communicate(timeout=10)[0].decode()
        engine.dispose()
    assert code == 0, output
    records = [json.loads(line) for line in output.splitlines()]  # one JSON object per line
    assert all({"time", "level", "logger", "message", "team", "request"} <= r.keys() for r in records)
    messages = [r["message"] for r in records]
    # An idle sweep says nothing: start and stop are the only lines.
    assert len(messages) == 2, messages
    assert messages[0].startswith("clock started (")
    assert messages[1] == "stopped on SIGTERM between sweeps; nothing was in progress"
    assert "xoxb-T1" not in output and SECRET not in output
