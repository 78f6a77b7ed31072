"""Simulated weeks: the clock sweeps every 15 minutes (as `nextstep tick --at` does) against the sandbox.

Who receives what and when, in their own timezone, across both DST changes; and that
nobody is nudged at night, at the weekend, on a holiday, while paused, after resolving
a nudge, or more than three times about one step.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock.run import run_sweep
from bot.config import Config
from bot.domain.vocabulary import AskType, Reaction
from bot.services.meetings import MeetingForm, book_next_step, log_meeting
from bot.slackfake.fake import FakeSlack
from bot.slackfake.render import render_message
from models import ClockSweep, Holiday, Nudge, Rep, Workspace, make_session_factory
from tests.e2e.conftest import NEXTSTEP, SECRET, TEAM

LA, BERLIN, KOLKATA = ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kolkata")
REPS = {"ULA": LA, "UBER": BERLIN, "UKOL": KOLKATA}
STEP = timedelta(minutes=15)


@dataclass
class DM:
    at: datetime  # the simulated instant of the sweep that sent it
    user: str
    text: str
    notification: str = ""  # the top-level text: what a phone's lock screen shows


@dataclass
class World:
    fake: FakeSlack
    config: Config
    engine: object
    dms: list[DM]

    def session(self) -> Session:
        return make_session_factory(self.engine)()  # type: ignore[arg-type]

    def run(self, start: datetime, end: datetime, step: timedelta = STEP) -> list[DM]:
        """Sweep every ``step`` from start to end (simulated time); the DMs sent meanwhile."""
        new: list[DM] = []
        at = start
        while at <= end:
            seen = len(self.fake.calls_to("chat.postMessage"))
            run_sweep(self.config, self.engine, at)  # type: ignore[arg-type]
            for call in self.fake.calls_to("chat.postMessage")[seen:]:
                message = {"text": call.params.get("text"), "blocks": call.params.get("blocks")}
                new.append(
                    DM(
                        at,
                        call.params["channel"],
                        " ".join(render_message(message).split()),
                        str(call.params.get("text") or ""),
                    )
                )
            at += step
        self.dms += new
        return new


@pytest.fixture
def world(engine) -> Iterator[World]:
    with FakeSlack() as fake:
        fake.add_workspace(team_id=TEAM, name="Acme Sales", bot_token="xoxb-T1", bot_user_id="UBOT")
        for user, tz in REPS.items():
            fake.add_user(TEAM, user, user.lower(), tz=tz.key)
        config = Config(
            signing_secret=SECRET,
            database_url=str(engine.url),
            slack_api_url=fake.api_url,
            bot_token="xoxb-T1",
            workspace_rate=1000,
        )
        yield World(fake, config, engine, [])


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def log(
    world: World, user: str, at: datetime, account: str, reaction: Reaction, step_at: datetime | None = None
) -> int:
    """The rep logs a meeting held just before ``at`` (simulated); returns the next step's id."""
    with world.session() as session:
        logged = log_meeting(
            session,
            team_id=TEAM,
            user_id=user,
            view_id=None,
            now=at,
            form=MeetingForm(
                account=f"new:{account}",
                held_at=at - timedelta(minutes=30),
                ask_text="Can we meet Tuesday at 10 to go through the proposal?",
                ask_type=AskType.SCHEDULED_MEETING,
                reaction=reaction,
                next_step_at=step_at,
                next_step="Proposal review",
            ),
        )
        return logged.next_step_id or 0


def assert_working_time(dms: list[DM], holidays: set[date] = frozenset()) -> None:
    for dm in dms:
        when = dm.at.astimezone(REPS[dm.user])
        assert when.weekday() < 5, f"{dm.user} nudged at the weekend: {when}"
        assert time(9) <= when.time() < time(18), f"{dm.user} nudged outside working hours: {when}"
        assert when.date() not in holidays, f"{dm.user} nudged on a holiday: {when}"


