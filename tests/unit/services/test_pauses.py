"""Pausing and resuming: the days people type, and what a resume resets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.domain.vocabulary import AskType, Reaction
from bot.services.meetings import MeetingForm, log_meeting
from bot.services.pauses import BadDate, parse_day, pause, resume
from models import NextStep, Rep

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("until 2026-12-20", date(2026, 12, 20)),
        ("Dec 20", date(2026, 12, 20)),
        ("20 december", date(2026, 12, 20)),
        ("until jan 5", date(2027, 1, 5)),
        ("5 Jan 2027", date(2027, 1, 5)),
        ("friday", date(2026, 11, 27)),
        ("next thursday", date(2026, 12, 3)),
        ("tomorrow", date(2026, 11, 27)),
    ],
)
def test_days_as_people_type_them(typed, day):
    assert parse_day(typed, TODAY) == day


@pytest.mark.parametrize("typed", ["", "until", "soonish", "2026-02-30", "31 feb", "20/12"])
def test_unreadable_days_say_how_to_write_them(typed):
    with pytest.raises(BadDate):
        parse_day(typed, TODAY)


def test_a_pause_in_the_past_or_over_a_year_is_refused(session, now):
    with pytest.raises(BadDate, match="passed"):
        pause(session, team_id="T1", user_id="U1", until=TODAY - timedelta(days=1), today=TODAY, now=now)
    with pytest.raises(BadDate, match="year"):
        pause(session, team_id="T1", user_id="U1", until=TODAY + timedelta(days=400), today=TODAY, now=now)


def test_resume_ends_the_pause_and_has_the_clock_look_again_now(session, now):
    logged = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V1",
        now=now,
        form=MeetingForm(
            account="new:Acme",
            held_at=now - timedelta(hours=1),
            ask_text="Call me Tuesday at 10?",
            ask_type=AskType.SCHEDULED_MEETING,
            reaction=Reaction.AGREED_UNSCHEDULED,
        ),
    )
    pause(session, team_id="T1", user_id="U1", until=TODAY + timedelta(days=7), today=TODAY, now=now)
    step = session.get(NextStep, logged.next_step_id)
    step.nudge_check_at = now + timedelta(days=8)  # as the sweep leaves it for a paused rep
    session.commit()
    later = now + timedelta(days=2)
    assert resume(session, team_id="T1", user_id="U1", now=later) is not None
    rep = session.scalars(select(Rep)).one()
    assert rep.paused_until is None and rep.resumed_at == later
    assert session.get(NextStep, logged.next_step_id).nudge_check_at == later
    assert resume(session, team_id="T1", user_id="U1", now=later) is None, "not paused any more"
