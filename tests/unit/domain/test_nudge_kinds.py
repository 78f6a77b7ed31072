"""The table of nudge kinds (bot.domain.nudge_kinds) and the window key every nudge is claimed under."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.nudge_kinds import (
    ANSWERED_BY_BOOKING,
    ANSWERED_BY_MEETING,
    NUDGE_KINDS,
    Offer,
    Subject,
    kind_row,
    kinds_of,
)
from bot.domain.nudges import DealState, NudgeSettings, Rules, StepState, WindowKey, plan_unscheduled
from bot.domain.vocabulary import DealStatus, NextStepStatus, NudgeKind
from bot.domain.worktime import WorkCalendar

AT = datetime(2025, 3, 3, 10, tzinfo=UTC)
STEP = StepState(NextStepStatus.UNSCHEDULED, AT, None, AT)
BOOKED = StepState(NextStepStatus.BOOKED, AT, AT + timedelta(days=2), AT)
DEAL = DealState(DealStatus.OPEN, AT)
RULES = Rules(WorkCalendar(UTC), NudgeSettings())


# ---------------------------------------------------------------- the table


def test_every_kind_of_nudge_has_one_row_in_the_table() -> None:
    assert set(NUDGE_KINDS) == set(NudgeKind)
    assert all(row.kind is kind for kind, row in NUDGE_KINDS.items())
    assert kind_row("stalled") is NUDGE_KINDS[NudgeKind.STALLED]  # as stored: a string


def test_a_dm_lists_the_most_pressing_kind_first() -> None:
    by_priority = sorted(NUDGE_KINDS.values(), key=lambda row: row.priority)
    assert [row.kind for row in by_priority] == [
        NudgeKind.OVERDUE,
        NudgeKind.UNSCHEDULED,
        NudgeKind.STALLED,
        NudgeKind.PREP,
    ]


def test_the_answers_a_click_may_give_are_the_buttons_the_dm_shows() -> None:
    offered = {kind: row.answers for kind, row in NUDGE_KINDS.items()}
    assert Offer.SNOOZE in offered[NudgeKind.UNSCHEDULED] and Offer.SNOOZE in offered[NudgeKind.STALLED]
    assert Offer.BOOKED in offered[NudgeKind.UNSCHEDULED] and Offer.BOOKED not in offered[NudgeKind.OVERDUE]
    assert {Offer.RESCHEDULED, Offer.DIDNT_HAPPEN} <= offered[NudgeKind.OVERDUE]
    assert offered[NudgeKind.PREP] == frozenset()  # a prep nudge is read, not answered
    for row in NUDGE_KINDS.values():
        assert len(row.buttons) == len(row.answers)  # no offer twice
        assert sum(b.primary for b in row.buttons) <= 1


def test_a_logged_meeting_answers_every_reminder_but_the_prep_and_booking_answers_the_steps_reminders() -> (
    None
):
    assert set(ANSWERED_BY_MEETING) == {NudgeKind.UNSCHEDULED, NudgeKind.OVERDUE, NudgeKind.STALLED}
    assert set(ANSWERED_BY_BOOKING) == {NudgeKind.UNSCHEDULED, NudgeKind.OVERDUE}


def test_every_message_and_notification_fills_in_with_what_the_builder_gives() -> None:
    for row in NUDGE_KINDS.values():
        text = row.message.format(title="*Acme*", quote="“a demo”", when="Tue 4 Mar", days_quiet=14, prep="")
        assert text.startswith("*Acme*\n") and "{" not in text
        assert "Acme" in row.notification.one.format(account="Acme", count=1)
        assert "3" in row.notification.several.format(account="Acme", count=3)
        assert "3" in row.notification.part.format(count=3)
        if row.footer:
            assert row.footer.format(ordinal=1, max_nudges=3) == "Reminder 1 of 3"


def test_each_kind_plans_only_its_own_subject() -> None:
    for row in NUDGE_KINDS.values():
        for subject, state in ((Subject.STEP, BOOKED), (Subject.STEP, STEP), (Subject.DEAL, DEAL)):
            if subject is not row.subject:
                assert row.planner(state, [], RULES, AT) is None
    assert [row.kind for row in kinds_of(Subject.STEP)] == [
        NudgeKind.UNSCHEDULED,
        NudgeKind.PREP,
        NudgeKind.OVERDUE,
    ]
    assert [row.kind for row in kinds_of(Subject.DEAL)] == [NudgeKind.STALLED]


def test_a_nudge_stays_true_while_its_subject_is_as_it_was_when_claimed() -> None:
    window = WindowKey.starting(AT + timedelta(days=2))
    assert kind_row("overdue").still_true(BOOKED, window)
    assert not kind_row("overdue").still_true(BOOKED, WindowKey.starting(AT))  # moved since
    assert not kind_row("prep").still_true(STEP, window)
    assert kind_row("unscheduled").still_true(STEP, None)
    assert not kind_row("stalled").still_true(DealState(DealStatus.WON, AT), None)


# ---------------------------------------------------------------- the window key


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ("1741000000", WindowKey(1741000000)),
        ("1741000000:2", WindowKey(1741000000, reminder=2)),
        ("1741000000:s1", WindowKey(1741000000, resend=1)),
    ],
)
def test_a_stored_window_key_reads_back_as_it_was_written(stored: str, key: WindowKey) -> None:
    assert WindowKey.parse(stored) == key
    assert key.format() == str(key) == stored


@pytest.mark.parametrize(
    "text", ["", "x:3", "12:", "12:s0", "12:0", "012", "12:3:4", "-5", "12:s", "１２", " 12"]
)
def test_a_key_the_rules_never_write_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        WindowKey.parse(text)


def test_a_window_is_a_reminder_or_a_resend_never_both() -> None:
    with pytest.raises(ValueError):
        WindowKey(12, reminder=1, resend=1)


keys = st.builds(
    WindowKey,
    at=st.integers(min_value=0, max_value=2**40),
    reminder=st.none() | st.integers(min_value=1, max_value=1000),
).flatmap(
    lambda k: st.just(k) if k.reminder else st.builds(WindowKey, st.just(k.at), resend=st.integers(0, 1000))
)


@given(keys)
def test_every_window_key_round_trips_through_its_stored_form(key: WindowKey) -> None:
    assert WindowKey.parse(key.format()) == key
    assert len(key.format()) <= 64  # nudges.window_key is String(64)


@given(st.text(alphabet=string.digits + ":s-x ", max_size=20))
def test_whatever_parses_is_written_back_exactly(text: str) -> None:
    try:
        key = WindowKey.parse(text)
    except ValueError:
        return
    assert key.format() == text  # so a key read from a row matches that row again


def test_the_planner_claims_under_the_stored_form() -> None:
    (due,) = plan_unscheduled(
        episode_start=AT, history=[], cal=RULES.cal, settings=RULES.settings, now=AT + timedelta(days=1)
    ).due
    assert due.window_key == f"{int(AT.timestamp())}:1" and due.window == WindowKey.starting(AT, reminder=1)
    assert due.window.instant == AT