def test_unscheduled_step_is_nudged_three_times_in_working_hours_then_escalated(world):
    # Monday 23 November 2026, 10:00 in each rep's own zone.
    for user, tz in REPS.items():
        log(world, user, local(tz, 2026, 11, 23, 10), f"Acme {user}", Reaction.AGREED_UNSCHEDULED)
    # Three weeks of sweeps: every 30 simulated minutes keeps every expected moment on the grid
    # (the three zones' :00 and :30) at half the cost of 15.
    dms = world.run(local(KOLKATA, 2026, 11, 23, 0), local(LA, 2026, 12, 11, 23), step=timedelta(minutes=30))
    assert_working_time(dms)
    for user, tz in REPS.items():
        mine = [dm for dm in dms if dm.user == user and "Reminder" in dm.text]
        days = [dm.at.astimezone(tz) for dm in mine]
        # 10:00 + 2 h = 12:00 Monday; then every 2 working days at that time: Wednesday, Friday.
        assert [(d.strftime("%a %H:%M")) for d in days] == ["Mon 12:00", "Wed 12:00", "Fri 12:00"], user
        assert "Reminder 1 of 3" in mine[0].text and "Reminder 3 of 3" in mine[2].text
        assert "phone tag" in mine[0].text and "Booked it" in mine[0].text
        # Two weeks after the meeting with nothing booked, the deal itself is flagged as stalled, once.
        stalled = [dm for dm in dms if dm.user == user and "No meeting for 14 days" in dm.text]
        assert [dm.at.astimezone(tz).strftime("%a %d %H:%M") for dm in stalled] == ["Mon 07 09:30"], user
    with world.session() as session:
        escalated = session.scalars(select(Nudge).where(Nudge.escalated_at.is_not(None))).all()
        assert len(escalated) == 3
        # Two working days after the third (Friday) is Tuesday.
        assert {
            n.escalated_at.astimezone(REPS[session.get(Rep, n.rep_id).user_id]).strftime("%a")
            for n in escalated
        } == {"Tue"}


def test_first_nudge_after_friday_evening_waits_for_monday_across_the_us_dst_change(world):
    # Friday 6 March 2026, 17:00 PST: +2 h is past working hours; DST starts Sunday 8 March.
    log(world, "ULA", local(LA, 2026, 3, 6, 17), "Globex", Reaction.AGREED_UNSCHEDULED)
    dms = world.run(local(LA, 2026, 3, 6, 17), local(LA, 2026, 3, 9, 12))
    assert [(dm.user, dm.at) for dm in dms] == [("ULA", datetime(2026, 3, 9, 16, 0, tzinfo=UTC))]  # 09:00 PDT


def test_berlin_nudges_follow_the_spring_change(world):
    # Thursday 26 March 2026, 15:00 CET → first nudge 17:00 CET (16:00Z); the next, two working
    # days later, is Monday 30 March 17:00 CEST (15:00Z).
    log(world, "UBER", local(BERLIN, 2026, 3, 26, 15), "Initech", Reaction.AGREED_UNSCHEDULED)
    spring = world.run(local(BERLIN, 2026, 3, 26, 15), local(BERLIN, 2026, 3, 31, 0))
    assert [dm.at for dm in spring] == [
        datetime(2026, 3, 26, 16, tzinfo=UTC),
        datetime(2026, 3, 30, 15, tzinfo=UTC),
    ]


def test_berlin_nudges_follow_the_autumn_change(world):
    # Thursday 22 October 2026, 15:00 CEST → 17:00 CEST (15:00Z); then Monday 26 October 17:00 CET (16:00Z).
    log(world, "UBER", local(BERLIN, 2026, 10, 22, 15), "Umbrella", Reaction.AGREED_UNSCHEDULED)
    autumn = world.run(local(BERLIN, 2026, 10, 22, 15), local(BERLIN, 2026, 10, 27, 0))
    assert [dm.at for dm in autumn] == [
        datetime(2026, 10, 22, 15, tzinfo=UTC),
        datetime(2026, 10, 26, 16, tzinfo=UTC),
    ]


