"""`nextstep demo`: the real app against the sandbox, read the way a person reads the terminal."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.runtime.demo import run_demo
from models import Meeting, Workspace, make_engine

REPO = Path(__file__).resolve().parents[2]
REPS = [
    ("Maria Lopez", "Europe/Berlin"),
    ("Sam Park", "America/Los_Angeles"),
    ("Priya Raman", "Asia/Kolkata"),
]
TEAM_ID = re.compile(r"Slack team id (T[0-9A-F]{8})")


def demo(url: str | None) -> str:
    out = io.StringIO()
    code = run_demo(url, out)
    text = out.getvalue()
    assert code == 0, text[-3000:]
    return text


def assert_reads_like_slack(text: str) -> None:
    """What a rep checks in the output: every person, every coaching outcome, no machine talk."""
    for name, tz in REPS:
        assert f"{name} · DM from Next Step · {tz}" in text, name

    # Booked, with prep: the date in Maria's own timezone, calendar links, the missing evaluation criteria.
    assert re.search(r"\w+day \d{1,2} \w+ \d{4}, 10:00 \(Europe/Berlin\)", text)
    assert "[Add to Google Calendar ↗] [Add to Outlook ↗]" in text
    assert re.search(r"Who will attend\?\W+Dana Weber \(VP Ops\), Lars Kühn \(CFO\)", text)
    assert "You don't know yet how you'll be evaluated" in text

    # The invalid submission: the error sits under the date field, in the modal.
    assert re.search(
        r"When is it booked for\? \(optional\): \[📅 Pick a date and time\]\n"
        r"(?:│ │ .*\n)*?│ │   ⚠ “Agreed and booked” needs the date and time you both agreed on\.",
        text,
    )

    # Agreed, not scheduled: phone tag, "Booked it", then the same DM edited in place, in Sam's time.
    assert "An unscheduled next step means phone tag" in text
    assert "[Booked it]" in text
    assert re.search(
        r"Booked:\W+Globex Manufacturing opportunity\W+\w+day [^\n]*14:00 \(America/Los_Angeles\)", text
    )
    assert "(edited)" in text

    # Hesitant: a smaller step that is still on the calendar.
    assert "Hesitant: make the next step smaller, and still scheduled" in text
    assert "A smaller step, still scheduled" in text

    # Declined: replace the prospect, with the rep's other accounts in the territory, then a new deal.
    assert "Declined: replace this prospect now" in text
    assert "[Add a replacement deal]" in text
    assert "Your accounts in Karnataka with no open deal" in text
    for account in ("Hampi Stone Co.", "Malnad Coffee Traders", "Mysore Silk Works"):
        assert f"{account}  [Log a meeting]" in text
    assert re.search(r"Added\W+Estate-to-port logistics\W+at\W+\w[^\n]*replacing", text)

    # The open-ended ask called a scheduled meeting: graded down, and why.
    assert "names no date — graded" in text and "open-ended." in text
    assert re.search(r"Ask graded:\s*(?:│\s*›\s*)?Open-ended follow-up", text)

    # The summary, and nothing a person shouldn't have to read.
    assert re.search(r"Maria Lopez\s+Europe/Berlin\s+1\s+1\s+100%", text)
    assert "Database:" in text
    assert '{"' not in text and '"type"' not in text and "Traceback" not in text
    # The weekly chapter: the team's board in #sales, its chart saved where the demo says, Sam's digest.
    assert "Next-step leaderboard: Field sales, week of" in text
    chart = re.search(r"saved to\s+(\S+\.png)", text)
    assert chart and Path(chart.group(1)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Your team's pipeline, week of" in text
    assert 150 <= text.count("\n") <= 560


NUDGE_FRAME = re.compile(r"· nudge · ([\w/]+), (\w{3}) (\d\d):(\d\d)")


def assert_the_clock_week_reads_right(text: str) -> None:
    """The simulated week: reminders, prep and "how did it go", each inside the rep's working hours."""
    week = text[text.index("The week that follows") :]
    assert "Reminder 1 of 3" in week and "Reminder 2 of 3" in week
    assert "Coming up:" in week and "How did it go?" in week
    frames = NUDGE_FRAME.findall(week)
    assert len(frames) >= 5
    for zone, day, hour, minute in frames:
        assert day not in ("Sat", "Sun"), (zone, day)
        assert 9 <= int(hour) < 18, (zone, day, hour, minute)


def test_demo_tells_each_rep_story_and_runs_again_on_the_same_database(databases):
    url = databases.create()
    first, second = demo(url), demo(url)
    for text in (first, second):
        assert_reads_like_slack(text)
    assert_the_clock_week_reads_right(first)
    first_team, second_team = TEAM_ID.search(first), TEAM_ID.search(second)
    assert first_team and second_team and first_team.group(1) != second_team.group(1)
    assert "It holds 10 meetings in 2 workspace(s)" in second

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            per_workspace = dict(
                session.execute(select(Meeting.team_id, func.count()).group_by(Meeting.team_id)).all()
            )
            assert per_workspace == {first_team.group(1): 5, second_team.group(1): 5}
            assert session.scalar(select(func.count()).select_from(Workspace)) == 2
    finally:
        engine.dispose()


def test_without_database_url_the_demo_uses_the_sqlite_file_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = demo(None)
    assert (tmp_path / "nextstep.sqlite").exists()
    assert f"Database: {tmp_path / 'nextstep.sqlite'}" in text


def test_console_script(tmp_path):
    script = shutil.which("nextstep", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if script is None:
        pytest.fail("the nextstep console script is not installed: pip install -e '.[dev]'")
    database = tmp_path / "demo.sqlite"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        # The checkout under test, whichever checkout the editable install points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [script, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert_reads_like_slack(done.stdout)
    assert f"Database: {database}" in done.stdout
    assert database.exists() and not (tmp_path / "nextstep.sqlite").exists()


def test_an_unusable_database_ends_with_one_clear_line():
    out = io.StringIO()
    assert run_demo("mysql://nobody@127.0.0.1/nothing", out) == 1
    assert out.getvalue().strip().splitlines() == [
        "nextstep demo: DATABASE_URL: unsupported database 'mysql'; "
        "use postgres://… or sqlite:///path (or leave it unset)"
    ]
