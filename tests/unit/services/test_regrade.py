"""`nextstep regrade`: stored meetings graded by an older grader are regraded, once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select, update

from bot.domain.grading import GRADER_VERSION
from bot.domain.vocabulary import AskType, Reaction
from bot.services.meetings import MeetingForm, log_meeting
from bot.services.regrade import regrade
from models import Meeting, make_session_factory


def form(now, **overrides) -> MeetingForm:
    values = (
        dict(
            account="new:Acme Corp",
            held_at=now - timedelta(hours=1),
            ask_type=AskType.SCHEDULED_MEETING,
        )
        | overrides
    )
    return MeetingForm(**values)


def _log_as_the_old_grader_did(session, now, ask: str, view: str) -> int:
    logged = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id=view,
        now=now,
        form=form(now, ask_text=ask, reaction=Reaction.AGREED_UNSCHEDULED, next_step_at=None, next_step=None),
    )
    # Before issue 12 the chosen type stood whenever the words gave no evidence against it.
    session.execute(
        update(Meeting)
        .where(Meeting.id == logged.meeting_id)
        .values(graded_ask_type=AskType.SCHEDULED_MEETING.value, grade_reason=None, grader_version=1)
    )
    session.commit()
    return logged.meeting_id


def test_regrade_lowers_old_grades_by_the_words_and_is_cheap_the_second_time(engine, session, now):
    described = _log_as_the_old_grader_did(session, now, "Great chat with their ops lead", "V1")
    dated = _log_as_the_old_grader_did(session, now - timedelta(minutes=5), "Demo Thursday 3pm with IT", "V2")
    first = regrade(make_session_factory(engine), batch=1)
    assert (first.checked, first.changed) == (2, 1)
    session.expire_all()
    by_id = {m.id: m for m in session.scalars(select(Meeting))}
    assert by_id[described].graded_ask_type == AskType.NO_ASK
    assert "describes the meeting but asks for nothing" in (by_id[described].grade_reason or "")
    assert by_id[dated].graded_ask_type == AskType.SCHEDULED_MEETING
    assert {m.grader_version for m in by_id.values()} == {GRADER_VERSION}
    assert regrade(make_session_factory(engine)).checked == 0


def test_nextstep_regrade_command(engine, session, now, database_url):
    _log_as_the_old_grader_did(session, now, "emailed the one-pager, ball in their court", "V1")
    done = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "regrade"],
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "regraded 1 meetings with the current grader; 1 changed grade" in done.stdout
    session.expire_all()
    assert session.scalars(select(Meeting)).one().graded_ask_type == AskType.NO_ASK