def test_holidays_are_skipped(world):
    with world.session() as session:
        session.add(Workspace(team_id=TEAM, created_at=local(BERLIN, 2026, 12, 1)))
        session.flush()
        session.add_all(
            [Holiday(team_id=TEAM, day=date(2026, 12, 24)), Holiday(team_id=TEAM, day=date(2026, 12, 25))]
        )
        session.commit()
    # Wednesday 23 December 17:00 → +2 h is after hours → Thursday and Friday are holidays → Monday 28th.
    log(world, "UBER", local(BERLIN, 2026, 12, 23, 17), "Hooli", Reaction.AGREED_UNSCHEDULED)
    dms = world.run(local(BERLIN, 2026, 12, 23, 17), local(BERLIN, 2026, 12, 28, 12))
    assert [dm.at.astimezone(BERLIN).strftime("%a %d %H:%M") for dm in dms] == ["Mon 28 09:00"]
    assert_working_time(dms, {date(2026, 12, 24), date(2026, 12, 25)})


def test_a_paused_rep_gets_nothing_and_resumes_without_a_burst(world):
    log(world, "UKOL", local(KOLKATA, 2026, 11, 23, 10), "Soylent", Reaction.AGREED_UNSCHEDULED)
    log(world, "UKOL", local(KOLKATA, 2026, 11, 23, 10, 5), "Tyrell", Reaction.AGREED_UNSCHEDULED)
    with world.session() as session:
        rep = session.scalars(select(Rep).where(Rep.user_id == "UKOL")).one()
        rep.paused_until = date(2026, 12, 2)  # through Wednesday of the next week
        session.commit()
    dms = world.run(local(KOLKATA, 2026, 11, 23, 10), local(KOLKATA, 2026, 12, 4, 23))
    assert all(dm.at.astimezone(KOLKATA).date() > date(2026, 12, 2) for dm in dms), "nothing while paused"
    # Thursday 3 December 09:00: both steps in one DM, reminder 1 (starting over), not three at once.
    assert [dm.at.astimezone(KOLKATA).strftime("%a %d %H:%M") for dm in dms][0] == "Thu 03 09:00"
    assert "Soylent" in dms[0].text and "Tyrell" in dms[0].text and "Reminder 1 of 3" in dms[0].text
    with world.session() as session:
        assert session.scalars(select(Nudge).where(Nudge.escalated_at.is_not(None))).all() == []


def test_nothing_more_after_the_step_is_booked(world):
    step_id = log(world, "UBER", local(BERLIN, 2026, 11, 23, 10), "Wonka", Reaction.AGREED_UNSCHEDULED)
    first = world.run(local(BERLIN, 2026, 11, 23, 10), local(BERLIN, 2026, 11, 23, 13))
    assert len(first) == 1
    with world.session() as session:
        book_next_step(
            session,
            team_id=TEAM,
            user_id="UBER",
            next_step_id=step_id,
            at=local(BERLIN, 2026, 11, 27, 14),
            description=None,
            now=local(BERLIN, 2026, 11, 23, 14),
        )
    later = world.run(local(BERLIN, 2026, 11, 23, 14), local(BERLIN, 2026, 11, 26, 23))
    assert later == [], "a booked step gets no unscheduled reminders"


def test_booked_step_gets_prep_in_the_morning_and_overdue_two_hours_after(world):
    # Booked on Monday for Wednesday 25 November 14:00 Los Angeles time.
    log(
        world,
        "ULA",
        local(LA, 2026, 11, 23, 10),
        "Cyberdyne",
        Reaction.BOOKED,
        step_at=local(LA, 2026, 11, 25, 14),
    )
    dms = world.run(local(LA, 2026, 11, 23, 10), local(LA, 2026, 11, 26, 12))
    kinds = [
        (dm.at.astimezone(LA).strftime("%a %H:%M"), "Coming up" in dm.text, "How did it go" in dm.text)
        for dm in dms
    ]
    assert kinds == [("Wed 09:00", True, False), ("Wed 16:00", False, True)]
    assert "Still open" in dms[0].text, "the prep DM names what is still missing"
    # Neither claims a deal needs a scheduled next step: each says what it is.
    assert [dm.notification for dm in dms] == [
        "Coming up: your meeting with Cyberdyne, with your prep notes",
        "How did it go? Your meeting with Cyberdyne",
    ]


