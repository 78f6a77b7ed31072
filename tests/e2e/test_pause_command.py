"""`/nextsteps pause until <day>` and `/nextsteps resume`, over signed HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Rep


def said(user, text: str) -> str:
    """What the person reads back after typing ``/nextsteps <text>``."""
    assert user.slash("/nextsteps", text).status == 200
    return user.ephemerals()[-1]["text"]


def test_pause_and_resume(fake, running, maria):
    until = (datetime.now(UTC) + timedelta(days=10)).date()
    answer = said(maria, f"pause until {until.isoformat()}")
    assert answer.startswith(f"Paused through {until:%A} {until.day} {until:%B %Y}")
    with Session(running.engine) as session:
        assert session.scalars(select(Rep).where(Rep.user_id == "U1")).one().paused_until == until

    assert "Welcome back" in said(maria, "resume")
    with Session(running.engine) as session:
        rep = session.scalars(select(Rep).where(Rep.user_id == "U1")).one()
        assert rep.paused_until is None and rep.resumed_at is not None
    assert "weren't paused" in said(maria, "resume")


def test_a_day_that_cannot_be_read_is_explained_and_changes_nothing(fake, running, maria):
    answer = said(maria, "pause until whenever")
    assert "couldn't read" in answer and "Dec 20" in answer
    with Session(running.engine) as session:
        assert all(rep.paused_until is None for rep in session.scalars(select(Rep)))


def test_help_lists_pause_and_resume(fake, running, maria):
    text = said(maria, "help")
    assert "/nextsteps pause until" in text and "/nextsteps resume" in text
