"""`nextstep demo`: the real app against the sandbox, read the way a person reads the terminal."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.runtime.demo import CHART_NAME, run_demo
from models import Meeting, Workspace, make_engine

REPO = Path(__file__).resolve().parents[2]
REPS = [
    ("Maria Lopez", "Europe/Berlin"),
    ("Sam Park", "America/Los_Angeles"),
    ("Priya Raman", "Asia/Kolkata"),
]
TEAM_ID = re.compile(r"Slack team id (T[0-9A-F]{8})")
FRAME = re.compile(r"^╭─ ([^·]+) · ([^·]+) · ([\w/]+), (\w{3}) (\d\d):(\d\d) ─+\n((?:│.*\n)*?)╰─+$", re.M)


# ---------------------------------------------------------------------- what must not be printed

# Each of Slack's marks, written independently of bot/sandbox/render.py's rules.
RAW_MRKDWN = {
    "bold": re.compile(r"(?:^|[\s(“\"'])\*[^*\s][^*\n]*\*(?=$|[\s.,:;!?)”\"'])", re.M),
    "italics": re.compile(r"(?:^|[\s(“\"'])_[^_\s][^_\n]*_(?=$|[\s.,:;!?)”\"'])", re.M),
    "strikethrough": re.compile(r"(?:^|[\s(“\"'])~[^~\s][^~\n]*~(?=$|[\s.,:;!?)”\"'])", re.M),
    "quote": re.compile(r"^[│┃ ]*(?:>|&gt;)", re.M),
    "code": re.compile(r"`"),
    "emoji code": re.compile(r":[a-z0-9_+-]*[a-z][a-z0-9_+-]*:"),
    "link or mention": re.compile(r"<[^<>\s]*[|@#!][^<>]*>|<https?:[^>]*>"),
    "escaped entity": re.compile(r"&(?:lt|gt|amp);"),
}


def raw_mrkdwn(text: str) -> list[tuple[str, str]]:
    """Every piece of Slack markup left in ``text``: (what it is, the line it is on)."""
    found = []
    for name, pattern in RAW_MRKDWN.items():
        for match in pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            found.append((name, text[start : end if end != -1 else len(text)]))
    return found


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("│ *When:* Thursday", "bold"),
        ("Not ranked _yet_.", "italics"),
        ("was ~Friday~ Monday", "strikethrough"),
        ("│ >Can we book it?", "quote"),
        ("│ │ &gt; quoted", "quote"),
        ("log it with `/meeting`", "code"),
        ("```block```", "code"),
        ("│ :bulb: Asking is half", "emoji code"),
        ("see <https://x.example|the doc>", "link or mention"),
        ("ping <@U0SAM>", "link or mention"),
        ("in <#C0SALES>", "link or mention"),
        ("a &amp; b", "escaped entity"),
    ],
)
def test_the_checker_finds_each_raw_mark(text: str, kind: str) -> None:
    assert kind in {name for name, _ in raw_mrkdwn(text)}


def test_the_checker_leaves_plain_text_alone() -> None:
    plain = (
        "│ When: Thursday 3 December 2026, 10:00 (Europe/Berlin)\n"
        "│ ▎ Can we book a working session for Monday at 2pm?\n"
        "│ 💡 Asking is half of it · 2*3*4 · snake_case · a -> b · <…> · 10:00:30\n"
        "│ What did you ask for?: <…>   [📅 Pick a date and time]"
    )
    assert raw_mrkdwn(plain) == []


# ---------------------------------------------------------------------- reading the output


def frames(text: str) -> list[tuple[str, str, str, str, int, int, str]]:
    """Each framed surface: (person, surface, timezone, weekday, hour, minute, body)."""
    return [(p, s, tz, day, int(h), int(m), body) for p, s, tz, day, h, m, body in FRAME.findall(text)]


def chapter(text: str, number: int) -> str:
    start = text.index(f"═══ {number}. ")
    end = text.find(f"═══ {number + 1}. ", start)
    return text[start : end if end != -1 else len(text)]


def assert_reads_like_slack(text: str) -> None:
    """What a rep checks in the output: every person, every coaching outcome, no machine talk."""
    for name, tz in REPS:
        assert f"{name} · DM from Next Step · {tz}" in text, name

    # Booked, with prep: the date in Maria's own timezone, calendar links, the missing evaluation criteria.
    assert re.search(r"When: \w+day \d{1,2} \w+ \d{4}, 10:00 \(Europe/Berlin\)", text)
    assert "[Add to Google Calendar ↗] [Add to Outlook ↗]" in text
    assert re.search(r"Who will attend\? Dana Weber \(VP Ops\), Lars Kühn \(CFO\)", text)
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
        r"Booked: Globex Manufacturing opportunity\n│ \w+day [^\n]*14:00 \(America/Los_Angeles\)", text
    )
    assert "(edited)" in text

    # Hesitant: a smaller step that is still on the calendar, the suggestion shown as a quote.
    assert "Hesitant: make the next step smaller, and still scheduled" in text
    assert re.search(r"A smaller step, still scheduled\n│ ▎ Could we", text)

    # Declined: replace the prospect, with the rep's accounts that have no open deal, then a new deal.
    assert "Declined: replace this prospect now" in text
    assert "[Add a replacement deal]" in text
    for account in ("Hampi Stone Co.", "Malnad Coffee Traders", "Mysore Silk Works"):
        assert f"{account}  [Log a meeting]" in text
    assert re.search(r"Added Estate-to-port logistics at Malnad Coffee Traders, replacing", text)

    # The open-ended ask called a scheduled meeting: graded down, and why.
    assert "names no day or time — graded" in text and "open-ended." in text
    assert re.search(r"Ask graded:\s*(?:│\s*›\s*)?Open-ended follow-up", text)

    # Nothing a person shouldn't have to read, and nothing the product cannot do.
    assert raw_mrkdwn(text) == [], raw_mrkdwn(text)[:5]
    assert '{"' not in text and '"type"' not in text and "Traceback" not in text
    assert "CRM" not in text and not re.search(r"\bimport", text, re.I) and "Karnataka" not in text
    assert "Database:" in text
    assert 250 <= text.count("\n") <= 650


def assert_one_timeline(text: str) -> None:
    """Every frame is dated by the simulated clock, and each says what was true at that moment."""
    start = re.search(r"the story starts on (\w+day) (\d+ \w+ \d{4}), 15:00 UTC", text)
    assert start and start.group(1) == "Wednesday"
    story = datetime.strptime(start.group(2), "%d %B %Y").replace(tzinfo=UTC)

    # The story's scenes happen on the Wednesday, at 15:00 UTC: 16:00 or 17:00 in Berlin.
    for person, _surface, tz, day, hour, _minute, _ in frames(text[: text.index("═══ 7. ")]):
        assert day == "Wed", (person, day)
        if tz == "Europe/Berlin":
            assert hour in (16, 17)

    # The week: nudges inside each rep's working hours, the board and digest on Monday morning.
    week = chapter(text, 7)
    shown = frames(week)
    assert len(shown) >= 8
    nudges = [f for f in shown if f[6].startswith("│ Your next steps")]
    assert {f[0] for f in nudges} == {"Maria Lopez", "Sam Park", "Priya Raman"}
    for person, _surface, _tz, day, hour, _minute, _ in nudges:
        assert day not in ("Sat", "Sun") and 9 <= hour < 18, (person, day, hour)
    for needed in ("Reminder 1 of 3", "Reminder 2 of 3", "Coming up:", "How did it go?"):
        assert needed in week, needed
    board = next(f for f in shown if f[1] == "#sales")
    assert board[3:6] == ("Mon", 9, 0)  # Monday 09:00 Berlin, the workspace's set time
    # It reports the story's week, posted after it, and counts what that week held.
    monday = story - timedelta(days=2)
    assert re.search(rf"Field sales, week of {monday.day}\b", board[6]), board[6][:200]
    digest = next(f for f in shown if "Your team's pipeline" in f[6])
    assert digest[0] == "Sam Park" and digest[3] == "Mon"
    # The Globex pricing call (Tuesday 14:00 in Los Angeles) is asked about after it, not before.
    assert week.index("Coming up: “Pricing call with their CFO”") < week.index(
        "How did it go? “Pricing call with their CFO”"
    )

    # A week on, the App Home reads as of then: the Thursday review is overdue, a week old.
    home = next(f for f in frames(chapter(text, 8)) if f[1] == "App Home")
    assert home[3:5] == ("Wed", 9)
    assert "Overdue: was booked for Thu" in home[6]
    assert re.search(r"Last meeting 7\s+(?:│ │ )?days ago", home[6])


def assert_ranks_the_team(text: str) -> list[tuple[int, str, int, int]]:
    """The board ranks at least two reps, by booked rate: (place, name, rate, meetings)."""
    board = next(f for f in frames(chapter(text, 7)) if f[1] == "#sales")[6]
    ranked = [
        (int(place), name, int(rate), int(meetings))
        for place, name, rate, meetings in re.findall(
            r"│ (\d)\. ([A-Z]\w+ [A-Z]\w+) · [^—]*— (\d+)% booked · \d+% asked · (\d+) meetings", board
        )
    ]
    assert len(ranked) >= 2, board
    assert [r[0] for r in ranked] == sorted(r[0] for r in ranked) and ranked[0][0] == 1
    assert [r[2] for r in ranked] == sorted((r[2] for r in ranked), reverse=True)
    assert all(meetings >= 3 for *_, meetings in ranked)  # the workspace's minimum to rank
    assert "Not ranked yet" not in board or len(ranked) >= 2
    return ranked


# ---------------------------------------------------------------------- the runs


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR) ")


def test_the_cli_demo_reads_well_and_leaves_nothing_behind(tmp_path: Path) -> None:
    work, scratch = tmp_path / "work", tmp_path / "tmpdir"
    work.mkdir()
    scratch.mkdir()
    system_tmp = Path(tempfile.gettempdir())
    before = {p.name for p in system_tmp.iterdir() if "nextstep" in p.name}
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TMPDIR"] = str(scratch)
    # The checkout under test, whichever checkout the editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "demo"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    text = done.stdout
    assert done.returncode == 0, text[-3000:] + done.stderr[-3000:]
    # The story is what the people read: no log line of the app interrupts it.
    logged = [line for line in (text + done.stderr).splitlines() if LOG_LINE.match(line)]
    assert logged == [], logged
    assert_reads_like_slack(text)
    assert_one_timeline(text)
    ranked = assert_ranks_the_team(text)
    assert [(name, rate, meetings) for _, name, rate, meetings in ranked] == [
        ("Maria Lopez", 75, 4),  # three booked of Monday's, Tuesday's and today's four
        ("Priya Raman", 33, 3),
        ("Sam Park", 25, 4),
    ]

    # The throwaway database went with the temporary folder; the chart is where the demo says.
    assert "Database:  a throwaway SQLite file, deleted when the demo ends" in text
    assert list(scratch.iterdir()) == []
    # Other processes (another test run's in-process demo) may use the system's temp folder
    # meanwhile, so only what names this run's workspace is this run's.
    team_id = TEAM_ID.search(text).group(1)  # type: ignore[union-attr]
    new = {p.name for p in system_tmp.iterdir() if "nextstep" in p.name} - before
    assert not {name for name in new if team_id in name}, new
    assert [p.name for p in work.iterdir()] == [CHART_NAME]
    assert f"open it to see what Slack shows:\n    {work / CHART_NAME}\n" in text
    assert (work / CHART_NAME).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def shape(text: str) -> list[str]:
    """What a second run must repeat: the chapters, who sees what and when, and every figure."""
    lines = [line for line in text.splitlines() if not TEAM_ID.search(line)]
    return [re.sub(r"T[0-9A-F]{8}", "T…", line) for line in lines]


def test_each_run_starts_from_a_fresh_database(tmp_path: Path) -> None:
    now = datetime(2026, 3, 30, 12, tzinfo=UTC)  # the week Europe's clocks changed (29 March)
    runs = []
    for _ in range(2):
        out = io.StringIO()
        assert run_demo(None, out, now=now, chart_dir=tmp_path) == 0, out.getvalue()[-3000:]
        runs.append(out.getvalue())
    first, second = runs
    assert TEAM_ID.search(first).group(1) != TEAM_ID.search(second).group(1)  # type: ignore[union-attr]
    assert shape(first) == shape(second)  # nothing carried over: same figures, same messages
    assert "the story starts on Wednesday 25 March 2026, 15:00 UTC" in first
    assert_one_timeline(first)
    assert len(assert_ranks_the_team(first)) >= 2
    assert [p.name for p in tmp_path.iterdir()] == [CHART_NAME]


def test_a_database_given_is_used_and_must_hold_no_workspace(databases, tmp_path: Path) -> None:
    url = databases.create()
    out = io.StringIO()
    assert run_demo(url, out, chart_dir=tmp_path) == 0, out.getvalue()[-3000:]
    assert "throwaway" not in out.getvalue()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            meetings = session.scalar(select(func.count()).select_from(Meeting))
            assert meetings and session.scalar(select(func.count()).select_from(Workspace)) == 1

        # Again on the same database: its clock would sweep the first run's data, so it says no.
        again = io.StringIO()
        assert run_demo(url, again, chart_dir=tmp_path) == 1
        lines = again.getvalue().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("nextstep demo: ")
        assert "already holds 1 workspace(s)" in lines[0] and "empty database" in lines[0]
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Meeting)) == meetings
    finally:
        engine.dispose()


def test_an_unusable_database_ends_with_one_clear_line():
    out = io.StringIO()
    assert run_demo("mysql://nobody@127.0.0.1/nothing", out) == 1
    assert out.getvalue().strip().splitlines() == [
        "nextstep demo: DATABASE_URL: unsupported database 'mysql'; "
        "use postgres://… or sqlite:///path (or leave it unset)"
    ]
