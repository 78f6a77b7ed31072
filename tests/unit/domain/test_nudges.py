"""The nudge planner's rules (bot.domain.nudges), without a database: values and ``now`` in, a plan out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.nudges import NudgeSettings, PastNudge, plan_booked, plan_stalled, plan_unscheduled
from bot.domain.vocabulary import NudgeKind
from bot.domain.worktime import WorkCalendar

BERLIN = ZoneInfo("Europe/Berlin")
CAL = WorkCalendar(BERLIN)  # Monday to Friday, 09:00 to 18:00
SETTINGS = NudgeSettings()  # first after 2 h, then every 2 working days, at most 3; overdue after 2 h


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2025 (the 3rd is a Monday), Berlin wall time, as UTC."""
    return datetime(2025, 3, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def sent(window_key: str, at: datetime, **kwargs: object) -> PastNudge:
    return PastNudge(window_key=window_key, claimed_at=at, sent_at=at, snoozed_until=None, **kwargs)


def unscheduled(episode_start: datetime, history: list[PastNudge], now: datetime):
    return plan_unscheduled(episode_start=episode_start, history=history, cal=CAL, settings=SETTINGS, now=now)


def test_an_unscheduled_step_is_first_nudged_two_hours_after_it_was_logged() -> None:
    logged = berlin(3, 10)
    before = unscheduled(logged, [], berlin(3, 11, 59))
    assert before.due == ()
    assert before.next_check == berlin(3, 12)
    at = unscheduled(logged, [], berlin(3, 12))
    assert [(d.kind, d.due_at, d.escalate) for d in at.due] == [(NudgeKind.UNSCHEDULED, berlin(3, 12), False)]


def test_a_step_logged_late_on_friday_is_nudged_at_the_start_of_monday() -> None:
    plan = unscheduled(berlin(7, 17, 30), [], berlin(7, 19, 30))
    assert plan.due == ()
    assert plan.next_check == berlin(10, 9)


def test_the_next_reminder_comes_two_working_days_after_the_last_was_sent() -> None:
    logged = berlin(3, 10)
    first = unscheduled(logged, [], berlin(3, 12)).due[0]
    history = [sent(first.window_key, berlin(3, 12))]
    assert unscheduled(logged, history, berlin(5, 11, 59)).due == ()
    second = unscheduled(logged, history, berlin(5, 12)).due
    assert len(second) == 1 and second[0].window_key != first.window_key and not second[0].escalate


def test_after_the_last_reminder_the_step_is_escalated_once() -> None:
    logged = berlin(3, 10)
    key = unscheduled(logged, [], berlin(3, 12)).due[0].window_key
    prefix = key.rsplit(":", 1)[0]
    history = [
        sent(f"{prefix}:{n}", at) for n, at in ((1, berlin(3, 12)), (2, berlin(5, 12)), (3, berlin(7, 12)))
    ]
    escalation = unscheduled(logged, history, berlin(12, 12)).due
    assert [d.escalate for d in escalation] == [True]
    history[-1] = sent(f"{prefix}:3", berlin(7, 12), escalated_at=berlin(12, 12))
    assert unscheduled(logged, history, berlin(20, 12)).due == ()


def test_a_booked_step_gets_a_prep_nudge_at_the_start_of_its_day_and_an_overdue_one_after_it() -> None:
    step = berlin(4, 10)

    def plan(now: datetime, booked_at: datetime | None = None):
        return plan_booked(
            scheduled_at=step,
            booked_at=booked_at or berlin(3, 15),
            history=[],
            cal=CAL,
            settings=SETTINGS,
            now=now,
        )

    assert [(d.kind, d.due_at) for d in plan(berlin(4, 9)).due] == [(NudgeKind.PREP, berlin(4, 9))]
    assert [(d.kind, d.due_at) for d in plan(berlin(4, 12)).due] == [(NudgeKind.OVERDUE, berlin(4, 12))]
    # Booked after the prep moment: no prep nudge, only the overdue one later.
    assert [d.kind for d in plan(berlin(4, 12), booked_at=berlin(4, 9, 30)).due] == [NudgeKind.OVERDUE]


def test_a_step_before_working_hours_is_prepared_for_on_the_previous_working_day() -> None:
    monday_early = berlin(10, 8)
    plan = plan_booked(
        scheduled_at=monday_early,
        booked_at=berlin(3, 10),
        history=[],
        cal=CAL,
        settings=SETTINGS,
        now=berlin(7, 9),
    )
    assert [(d.kind, d.due_at) for d in plan.due] == [(NudgeKind.PREP, berlin(7, 9))]


def test_a_deal_stalls_after_fourteen_days_without_a_meeting_unless_a_step_is_booked_ahead() -> None:
    last = berlin(3, 10)
    common = dict(last_activity=last, history=[], cal=CAL, settings=SETTINGS)
    assert plan_stalled(booked_ahead=None, now=berlin(17, 9, 59), **common).due == ()
    due = plan_stalled(booked_ahead=None, now=berlin(17, 10), **common).due
    assert [(d.kind, d.due_at) for d in due] == [(NudgeKind.STALLED, berlin(17, 10))]
    ahead = plan_stalled(booked_ahead=berlin(20, 10), now=berlin(17, 10), **common)
    assert ahead.due == () and ahead.next_check == berlin(20, 10)


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)))
def test_a_first_reminder_never_lands_outside_working_hours(logged: datetime) -> None:
    plan = unscheduled(logged, [], logged + timedelta(days=30))
    assert len(plan.due) == 1
    assert CAL.is_working(plan.due[0].due_at)
