"""Two clocks at once, and a clock killed mid-sweep: every due nudge reaches Slack, and once.

The real ``nextstep tick`` in separate OS processes, on a throwaway database of the backend
DATABASE_URL names (PostgreSQL, or a SQLite file), against the sandbox fake in this process.
The database is seeded directly (``tests/seeds/bulk.py``): one workspace, a rep per due nudge, each
with one next step agreed but not yet scheduled, so each rep is owed exactly one DM.

The one duplicate ``bot/clock/sweep.py`` allows: a clock dies after Slack accepted a DM and before
its rows are marked sent; the next sweep sends it again. With a workspace's DMs sent one at a
time, that is at most one DM per workspace per killed clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.runtime.migrate import upgrade
from bot.slackfake.fake import Call, FakeSlack
from models import ClockSweep, Nudge, Rep, make_engine
from tests.seeds.bulk import (
    SWEEP_AT,
    SeededRep,
    add_claimed_nudges,
    add_reps_with_due_unscheduled_steps,
    add_workspaces,
)

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T1"
TOKEN = "xoxb-T1"
SECRET = "sweep-concurrency-secret"
DUE = 400
# Kill the clock once this share of the DMs reached Slack.
KILL_AT = 0.3
# How long Slack holds the DM that is in flight when the clock is killed.
IN_FLIGHT_DELAY = 1.0
TICK_TIMEOUT = 120


@dataclass
class World:
    url: str
    engine: Engine
    fake: FakeSlack
    reps: list[SeededRep]
    logs: Path

    @property
    def users(self) -> set[str]:
        return {r.user_id for r in self.reps}


@pytest.fixture
def world(request: pytest.FixtureRequest, databases, tmp_path: Path) -> Iterator[World]:
    """``due`` reps (default DUE) owed a nudge; with ``claimed``, already claimed and unsent.

    Both are indirect parameters (``@pytest.mark.parametrize("world", [{...}], indirect=True)``).
    """
    options = getattr(request, "param", {})
    claimed = options.get("claimed", False)
    url = databases.create()
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        add_workspaces(conn, [TEAM])
        reps = add_reps_with_due_unscheduled_steps(conn, TEAM, options.get("due", DUE))
        if claimed:
            add_claimed_nudges(conn, reps)
    with FakeSlack() as fake:
        fake.add_workspace(TEAM, "Acme Sales", bot_token=TOKEN)
        for rep in reps:
            fake.add_user(TEAM, rep.user_id, rep.user_id.lower(), tz="UTC")
        yield World(url, engine, fake, reps, tmp_path)
        assert fake.internal_errors == []
    engine.dispose()


def start_tick(world: World, at: datetime, name: str, log_level: str = "WARNING") -> subprocess.Popen[bytes]:
    """``nextstep tick --at`` in its own process, as an operator (or a second clock) runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "DATABASE_URL"}
    env |= {
        "DATABASE_URL": world.url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": world.fake.api_url,
        # Pacing is not under test here: let the sweep go as fast as the fake answers.
        "SLACK_WORKSPACE_RATE": "1000",
        "LOG_LEVEL": log_level,
    }
    with open(world.logs / f"{name}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.runtime.cli", "tick", "--at", at.isoformat()],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def finish(world: World, process: subprocess.Popen[bytes], name: str) -> str:
    try:
        code = process.wait(timeout=TICK_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    output = (world.logs / f"{name}.log").read_text(errors="replace")
    assert code == 0, f"{name} exited {code}:\n{output[-3000:]}"
    return output.strip().splitlines()[-1]


def posted(fake: FakeSlack) -> list[Call]:
    """The DMs Slack accepted."""
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.status == 200 and c.response is not None and c.response.get("ok")
    ]


@dataclass(frozen=True)
class Row:
    """A nudge row as the assertions need it."""

    sent_at: datetime | None
    attempts: int
    message_ts: str | None


def rows_by_user(world: World) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    with world.engine.connect() as conn:
        for user, sent_at, attempts, ts in conn.execute(
            select(Rep.user_id, Nudge.sent_at, Nudge.attempts, Nudge.message_ts).join(
                Rep, Rep.id == Nudge.rep_id
            )
        ):
            found.setdefault(user, []).append(Row(sent_at, attempts, ts))
    return found


def assert_every_nudge_sent_once(world: World, figures: str) -> None:
    rows = rows_by_user(world)
    assert set(rows) == world.users, (
        f"reps without a claimed nudge: {len(world.users - set(rows))}; {figures}"
    )
    many = {u: len(n) for u, n in rows.items() if len(n) != 1}
    assert not many, f"reps with more than one nudge row: {len(many)}; {figures}"
    unsent = [u for u, (n,) in rows.items() if n.sent_at is None]
    assert not unsent, f"nudge rows never marked sent: {len(unsent)}; {figures}"
    # Each row points at a message Slack holds for that rep.
    ts_by_user: dict[str, set[str]] = {}
    for call in posted(world.fake):
        assert call.response is not None
        ts_by_user.setdefault(call.params["channel"], set()).add(call.response["ts"])
    wrong = [u for u, (n,) in rows.items() if n.message_ts not in ts_by_user.get(u, set())]
    assert not wrong, f"rows marked sent with a message Slack never took: {len(wrong)}; {figures}"


