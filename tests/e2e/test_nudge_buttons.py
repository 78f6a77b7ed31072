"""The nudge DM's buttons end to end: a real sweep sends the DM, the rep clicks over signed HTTP.

The app runs on a clock the test sets (``running`` is overridden here), so a click and the
sweeps after it happen at chosen instants in Maria's week (Europe/Berlin).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock.report import SweepReport
from bot.clock.sweep import sweep
from bot.config import Config
from bot.domain.vocabulary import (
    AskType,
    DealStatus,
    LostReason,
    NextStepStatus,
    NudgeAnswer,
    NudgeKind,
    Reaction,
)
from bot.runtime.server import BackgroundServer
from bot.services.meetings import MeetingForm, log_meeting
from bot.slack import ids
from bot.slack.blocks.meeting_modal import deal_block_id
from bot.slack.outbox import Limits, SlackOutbox
from bot.slack.tokens import TokenSource
from bot.slackfake.fake import FakeSlack
from bot.slackfake.render import render_message
from handlers.app import create_app
from handlers.web import make_wsgi_app
from models import Deal, NextStep, Nudge, Rep, Reschedule
from tests.e2e.conftest import SECRET, TEAM, Running, assert_everything_sent_is_valid

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


MONDAY_10 = berlin(2026, 11, 23, 10, 0)


class Clock:
    """The app's clock, set by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10)


@pytest.fixture
def running(fake: FakeSlack, engine, clock: Clock) -> Iterator[Running]:
    """The real app over HTTP, as in conftest, on the test's clock."""
    config = Config(
        signing_secret=SECRET, database_url=str(engine.url), slack_api_url=fake.api_url, bot_token="xoxb-T1"
    )
    app, deps = create_app(config, engine, clock=clock)
    server = BackgroundServer(make_wsgi_app(app, deps)).start()
    yield Running(url=server.url, deps=deps, engine=engine)
    fake.wait_idle(quiet=0.2)
    server.stop()
    assert_everything_sent_is_valid(fake)


# ---------------------------------------------------------------- helpers


def log(running: Running, at: datetime, *, reaction: Reaction, booked_for: datetime | None = None) -> int:
    """Maria logs a meeting on Acme as of ``at`` (held an hour before); the deal's id."""
    with running.deps.session_factory() as session:
        logged = log_meeting(
            session,
            team_id=TEAM,
            user_id="U1",
            view_id=None,
            now=at,
            form=MeetingForm(
                account="new:Acme",
                held_at=at - timedelta(hours=1),
                ask_text="Can we meet Thursday at 10 with your CFO to go through pricing?",
                ask_type=AskType.SCHEDULED_MEETING,
                reaction=reaction,
                next_step=None if reaction is Reaction.DECLINED else "Pricing review with the CFO",
                next_step_at=booked_for,
            ),
        )
        rep = session.get(Rep, logged.rep_id)
        rep.timezone, rep.timezone_refreshed_at = "Europe/Berlin", at
        session.commit()
        return logged.deal_id


def sweep_at(fake: FakeSlack, running: Running, at: datetime) -> SweepReport:
    """One sweep of the clock as of ``at``, in-process, to the sandbox."""
    outbox = SlackOutbox(fake.api_url, TokenSource("xoxb-T1", None), Limits(per_channel_interval=0.0))
    return sweep(running.deps.session_factory, outbox, now=at, worker="test", wall_clock=lambda: at)


def nudge_dm(fake: FakeSlack, running: Running, maria, at: datetime) -> dict[str, Any]:
    """The sweep at ``at`` sends Maria one nudge DM: that message."""
    before = len(maria.dms())
    report = sweep_at(fake, running, at)
    assert report.messages == 1, report
    assert len(maria.dms()) == before + 1
    return maria.last_dm()


def nudges(running: Running) -> list[Nudge]:
    with Session(running.engine) as session:
        return list(session.scalars(select(Nudge).order_by(Nudge.id)))


def read(message: dict[str, Any]) -> str:
    return " ".join(render_message(message).split())


