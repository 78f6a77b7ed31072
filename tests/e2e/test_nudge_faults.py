"""Delivery against Slack's faults: every deliverable nudge arrives, the rest are marked with their reason.

Two workspaces swept together: a fault in one (or for one rep) never stops the other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.clock.deliver import Workspaces, deliver
from bot.clock.report import SweepReport
from bot.clock.sweep import plan_and_claim, sweep
from bot.domain.vocabulary import AskType, Reaction, RepStatus
from bot.services.meetings import MeetingForm, log_meeting
from bot.slack.outbox import Limits, SlackOutbox
from bot.slack.tokens import TokenSource
from bot.slackfake.fake import FakeSlack
from models import Nudge, Rep, Workspace, make_session_factory

BERLIN = ZoneInfo("Europe/Berlin")
LOGGED = datetime(2026, 11, 23, 10, tzinfo=BERLIN).astimezone(UTC)  # Monday 10:00
DUE = datetime(2026, 11, 23, 12, tzinfo=BERLIN).astimezone(UTC)  # the first reminder's time


class MultiTokens(TokenSource):
    """The installation store's answer, per workspace (as in OAuth mode)."""

    def __init__(self, tokens: dict[str, str]):
        super().__init__(None, None)
        self.tokens = tokens

    def bot_token(self, team_id: str) -> str | None:
        return self.tokens.get(team_id)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for team in ("T1", "T2"):
            fake.add_workspace(
                team_id=team, name=f"Team {team}", bot_token=f"xoxb-{team}", bot_user_id=f"UBOT{team}"
            )
            for user in ("UA", "UB"):
                fake.add_user(team, user, f"{user.lower()}-{team.lower()}", tz="Europe/Berlin")
        yield fake


def run(fake: FakeSlack, engine, at: datetime, timeout: int = 10):
    outbox = SlackOutbox(
        fake.api_url,
        MultiTokens({"T1": "xoxb-T1", "T2": "xoxb-T2"}),
        Limits(per_workspace_per_second=100),
        timeout=timeout,
    )
    return sweep(
        make_session_factory(engine), outbox, now=at, worker="test", wall_clock=lambda: datetime.now(UTC)
    )


@pytest.fixture
def owed(engine) -> dict[tuple[str, str], int]:
    """Each rep of both workspaces is owed one reminder at DUE."""
    steps = {}
    with Session(engine) as session:
        for team in ("T1", "T2"):
            for user in ("UA", "UB"):
                logged = log_meeting(
                    session,
                    team_id=team,
                    user_id=user,
                    view_id=None,
                    now=LOGGED,
                    form=MeetingForm(
                        account=f"new:Acme {team} {user}",
                        held_at=LOGGED - timedelta(minutes=30),
                        ask_text="Shall we meet Tuesday at 10?",
                        ask_type=AskType.SCHEDULED_MEETING,
                        reaction=Reaction.AGREED_UNSCHEDULED,
                    ),
                )
                steps[(team, user)] = logged.next_step_id
    return steps


def dms_to(fake: FakeSlack, team: str, user: str) -> list[dict]:
    return fake.dm_messages(team, user)


def nudges(engine) -> dict[tuple[str, str], Nudge]:
    with Session(engine) as session:
        rows = session.execute(select(Nudge, Rep.user_id).join(Rep, Rep.id == Nudge.rep_id)).all()
        return {(n.team_id, user): n for n, user in rows}