def two_clocks_at_once(world: World) -> str:
    """Two ``tick`` processes as of the same instant; asserts every nudge went out once."""
    a = start_tick(world, SWEEP_AT, "clock-a")
    b = start_tick(world, SWEEP_AT, "clock-b")
    summary_a, summary_b = finish(world, a, "clock-a"), finish(world, b, "clock-b")
    assert world.fake.wait_idle(quiet=0.2)

    recipients = Counter(c.params["channel"] for c in posted(world.fake))
    doubled = {u: n for u, n in recipients.items() if n > 1}
    figures = (
        f"{world.engine.dialect.name}: {len(world.reps)} due; Slack took {sum(recipients.values())} DMs for "
        f"{len(recipients)} reps, {len(doubled)} reps got more than one; "
        f"clock A: {summary_a!r}; clock B: {summary_b!r}"
    )
    with world.engine.connect() as conn:
        sweeps = conn.execute(select(ClockSweep.started_at, ClockSweep.finished_at)).all()
    assert len(sweeps) == 2, figures
    (start_1, end_1), (start_2, end_2) = sweeps
    assert start_1 < end_2 and start_2 < end_1, f"the two sweeps did not overlap: {sweeps}; {figures}"
    assert not doubled, f"duplicate DMs (first few: {sorted(doubled.items())[:5]}); {figures}"
    assert set(recipients) == world.users, (
        f"reps without a DM: {len(world.users - set(recipients))}; {figures}"
    )
    assert sum(recipients.values()) == len(world.reps), figures
    assert_every_nudge_sent_once(world, figures)
    for rows in rows_by_user(world).values():
        assert rows[0].attempts == 1, figures
    return figures


def test_two_clocks_sweeping_at_once_send_each_nudge_exactly_once(world: World) -> None:
    print(two_clocks_at_once(world))


@pytest.mark.parametrize("world", [{"claimed": True, "due": 300}], indirect=True, ids=["claimed"])
def test_two_clocks_delivering_the_same_claims_send_each_once(world: World) -> None:
    # Nothing left to plan: both clocks go straight to delivering the same rows, side by side.
    print(two_clocks_at_once(world))


@pytest.mark.parametrize("world", [{"due": 300}], indirect=True, ids=["300"])
def test_a_clock_killed_mid_sweep_leaves_only_the_documented_duplicates(world: World) -> None:
    fake = world.fake
    clock = start_tick(world, SWEEP_AT, "killed")
    deadline = time.monotonic() + TICK_TIMEOUT
    while len(posted(fake)) < KILL_AT * len(world.reps):
        assert clock.poll() is None, f"the clock ended before it was killed: {clock.returncode}"
        assert time.monotonic() < deadline, "the clock did not get to 30% of the DMs in time"
        time.sleep(0.005)
    # Hold the next DM in Slack for a moment and kill the clock while it waits for the answer:
    # Slack takes the message, the clock never marks it sent. The documented window, for sure.
    fake.inject("chat.postMessage", delay=IN_FLIGHT_DELAY)
    fake.wait_until(
        lambda: any(
            c.status == 0 and fake.wall_clock() - c.at > IN_FLIGHT_DELAY / 5
            for c in fake.calls_to("chat.postMessage")
        )
    )
    os.kill(clock.pid, signal.SIGKILL)
    clock.wait()
    assert fake.wait_idle(quiet=0.2)

    before_kill = Counter(c.params["channel"] for c in posted(fake))
    marked = {u for u, (n,) in rows_by_user(world).items() if n.sent_at is not None}
    # Sent to Slack but not marked sent: in flight when the process died.
    in_flight = set(before_kill) - marked
    assert marked <= set(before_kill), f"rows marked sent without a DM: {len(marked - set(before_kill))}"

    summary = finish(world, start_tick(world, SWEEP_AT + timedelta(minutes=1), "rerun"), "rerun")
    assert fake.wait_idle(quiet=0.2)

    recipients = Counter(c.params["channel"] for c in posted(fake))
    doubled = {u for u, n in recipients.items() if n > 1}
    figures = (
        f"{world.engine.dialect.name}: {len(world.reps)} due; killed after Slack took {sum(before_kill.values())} DMs, "
        f"{len(marked)} rows marked sent, {len(in_flight)} in flight; the rerun ({summary!r}) brought "
        f"Slack to {sum(recipients.values())} DMs for {len(recipients)} reps, {len(doubled)} reps twice"
    )
    assert set(recipients) == world.users, (
        f"reps without a DM: {len(world.users - set(recipients))}; {figures}"
    )
    assert max(before_kill.values()) == 1, figures
    # Every duplicate is a DM in flight at the kill: one, as DMs of a workspace go one at a time.
    assert doubled == in_flight, figures
    assert len(in_flight) == 1, figures
    assert max(recipients.values()) <= 2, figures
    assert sum(recipients.values()) == len(world.reps) + len(in_flight), figures
    assert_every_nudge_sent_once(world, figures)
    rerun_sent = {
        u for u, (n,) in rows_by_user(world).items() if n.sent_at == SWEEP_AT + timedelta(minutes=1)
    }
    assert rerun_sent == world.users - marked, figures
    print(figures)