def edited(fake: FakeSlack, dm: dict[str, Any], versions: int = 2) -> dict[str, Any]:
    """The DM once it was updated in place (``versions`` versions in all)."""
    return fake.wait_until(
        lambda: (
            len(fake.message_history(dm["channel"], dm["ts"])) >= versions
            and fake.message(dm["channel"], dm["ts"])
        )
    )


def buttons_of(message: dict[str, Any], nudge_id: int) -> list[dict[str, Any]]:
    block_id = f"{ids.NUDGE_BLOCK_PREFIX}{nudge_id}_actions"
    return [b for b in message.get("blocks") or [] if b.get("block_id") == block_id]


def modal(fake: FakeSlack, user, callback_id: str) -> dict[str, Any]:
    return fake.wait_until(
        lambda: user.view if user.view and user.view["callback_id"] == callback_id else None
    )


# ---------------------------------------------------------------- snooze


def test_snooze_updates_the_dm_in_place_and_the_sweep_waits_for_it(fake, running, maria, clock):
    log(running, MONDAY_10, reaction=Reaction.AGREED_UNSCHEDULED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    assert buttons_of(dm, nudge.id) and "Reminder 1 of 3" in read(dm)

    clock.at = berlin(2026, 11, 23, 13, 0)
    assert maria.click(ids.NUDGE_SNOOZE, in_message=dm, value=f"{nudge.id}:next_week").status == 200
    updated = edited(fake, dm)

    assert "Snoozed until Monday 30 November 2026, 09:00 (Europe/Berlin)" in read(updated)
    assert buttons_of(updated, nudge.id) == [], "the answered item loses its buttons"
    assert "Acme" in read(updated), "the item keeps its text"
    (nudge,) = nudges(running)
    assert nudge.answer == NudgeAnswer.SNOOZED and nudge.snoozed_until == berlin(2026, 11, 30, 9, 0)

    # A second click (a stale copy of the DM) changes nothing.
    maria.click(ids.NUDGE_SNOOZE, in_message=dm, value=f"{nudge.id}:1d")
    edited(fake, dm, versions=3)
    (again,) = nudges(running)
    assert again.snoozed_until == nudge.snoozed_until and again.answered_at == nudge.answered_at

    # Two working days on, the second reminder would be due: the snooze holds it until Monday.
    for at in (berlin(2026, 11, 25, 12, 30), berlin(2026, 11, 27, 17, 0), berlin(2026, 11, 30, 8, 59)):
        assert sweep_at(fake, running, at).messages == 0, at
    second = nudge_dm(fake, running, maria, berlin(2026, 11, 30, 9, 0))
    assert "Reminder 2 of 3" in read(second)


# ---------------------------------------------------------------- overdue: didn't happen, rescheduled


def overdue_dm(fake, running, maria) -> tuple[dict[str, Any], Nudge]:
    """Booked Monday 10:00 for 11:00 the same day; at 13:30 nothing was logged: "How did it go?"."""
    log(running, MONDAY_10, reaction=Reaction.BOOKED, booked_for=berlin(2026, 11, 23, 11, 0))
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 13, 30))
    (nudge,) = nudges(running)
    assert nudge.kind == NudgeKind.OVERDUE and "How did it go?" in read(dm)
    assert dm["text"] == "How did it go? Your meeting with Acme"  # the lock screen says what it is
    return dm, nudge


def test_didnt_happen_keeps_the_miss_and_the_reminders_start_over(fake, running, maria, clock):
    dm, nudge = overdue_dm(fake, running, maria)
    clock.at = berlin(2026, 11, 23, 14, 0)
    maria.click(ids.NUDGE_DIDNT_HAPPEN, in_message=dm)
    updated = edited(fake, dm)

    text = read(updated)
    assert "Didn't happen: noted as missed; the step is unscheduled again" in text
    assert "was booked for Monday 23 November 2026, 11:00 (Europe/Berlin)" in text
    assert buttons_of(updated, nudge.id) == []
    with Session(running.engine) as session:
        missed, owed = session.scalars(select(NextStep).order_by(NextStep.id)).all()
        assert missed.status == NextStepStatus.MISSED and missed.scheduled_at is not None, "the miss is kept"
        assert owed.status == NextStepStatus.UNSCHEDULED and owed.scheduled_at is None
        assert owed.status_changed_at == clock.at

    assert sweep_at(fake, running, berlin(2026, 11, 23, 15, 59)).messages == 0
    again = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 16, 0))
    assert "Reminder 1 of 3" in read(again) and "Booked it" in read(again)