def test_a_meeting_before_working_hours_gets_its_prep_the_working_day_before(world):
    # Booked for Monday 30 November 08:00 Berlin: prep comes Friday 27 November 09:00.
    log(
        world,
        "UBER",
        local(BERLIN, 2026, 11, 23, 10),
        "Stark",
        Reaction.BOOKED,
        step_at=local(BERLIN, 2026, 11, 30, 8),
    )
    dms = world.run(local(BERLIN, 2026, 11, 23, 10), local(BERLIN, 2026, 11, 30, 7))
    assert [dm.at.astimezone(BERLIN).strftime("%a %d %H:%M") for dm in dms] == ["Fri 27 09:00"]


def test_a_deal_quiet_for_two_weeks_is_flagged_stalled_once(world):
    log(world, "UKOL", local(KOLKATA, 2026, 11, 2, 10), "Oscorp", Reaction.HESITANT)
    with world.session() as session:  # the rep answered the reminders; the deal then went quiet
        for nudge_step in session.scalars(select(Nudge)).all():
            nudge_step.answer = "snoozed"
        session.commit()
    dms = world.run(local(KOLKATA, 2026, 11, 16, 0), local(KOLKATA, 2026, 11, 20, 23))
    stalled = [dm for dm in dms if "No meeting for" in dm.text]
    assert len(stalled) == 1
    # Held at 09:30 on Monday 2 November: quiet for 14 days at 09:30 on Monday the 16th.
    assert stalled[0].at.astimezone(KOLKATA).strftime("%a %d %H:%M") == "Mon 16 09:30"
    assert_working_time(dms)


def test_several_due_steps_arrive_in_one_dm(world):
    for n in range(3):
        log(world, "UBER", local(BERLIN, 2026, 11, 23, 10, n), f"Account {n}", Reaction.AGREED_UNSCHEDULED)
    dms = world.run(local(BERLIN, 2026, 11, 23, 10), local(BERLIN, 2026, 11, 23, 13))
    assert len(dms) == 1
    assert all(f"Account {n}" in dms[0].text for n in range(3))


def test_a_clock_that_was_down_catches_up_once(world):
    log(world, "UBER", local(BERLIN, 2026, 11, 23, 10), "Vandelay", Reaction.AGREED_UNSCHEDULED)
    # Down from Monday until the next Monday: one sweep then sends reminder 1, not 1, 2 and 3.
    dms = world.run(local(BERLIN, 2026, 11, 30, 10), local(BERLIN, 2026, 11, 30, 10))
    assert len(dms) == 1 and "Reminder 1 of 3" in dms[0].text


def test_nextstep_tick_cli_runs_one_sweep_and_healthz_sees_it(world, tmp_path):
    log(world, "UBER", local(BERLIN, 2026, 11, 23, 10), "Acme CLI", Reaction.AGREED_UNSCHEDULED)
    env = {
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-T1",
        "SLACK_API_URL": world.fake.api_url,
        "DATABASE_URL": world.config.database_url,
        "PATH": __import__("os").environ["PATH"],
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    result = subprocess.run(
        [*NEXTSTEP, "tick", "--at", "2026-11-23T12:00:00+01:00"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "sent 1 in 1 DMs" in result.stdout
    assert len(world.fake.calls_to("chat.postMessage")) == 1
    with world.session() as session:
        assert session.scalars(select(ClockSweep)).one().as_of == datetime(2026, 11, 23, 11, tzinfo=UTC)
    bad = subprocess.run(
        [*NEXTSTEP, "tick", "--at", "2026-11-23T12:00:00"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "offset" in bad.stderr