def test_429_with_retry_after_is_honoured_and_delivered(fake, engine, owed):
    fake.inject("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    report = run(fake, engine, DUE)
    assert report.sent == 4 and report.failed == 0
    assert time.monotonic() - started >= 1.0, "waited for Retry-After"
    assert all(len(dms_to(fake, t, u)) == 1 for t, u in owed)


def test_server_errors_and_timeouts_are_retried(fake, engine, owed):
    fake.inject("chat.postMessage", status=500, times=2)
    fake.inject("users.info", delay=2.0)  # longer than the client's timeout below
    report = run(fake, engine, DUE, timeout=1)
    assert report.sent == 4 and report.failed == 0
    assert all(n.sent_at == DUE for n in nudges(engine).values())


def test_persistent_failure_backs_off_then_delivers(fake, engine, owed):
    fake.inject("chat.postMessage", status=500, times=100)
    first = run(fake, engine, DUE)
    assert first.sent == 0 and first.failed == 4
    pending = nudges(engine)
    assert all(n.attempts == 1 and n.next_attempt_at == DUE + timedelta(minutes=2) for n in pending.values())
    assert all(n.last_error for n in pending.values())
    fake.clear_faults()
    assert run(fake, engine, DUE + timedelta(minutes=1)).sent == 0, "not before the backoff"
    assert run(fake, engine, DUE + timedelta(minutes=2)).sent == 4


def test_gives_up_after_five_attempts_with_the_reason(fake, engine, owed):
    fake.inject("chat.postMessage", error="fatal_error", times=1000)
    at = DUE
    for _ in range(5):
        run(fake, engine, at)
        at += timedelta(minutes=40)
    rows = nudges(engine).values()
    assert all(n.gave_up_at is not None and n.sent_at is None and n.last_error == "fatal_error" for n in rows)


@pytest.mark.parametrize("profiles_fresh", [False, True])
def test_revoked_token_stops_that_workspace_only(fake, engine, owed, profiles_fresh):
    if profiles_fresh:
        run(fake, engine, DUE - timedelta(hours=1))  # profiles refreshed, nothing due yet
    fake.revoke_token("xoxb-T1")
    report = run(fake, engine, DUE)
    assert report.sent == 2
    assert all(len(dms_to(fake, "T2", u)) == 1 for u in ("UA", "UB"))
    assert all(dms_to(fake, "T1", u) == [] for u in ("UA", "UB"))
    rows = nudges(engine)
    for user in ("UA", "UB"):
        if profiles_fresh:  # claimed, then Slack refused the token at send time
            assert rows[("T1", user)].gave_up_at == DUE and rows[("T1", user)].last_error == "token_revoked"
        else:  # refused at the planner's profile refresh: nothing was claimed
            assert ("T1", user) not in rows
    with Session(engine) as session:
        assert session.get(Workspace, "T1").tokens_revoked_at == DUE
        assert session.get(Workspace, "T2").tokens_revoked_at is None
    # Next sweeps leave the dead workspace alone: no more calls with its token.
    calls = len(fake.calls)
    run(fake, engine, DUE + timedelta(hours=3))
    assert all(c.token != "xoxb-T1" for c in fake.calls[calls:])


def test_a_deactivated_rep_is_marked_left_and_the_others_still_get_theirs(fake, engine, owed):
    fake.delete_user("T1", "UA")
    report = run(fake, engine, DUE)
    assert report.sent == 3
    assert dms_to(fake, "T1", "UA") == [] and len(dms_to(fake, "T1", "UB")) == 1
    with Session(engine) as session:
        rep = session.scalars(select(Rep).where(Rep.team_id == "T1", Rep.user_id == "UA")).one()
        assert rep.status == RepStatus.LEFT and rep.left_at == DUE
    assert nudges(engine).get(("T1", "UA")) is None, "a rep known to have left is not planned for"
    # And nothing more for them later.
    run(fake, engine, DUE + timedelta(days=3))
    assert dms_to(fake, "T1", "UA") == []


def test_a_rep_slack_no_longer_knows_is_marked_left(fake, engine, owed):
    fake.inject("chat.postMessage", error="user_not_found")  # the first DM of the sweep
    report = run(fake, engine, DUE)
    assert report.sent == 3 and report.gave_up == 1
    with Session(engine) as session:
        left = session.scalars(select(Rep).where(Rep.status == RepStatus.LEFT)).all()
        assert len(left) == 1
        gone = session.scalars(select(Nudge).where(Nudge.rep_id == left[0].id)).one()
        assert gone.last_error.startswith("rep_left: user_not_found")


def test_a_post_that_timed_out_is_not_resent_on_the_spot(fake, engine, owed):
    """Slack may have posted it: no immediate retry; the sweep tries again later, with backoff."""
    run(fake, engine, DUE - timedelta(hours=1))  # profiles refreshed, so the first call is the post
    fake.inject("chat.postMessage", delay=2.0)  # the first DM: Slack posts it, the client stops waiting
    report = run(fake, engine, DUE, timeout=1)
    fake.wait_idle(quiet=2.5)
    assert report.sent == 3 and report.failed == 1
    assert sum(len(dms_to(fake, t, u)) for t, u in owed) == 4, "four DMs, none posted twice"
    failed = [n for n in nudges(engine).values() if n.sent_at is None]
    assert len(failed) == 1 and failed[0].next_attempt_at == DUE + timedelta(minutes=2)


def test_a_sweep_reads_each_workspace_once_and_sends_a_dm_in_few_statements(fake, engine, owed):
    # Two more reps in T1, so a per-rep read would show.
    with Session(engine) as session:
        for user in ("UC", "UD"):
            fake.add_user("T1", user, user.lower(), tz="Europe/Berlin")
            log_meeting(
                session,
                team_id="T1",
                user_id=user,
                view_id=None,
                now=LOGGED,
                form=MeetingForm(
                    account=f"new:Acme T1 {user}",
                    held_at=LOGGED - timedelta(minutes=30),
                    ask_text="Shall we meet Tuesday at 10?",
                    ask_type=AskType.SCHEDULED_MEETING,
                    reaction=Reaction.AGREED_UNSCHEDULED,
                ),
            )
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((" ".join(statement.split()), parameters))

    factory = make_session_factory(engine)
    outbox = SlackOutbox(
        fake.api_url, MultiTokens({"T1": "xoxb-T1", "T2": "xoxb-T2"}), Limits(per_workspace_per_second=100)
    )
    # An earlier sweep, with nothing due yet, refreshed their Slack profiles (a daily write of its own).
    plan_and_claim(
        factory, now=LOGGED + timedelta(minutes=1), worker="test", report=SweepReport(), outbox=outbox
    )
    event.listen(engine, "before_cursor_execute", note)
    try:
        report = SweepReport()
        known = Workspaces(factory)
        plan_and_claim(factory, now=DUE, worker="test", report=report, outbox=outbox, known=known)
        planned = len(seen)
        deliver(factory, outbox, now=DUE, report=report, worker="test", known=known)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert report.sent == 6 and all(len(dms_to(fake, t, u)) == 1 for t, u in owed)
    holiday_reads = [s for s, _ in seen if s.startswith("SELECT") and "FROM holidays" in s]
    workspace_reads = [s for s, _ in seen if s.startswith("SELECT") and "FROM workspaces" in s]
    assert len(holiday_reads) == 2 and len(workspace_reads) == 2, "once per workspace, for the whole sweep"
    # Delivery: one statement to take a rep's nudges with all the DM shows, one to mark them sent
    # (SQLite: a third, the lease taken before), and one to find who is owed what.
    per_dm = 3 if engine.dialect.name == "sqlite" else 2
    assert len(seen) - planned <= 1 + per_dm * report.messages