def test_rescheduled_asks_for_the_new_time_and_says_it_in_place(fake, running, maria, clock):
    dm, nudge = overdue_dm(fake, running, maria)
    clock.at = berlin(2026, 11, 23, 14, 0)
    maria.click(ids.NUDGE_RESCHEDULED, in_message=dm)
    view = modal(fake, maria, ids.BOOKED_IT_MODAL)
    assert view["title"]["text"] == "Rescheduled"

    maria.fill(ids.NEXT_STEP_AT, berlin(2026, 11, 23, 11, 0))
    assert maria.submit().status == 200
    assert "passed" in maria.errors.get(ids.NEXT_STEP_AT, "")

    new_time = berlin(2026, 11, 26, 10, 0)
    maria.fill(ids.NEXT_STEP_AT, new_time)
    assert maria.submit().status == 200 and maria.errors == {}
    updated = edited(fake, dm)
    assert "Rescheduled for Thursday 26 November 2026, 10:00 (Europe/Berlin)" in read(updated)
    assert buttons_of(updated, nudge.id) == []
    with Session(running.engine) as session:
        step = session.scalars(select(NextStep)).one()
        assert step.status == NextStepStatus.BOOKED and step.scheduled_at == new_time
        move = session.scalars(select(Reschedule)).one()
        assert (move.from_at, move.to_at) == (berlin(2026, 11, 23, 11, 0), new_time)
    assert nudges(running)[0].answer == NudgeAnswer.RESCHEDULED
    assert len(maria.dms()) == 1, "the nudge DM says it; no second message"


# ---------------------------------------------------------------- unscheduled: booked it, log meeting


