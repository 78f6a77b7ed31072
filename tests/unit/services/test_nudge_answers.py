"""Answering a nudge: snooze in working time, didn't happen, booked, mark lost; ownership; repeats."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock.report import SweepReport
from bot.clock.sweep import plan_and_claim
from bot.domain.errors import FieldErrors, NotAllowed, UserFacingError
from bot.domain.vocabulary import (
    AskType,
    DealStatus,
    LostReason,
    NextStepStatus,
    NudgeAnswer,
    NudgeKind,
    Reaction,
)
from bot.services.meetings import MeetingForm, log_meeting
from bot.services.nudge_answers import (
    NOT_YOURS,
    answer_booked,
    didnt_happen,
    mark_lost,
    nudge_message_for,
    snooze,
)
from bot.slack import ids
from bot.slackfake.render import render_message
from models import Deal, NextStep, Nudge, Rep, Reschedule, Workspace, make_session_factory

BERLIN = ZoneInfo("Europe/Berlin")
DM = "D_MARIA"


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


@dataclass
class Logged:
    deal: Deal
    step: NextStep


def log(session, now: datetime, *, user_id: str = "U1", account: str = "Acme", booked_at=None) -> Logged:
    """A meeting logged through the domain; the rep works in Europe/Berlin."""
    result = log_meeting(
        session,
        team_id="T1",
        user_id=user_id,
        view_id=None,
        now=now,
        form=MeetingForm(
            account=f"new:{account}",
            held_at=now - timedelta(hours=1),
            ask_text="Can we meet Thursday at 10 with your CFO?",
            ask_type=AskType.SCHEDULED_MEETING,
            reaction=Reaction.BOOKED if booked_at else Reaction.AGREED_UNSCHEDULED,
            next_step="Pricing review with the CFO",
            next_step_at=booked_at,
        ),
    )
    rep = session.get(Rep, result.rep_id)
    rep.timezone, rep.timezone_refreshed_at = "Europe/Berlin", now
    session.commit()
    return Logged(session.get(Deal, result.deal_id), session.get(NextStep, result.next_step_id))


def sent(
    session,
    logged: Logged,
    kind: NudgeKind,
    sent_at: datetime,
    *,
    window: str | None = None,
    ts: str = "1000.000001",
    on_deal: bool = False,
) -> Nudge:
    """A nudge as the sweep leaves it once delivered."""
    step = logged.step
    nudge = Nudge(
        team_id="T1",
        kind=kind,
        rep_id=logged.deal.owner_rep_id,
        next_step_id=None if on_deal else step.id,
        deal_id=logged.deal.id,
        subject_key=f"deal:{logged.deal.id}" if on_deal else f"step:{step.id}",
        window_key=window or f"{int(step.status_changed_at.timestamp())}:1",
        due_at=sent_at,
        claimed_at=sent_at,
        sent_at=sent_at,
        channel_id=DM,
        message_ts=ts,
        attempts=1,
    )
    session.add(nudge)
    session.commit()
    return nudge


def read(text: str, blocks: list) -> str:
    """What the rep reads, on one line."""
    return " ".join(render_message({"text": text, "blocks": blocks}).split())


def fresh(session, model, row_id):
    session.expire_all()
    return session.get(model, row_id)


# ---------------------------------------------------------------- snooze


def test_snooze_one_working_day_skips_the_weekend_and_keeps_local_time_across_dst(session):
    friday = berlin(2026, 3, 27, 15, 0)  # CET; clocks go forward on Sunday 29 March
    logged = log(session, friday - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, friday)

    done = snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id, choice="1d", now=friday)

    monday = berlin(2026, 3, 30, 15, 0)  # CEST: 13:00 UTC, not 14:00
    assert monday == datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
    nudge = fresh(session, Nudge, nudge.id)
    assert (nudge.answer, nudge.snoozed_until, nudge.answered_at) == (NudgeAnswer.SNOOZED, monday, friday)
    assert done.messages == ((DM, "1000.000001"),) and not done.repeat
    assert fresh(session, NextStep, logged.step.id).nudge_check_at <= monday
    text, blocks = nudge_message_for(session, "T1", DM, "1000.000001", friday)
    rendered = read(text, blocks)
    assert "Snoozed until Monday 30 March 2026, 15:00 (Europe/Berlin)" in rendered
    assert not [b for b in blocks if b["type"] == "actions"], "an answered nudge has no buttons"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("3d", berlin(2026, 4, 1, 15, 0)),  # Wednesday, same local time, after the change
        ("next_week", berlin(2026, 3, 30, 9, 0)),  # the start of Monday's working hours
    ],
)
def test_snooze_three_days_and_next_week_in_the_reps_working_time(session, choice, expected):
    friday = berlin(2026, 3, 27, 15, 0)
    logged = log(session, friday - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, friday)
    snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id, choice=choice, now=friday)
    assert fresh(session, Nudge, nudge.id).snoozed_until == expected


def test_a_snooze_holds_the_next_reminder_until_it_ends(session, engine):
    friday = berlin(2026, 3, 27, 15, 0)
    logged = log(session, friday - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, friday)
    snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id, choice="3d", now=friday)
    until = berlin(2026, 4, 1, 15, 0)
    factory = make_session_factory(engine)

    def claimed(at: datetime) -> list[Nudge]:
        plan_and_claim(factory, now=at, worker="test", report=SweepReport())
        session.expire_all()
        return session.scalars(select(Nudge).where(Nudge.id != nudge.id)).all()

    # Two working days would be Tuesday 15:00; the snooze says Wednesday 15:00.
    assert claimed(berlin(2026, 3, 31, 16, 0)) == []
    assert claimed(until - timedelta(minutes=1)) == []
    (second,) = claimed(until)
    assert second.kind == NudgeKind.UNSCHEDULED and second.window_key.endswith(":2")


def test_snoozing_a_stalled_nudge_pushes_the_deals_stall_check(session, now):
    logged = log(session, now - timedelta(days=20))
    nudge = sent(
        session,
        logged,
        NudgeKind.STALLED,
        now,
        window=str(int((now - timedelta(days=20)).timestamp())),
        on_deal=True,
    )
    deal = fresh(session, Deal, logged.deal.id)
    deal.stall_check_at = None  # a one-shot nudge once sent: nothing more planned
    session.commit()
    snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id, choice="next_week", now=now)
    until = fresh(session, Nudge, nudge.id).snoozed_until
    assert fresh(session, Deal, logged.deal.id).stall_check_at == until


def test_an_unknown_snooze_choice_is_refused_and_changes_nothing(session, now):
    logged = log(session, now - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    with pytest.raises(UserFacingError):
        snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id, choice="forever", now=now)
    assert fresh(session, Nudge, nudge.id).answer is None


# ---------------------------------------------------------------- didn't happen


def test_didnt_happen_keeps_the_miss_and_a_new_unscheduled_step_starts_over(session, engine):
    logged_at = berlin(2026, 11, 23, 10, 0)  # Monday
    booked_for = berlin(2026, 11, 24, 11, 0)
    logged = log(session, logged_at, booked_at=booked_for)
    overdue = sent(
        session,
        logged,
        NudgeKind.OVERDUE,
        booked_for + timedelta(hours=2),
        window=str(int(booked_for.timestamp())),
    )
    now = berlin(2026, 11, 24, 14, 0)

    didnt_happen(session, team_id="T1", user_id="U1", nudge_id=overdue.id, now=now)

    step = fresh(session, NextStep, logged.step.id)
    assert step.status == NextStepStatus.MISSED and step.scheduled_at == booked_for, "the miss is kept"
    assert step.nudge_check_at is None
    (owed,) = session.scalars(select(NextStep).where(NextStep.status == NextStepStatus.UNSCHEDULED)).all()
    assert (owed.deal_id, owed.description) == (step.deal_id, step.description)
    assert owed.status_changed_at == now and owed.nudge_check_at == now
    assert fresh(session, Nudge, overdue.id).answer == NudgeAnswer.DIDNT_HAPPEN
    # The DM still reads as it was sent, with the time that passed.
    text, blocks = nudge_message_for(session, "T1", DM, "1000.000001", now)
    rendered = read(text, blocks)
    assert "was booked for Tuesday 24 November 2026, 11:00 (Europe/Berlin)" in rendered
    assert "Didn't happen" in rendered

    # A new unscheduled episode: its first reminder two hours on, counted from now.
    factory = make_session_factory(engine)
    plan_and_claim(factory, now=now + timedelta(hours=1), worker="test", report=SweepReport())
    plan_and_claim(factory, now=now + timedelta(hours=2), worker="test", report=SweepReport())
    session.expire_all()
    (first,) = session.scalars(select(Nudge).where(Nudge.kind == NudgeKind.UNSCHEDULED)).all()
    assert first.window_key == f"{int(now.timestamp())}:1" and first.due_at == now + timedelta(hours=2)


def test_didnt_happen_leaves_a_step_moved_since_alone(session, now):
    logged = log(session, now - timedelta(days=1), booked_at=now + timedelta(days=2))
    overdue = sent(
        session, logged, NudgeKind.OVERDUE, now, window=str(int((now - timedelta(hours=3)).timestamp()))
    )
    with pytest.raises(UserFacingError):
        didnt_happen(session, team_id="T1", user_id="U1", nudge_id=overdue.id, now=now)
    step = fresh(session, NextStep, logged.step.id)
    assert step.status == NextStepStatus.BOOKED and step.scheduled_at == now + timedelta(days=2)
    assert fresh(session, Nudge, overdue.id).answer is None


def test_didnt_happen_is_only_for_overdue_nudges(session, now):
    logged = log(session, now - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    with pytest.raises(NotAllowed):
        didnt_happen(session, team_id="T1", user_id="U1", nudge_id=nudge.id, now=now)
    assert fresh(session, NextStep, logged.step.id).status == NextStepStatus.UNSCHEDULED


# ---------------------------------------------------------------- booked / rescheduled


def test_booked_it_books_the_step_and_answers_every_reminder_about_it(session, now):
    logged = log(session, now - timedelta(days=3))
    first = sent(session, logged, NudgeKind.UNSCHEDULED, now - timedelta(days=2), ts="1.1")
    second = sent(
        session,
        logged,
        NudgeKind.UNSCHEDULED,
        now,
        ts="2.2",
        window=f"{int(logged.step.status_changed_at.timestamp())}:2",
    )
    at = (now + timedelta(days=2)).replace(minute=0)

    done = answer_booked(
        session,
        team_id="T1",
        user_id="U1",
        nudge_id=second.id,
        at=at,
        description=None,
        rescheduled=False,
        now=now,
    )

    assert set(done.messages) == {(DM, "1.1"), (DM, "2.2")}
    assert fresh(session, Nudge, first.id).answer == NudgeAnswer.BOOKED
    assert fresh(session, Nudge, second.id).answer == NudgeAnswer.BOOKED
    step = fresh(session, NextStep, logged.step.id)
    assert step.status == NextStepStatus.BOOKED and step.scheduled_at == at
    text, blocks = nudge_message_for(session, "T1", DM, "2.2", now)
    assert "Booked for Thursday 26 November 2026" in read(text, blocks)


def test_a_booking_the_rep_must_fix_stores_nothing(session, now):
    logged = log(session, now - timedelta(days=1))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    with pytest.raises(FieldErrors) as error:
        answer_booked(
            session,
            team_id="T1",
            user_id="U1",
            nudge_id=nudge.id,
            at=now - timedelta(hours=1),
            description=None,
            rescheduled=False,
            now=now,
        )
    assert ids.NEXT_STEP_AT in error.value.errors
    assert fresh(session, Nudge, nudge.id).answer is None
    assert fresh(session, NextStep, logged.step.id).status == NextStepStatus.UNSCHEDULED


def test_rescheduled_moves_an_overdue_step_and_keeps_the_move(session, now):
    was = now - timedelta(hours=3)
    logged = log(session, now - timedelta(days=2), booked_at=now + timedelta(days=1))
    step = fresh(session, NextStep, logged.step.id)
    step.scheduled_at = was  # booked times must be ahead when logged: let this one pass
    session.commit()
    overdue = sent(session, logged, NudgeKind.OVERDUE, now, window=str(int(was.timestamp())))
    at = now + timedelta(days=7)
    answer_booked(
        session,
        team_id="T1",
        user_id="U1",
        nudge_id=overdue.id,
        at=at,
        description=None,
        rescheduled=True,
        now=now,
    )
    assert fresh(session, Nudge, overdue.id).answer == NudgeAnswer.RESCHEDULED
    (move,) = session.scalars(select(Reschedule)).all()
    assert (move.from_at, move.to_at) == (was, at)


# ---------------------------------------------------------------- mark lost


def test_mark_lost_closes_the_deal_cancels_its_steps_and_answers_its_nudges(session, now):
    logged = log(session, now - timedelta(days=20))
    unscheduled = sent(session, logged, NudgeKind.UNSCHEDULED, now - timedelta(days=1), ts="1.1")
    stalled = sent(session, logged, NudgeKind.STALLED, now, ts="2.2", window="12345", on_deal=True)
    unsent = Nudge(
        team_id="T1",
        kind=NudgeKind.UNSCHEDULED,
        rep_id=logged.deal.owner_rep_id,
        next_step_id=logged.step.id,
        deal_id=logged.deal.id,
        subject_key=f"step:{logged.step.id}",
        window_key="x:3",
        due_at=now,
        claimed_at=now,
    )
    session.add(unsent)
    session.commit()

    done = mark_lost(
        session, team_id="T1", user_id="U1", nudge_id=stalled.id, reason=LostReason.WENT_DARK, now=now
    )

    deal = fresh(session, Deal, logged.deal.id)
    assert (deal.status, deal.lost_reason, deal.closed_at, deal.stall_check_at) == (
        DealStatus.LOST,
        LostReason.WENT_DARK,
        now,
        None,
    )
    step = fresh(session, NextStep, logged.step.id)
    assert step.status == NextStepStatus.CANCELLED and step.nudge_check_at is None
    assert fresh(session, Nudge, unscheduled.id).answer == NudgeAnswer.LOST
    assert fresh(session, Nudge, stalled.id).answer == NudgeAnswer.LOST
    unsent = fresh(session, Nudge, unsent.id)
    assert unsent.answer is None and unsent.gave_up_at == now
    assert set(done.messages) == {(DM, "1.1"), (DM, "2.2")} and done.deal_id == deal.id
    text, blocks = nudge_message_for(session, "T1", DM, "1.1", now)
    assert "Marked lost (went dark)" in read(text, blocks)


# ---------------------------------------------------------------- ownership and repeats


def test_nobody_but_the_rep_can_answer_their_nudge(session, now):
    logged = log(session, now - timedelta(hours=3))
    log(session, now - timedelta(hours=3), user_id="U2", account="Globex")
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    session.add(Workspace(team_id="T2", created_at=now))
    session.flush()
    session.add(Rep(team_id="T2", user_id="U1", created_at=now))  # same user id, another workspace
    session.commit()

    attempts = [
        ("T1", "U2"),  # a colleague
        ("T2", "U1"),  # a forged id from another workspace
        ("T1", "U9"),  # someone who never logged a meeting
    ]
    answers = [
        (snooze, {"choice": "1d"}),
        (mark_lost, {"reason": LostReason.OTHER}),
        (didnt_happen, {}),
        (answer_booked, {"at": now + timedelta(days=1), "description": None, "rescheduled": False}),
    ]
    for team_id, user_id in attempts:
        for answer, extra in answers:
            with pytest.raises(NotAllowed) as error:
                answer(session, team_id=team_id, user_id=user_id, nudge_id=nudge.id, now=now, **extra)
            assert str(error.value) == NOT_YOURS, answer
    with pytest.raises(NotAllowed):
        snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id + 1000, choice="1d", now=now)
    assert fresh(session, Nudge, nudge.id).answer is None
    assert fresh(session, Deal, logged.deal.id).status == DealStatus.OPEN
    assert nudge_message_for(session, "T2", DM, "1000.000001", now) is None


def test_a_second_click_changes_nothing(session, now):
    logged = log(session, now - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    snooze(session, team_id="T1", user_id="U1", nudge_id=nudge.id, choice="1d", now=now)
    first = fresh(session, Nudge, nudge.id).snoozed_until

    again = snooze(
        session,
        team_id="T1",
        user_id="U1",
        nudge_id=nudge.id,
        choice="next_week",
        now=now + timedelta(minutes=1),
    )
    lost = mark_lost(session, team_id="T1", user_id="U1", nudge_id=nudge.id, reason=LostReason.OTHER, now=now)

    assert again.repeat and again.answer == NudgeAnswer.SNOOZED
    assert lost.repeat and lost.answer == NudgeAnswer.SNOOZED
    nudge = fresh(session, Nudge, nudge.id)
    assert nudge.snoozed_until == first and nudge.answered_at == now
    assert fresh(session, Deal, logged.deal.id).status == DealStatus.OPEN


def test_two_clicks_at_once_answer_once(session, engine, now):
    logged = log(session, now - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    factory = make_session_factory(engine)
    results, barrier = [], threading.Barrier(2)

    def click(choice: str) -> None:
        with factory() as own:
            barrier.wait()
            results.append(snooze(own, team_id="T1", user_id="U1", nudge_id=nudge.id, choice=choice, now=now))

    threads = [threading.Thread(target=click, args=(choice,)) for choice in ("1d", "next_week")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.repeat for r in results) == [False, True]
    winner = next(r for r in results if not r.repeat)
    assert fresh(session, Nudge, nudge.id).answer == winner.answer == NudgeAnswer.SNOOZED


def test_a_second_mark_lost_keeps_the_first_reason(session, now):
    logged = log(session, now - timedelta(hours=3))
    nudge = sent(session, logged, NudgeKind.UNSCHEDULED, now)
    mark_lost(session, team_id="T1", user_id="U1", nudge_id=nudge.id, reason=LostReason.NO_BUDGET, now=now)
    again = mark_lost(
        session, team_id="T1", user_id="U1", nudge_id=nudge.id, reason=LostReason.COMPETITOR, now=now
    )
    assert again.repeat
    assert fresh(session, Deal, logged.deal.id).lost_reason == LostReason.NO_BUDGET


# ---------------------------------------------------------------- the DM re-rendered


def test_the_dm_is_re_rendered_in_the_sweeps_order_with_only_the_answered_item_settled(session, now):
    overdue_step = log(session, now - timedelta(days=3), account="Initech", booked_at=now + timedelta(days=1))
    step = fresh(session, NextStep, overdue_step.step.id)
    step.scheduled_at = now - timedelta(hours=3)
    session.commit()
    unscheduled = log(session, now - timedelta(days=1), account="Acme")
    first_due = sent(session, unscheduled, NudgeKind.UNSCHEDULED, now)
    first_due.due_at = now - timedelta(hours=1)
    later_due = sent(
        session, overdue_step, NudgeKind.OVERDUE, now, window=str(int(step.scheduled_at.timestamp()))
    )
    session.commit()

    snooze(session, team_id="T1", user_id="U1", nudge_id=first_due.id, choice="1d", now=now)
    text, blocks = nudge_message_for(session, "T1", DM, "1000.000001", now)

    sections = [b["block_id"] for b in blocks if b.get("block_id", "").startswith(ids.NUDGE_BLOCK_PREFIX)]
    # Overdue first (as the sweep sends it), though the unscheduled one fell due earlier.
    assert sections == [
        f"{ids.NUDGE_BLOCK_PREFIX}{later_due.id}",
        f"{ids.NUDGE_BLOCK_PREFIX}{later_due.id}_actions",
        f"{ids.NUDGE_BLOCK_PREFIX}{first_due.id}",
    ]
    assert text == "Your next steps: 1 to log, 1 to put a date on"


def test_a_nudge_dm_with_many_items_stays_within_slacks_50_blocks():
    """Coming back from a pause with 40 reminders due: one valid DM, the rest summarised."""
    from zoneinfo import ZoneInfo

    from slack_sdk.models.blocks import Block

    from bot.domain.vocabulary import NudgeKind
    from bot.slack.blocks.nudge_dm import NudgeItem, nudge_message

    items = [
        NudgeItem(nudge_id=n, kind=NudgeKind.UNSCHEDULED, account_name=f"Account {n}", deal_name="Deal")
        for n in range(40)
    ]
    _text, blocks = nudge_message(items, ZoneInfo("Europe/Berlin"))
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).to_dict()
    shown = [b for b in blocks if b.get("block_id", "").endswith("_actions")]
    assert 10 <= len(shown) < 40
    summary = blocks[-1]["text"]["text"]
    assert summary.startswith(f"*Also waiting:* Account {len(shown)},") and "and 8 more" in summary