def test_booked_it_books_the_step_from_the_nudge(fake, running, maria, clock):
    log(running, MONDAY_10, reaction=Reaction.AGREED_UNSCHEDULED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    clock.at = berlin(2026, 11, 23, 13, 0)
    maria.click(ids.NUDGE_BOOKED_IT, in_message=dm)
    view = modal(fake, maria, ids.BOOKED_IT_MODAL)
    assert view["title"]["text"] == "Book the next step"

    at = berlin(2026, 11, 26, 10, 0)
    maria.fill(ids.NEXT_STEP_AT, at)
    assert maria.submit().status == 200 and maria.errors == {}
    updated = edited(fake, dm)
    assert "Booked for Thursday 26 November 2026, 10:00 (Europe/Berlin)" in read(updated)
    assert buttons_of(updated, nudge.id) == []
    with Session(running.engine) as session:
        step = session.scalars(select(NextStep)).one()
        assert step.status == NextStepStatus.BOOKED and step.scheduled_at == at
    # Booked: no more "book it" reminders; the next DM is Thursday's prep.
    assert sweep_at(fake, running, berlin(2026, 11, 25, 12, 30)).messages == 0


def test_booking_from_the_home_tab_answers_the_reminder_dm_too(fake, running, maria, clock):
    log(running, MONDAY_10, reaction=Reaction.AGREED_UNSCHEDULED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    clock.at = berlin(2026, 11, 23, 13, 0)
    maria.open_home()
    fake.wait_until(lambda: maria.home)
    maria.click(ids.HOME_BOOK_STEP, in_view=maria.home)
    modal(fake, maria, ids.BOOKED_IT_MODAL)
    maria.fill(ids.NEXT_STEP_AT, berlin(2026, 11, 26, 10, 0))
    assert maria.submit().status == 200 and maria.errors == {}
    # the reminder no longer offers "Booked it" for a step booked elsewhere
    updated = edited(fake, dm)
    assert "Booked for Thursday 26 November 2026, 10:00 (Europe/Berlin)" in read(updated)
    assert buttons_of(updated, nudge.id) == []
    assert [n.answer for n in nudges(running)] == [NudgeAnswer.BOOKED]


def test_log_meeting_opens_the_modal_on_that_deal_and_answers_the_nudge(fake, running, maria, clock):
    deal_id = log(running, MONDAY_10, reaction=Reaction.AGREED_UNSCHEDULED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    clock.at = berlin(2026, 11, 23, 16, 0)
    maria.click(ids.NUDGE_LOG_MEETING, in_message=dm)
    view = modal(fake, maria, ids.MEETING_MODAL)

    with Session(running.engine) as session:
        account_id = session.get(Deal, deal_id).account_id
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.ACCOUNT]["element"]["initial_option"]["value"] == f"acct:{account_id}"
    deal_block = blocks[deal_block_id(f"acct:{account_id}")]
    assert deal_block["element"]["initial_option"]["value"] == str(deal_id)

    maria.fill(ids.ASK, "Can we book Thursday at 10 for the pricing review?")
    maria.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    maria.fill(ids.REACTION, Reaction.AGREED_UNSCHEDULED.value)
    assert maria.submit().status == 200 and maria.errors == {}

    updated = edited(fake, dm)
    assert "Meeting logged" in read(updated) and buttons_of(updated, nudge.id) == []
    fake.wait_until(lambda: len(maria.dms()) == 2)  # and the coaching DM
    (answered,) = nudges(running)
    assert answered.answer == NudgeAnswer.LOGGED
    with Session(running.engine) as session:
        assert session.scalar(select(Deal.last_meeting_at)) == clock.at


# ---------------------------------------------------------------- mark lost, stalled


def test_mark_lost_asks_why_closes_the_deal_and_offers_a_replacement(fake, running, maria, clock):
    deal_id = log(running, MONDAY_10, reaction=Reaction.AGREED_UNSCHEDULED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    clock.at = berlin(2026, 11, 23, 13, 0)
    maria.click(ids.NUDGE_MARK_LOST, in_message=dm)
    view = modal(fake, maria, ids.MARK_LOST_MODAL)
    assert "Acme" in read({"blocks": view["blocks"]})

    assert maria.submit().status == 200
    assert "Pick why" in maria.errors.get(ids.LOST_REASON, "")
    maria.fill(ids.LOST_REASON, LostReason.COMPETITOR.value)
    assert maria.submit().status == 200 and maria.errors == {}

    updated = edited(fake, dm)
    assert "Marked lost (chose a competitor)" in read(updated)
    assert buttons_of(updated, nudge.id) == []
    offer = fake.wait_until(lambda: len(maria.dms()) == 2 and maria.last_dm())
    assert "Replace the prospect" in read(offer)
    with Session(running.engine) as session:
        deal = session.get(Deal, deal_id)
        assert (deal.status, deal.lost_reason, deal.closed_at) == (
            DealStatus.LOST,
            LostReason.COMPETITOR,
            clock.at,
        )
        assert session.scalars(select(NextStep.status)).one() == NextStepStatus.CANCELLED

    maria.click(ids.ADD_REPLACEMENT_DEAL, in_message=offer)
    modal(fake, maria, ids.REPLACEMENT_MODAL)
    # Lost: no more reminders about it.
    assert sweep_at(fake, running, berlin(2026, 11, 25, 12, 30)).messages == 0


def test_stalled_nudge_snoozes_and_offers_the_replacement_modal(fake, running, maria, clock):
    log(running, berlin(2026, 11, 9, 10, 0), reaction=Reaction.DECLINED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    assert nudge.kind == NudgeKind.STALLED and "No meeting for 14 days" in read(dm)

    maria.click(ids.NUDGE_REPLACE, in_message=dm)
    modal(fake, maria, ids.REPLACEMENT_MODAL)
    maria.close()

    clock.at = berlin(2026, 11, 23, 13, 0)
    maria.click(ids.NUDGE_SNOOZE, in_message=dm, value=f"{nudge.id}:1d")
    updated = edited(fake, dm)
    assert "Snoozed until Tuesday 24 November 2026, 13:00 (Europe/Berlin)" in read(updated)
    assert "No meeting for 14 days" in read(updated), "the text stays as it was sent"
    assert sweep_at(fake, running, berlin(2026, 11, 24, 12, 59)).messages == 0
    again = nudge_dm(fake, running, maria, berlin(2026, 11, 24, 13, 0))
    assert "No meeting for 15 days" in read(again)


# ---------------------------------------------------------------- someone else


def test_someone_elses_click_is_refused_politely_and_changes_nothing(fake, running, maria, person, clock):
    log(running, MONDAY_10, reaction=Reaction.AGREED_UNSCHEDULED)
    dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    (nudge,) = nudges(running)
    sam = person("U2")
    clock.at = berlin(2026, 11, 23, 13, 0)

    sam.click(ids.NUDGE_SNOOZE, in_message=dm, value=f"{nudge.id}:1d")
    sam.click(ids.NUDGE_MARK_LOST, in_message=dm)
    sam.click(ids.NUDGE_BOOKED_IT, in_message=dm)
    fake.wait_until(lambda: len(sam.ephemerals()) == 3)
    assert all("isn't one of yours" in e["text"] for e in sam.ephemerals())
    assert sam.view is None

    # The same nudge id, forged from another workspace.
    fake.add_workspace(team_id="T2", name="Elsewhere", bot_token="xoxb-T2")
    fake.add_user("T2", "U7", "mallory", tz="UTC")
    mallory = person("U7", "T2")
    assert mallory.click(ids.NUDGE_MARK_LOST, in_message=dm).status == 200
    assert mallory.click(ids.NUDGE_SNOOZE, in_message=dm, value=f"{nudge.id}:3d").status == 200
    fake.wait_idle(quiet=0.3)
    assert mallory.view is None

    assert len(fake.message_history(dm["channel"], dm["ts"])) == 1, "the DM is untouched"
    (untouched,) = nudges(running)
    assert untouched.answer is None and untouched.snoozed_until is None
    with Session(running.engine) as session:
        assert session.scalars(select(NextStep.status)).one() == NextStepStatus.UNSCHEDULED


# ---------------------------------------------------------------- a modal Slack refuses to open


@pytest.mark.parametrize(
    ("reaction", "button"),
    [
        (Reaction.AGREED_UNSCHEDULED, ids.NUDGE_BOOKED_IT),
        (Reaction.AGREED_UNSCHEDULED, ids.NUDGE_LOG_MEETING),
        (Reaction.AGREED_UNSCHEDULED, ids.NUDGE_MARK_LOST),
        (Reaction.BOOKED, ids.NUDGE_RESCHEDULED),
        (Reaction.DECLINED, ids.NUDGE_REPLACE),
    ],
)
def test_a_nudge_button_whose_modal_slack_refuses_says_so_in_the_dm(
    fake, running, maria, clock, reaction, button
):
    if reaction is Reaction.BOOKED:
        dm, _ = overdue_dm(fake, running, maria)
    elif reaction is Reaction.DECLINED:
        log(running, berlin(2026, 11, 9, 10, 0), reaction=reaction)
        dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    else:
        log(running, MONDAY_10, reaction=reaction)
        dm = nudge_dm(fake, running, maria, berlin(2026, 11, 23, 12, 30))
    clock.at = berlin(2026, 11, 23, 14, 0)
    fake.inject("views.open", error="expired_trigger_id")
    assert maria.click(button, in_message=dm).status == 200
    told = fake.wait_until(
        lambda: [e for e in maria.ephemerals() if "didn't let me open the form" in e["text"]]
    )
    assert "click it again" in told[0]["text"] and maria.view is None
    assert nudges(running)[0].answer is None, "nothing was answered: the nudge still waits"
