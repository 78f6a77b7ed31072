"""Regrading: bring every stored meeting's grade up to the current grader.

The grader's rules improve over time (bot.domain.grading.GRADER_VERSION). Each meeting
records the version that graded it; this regrades the older ones, a batch per transaction,
and records the new version, so a second run finds nothing to do (the release step runs it
after every migration). Posted leaderboards are not reposted: the next board, and its
movement against the previous week, are computed from the regraded meetings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.coaching import grade_ask
from bot.domain.grading import GRADER_VERSION
from bot.domain.vocabulary import AskType, NextStepStatus, Reaction
from models import Meeting, NextStep

BATCH = 500


@dataclass(frozen=True)
class RegradeReport:
    checked: int  # meetings graded by an older grader
    changed: int  # of those, meetings whose grade is now different


def regrade(session_factory: sessionmaker[Session], *, batch: int = BATCH) -> RegradeReport:
    """Regrade every meeting graded by an older grader; one transaction per batch of meetings."""
    checked = changed = 0
    after = 0
    while True:
        with session_factory() as session:
            rows = session.execute(
                select(Meeting, NextStep.description, NextStep.scheduled_at, NextStep.status)
                .outerjoin(NextStep, NextStep.meeting_id == Meeting.id)
                .where(Meeting.grader_version < GRADER_VERSION, Meeting.id > after)
                .order_by(Meeting.id)
                .limit(batch)
            ).all()
            if not rows:
                return RegradeReport(checked=checked, changed=changed)
            for meeting, description, scheduled_at, status in rows:
                booked = (
                    meeting.reaction == Reaction.BOOKED
                    and scheduled_at is not None
                    and status != NextStepStatus.UNSCHEDULED
                )
                grade = grade_ask(
                    AskType(meeting.ask_type), meeting.ask_text or "", description, booked=booked
                )
                changed += grade.graded.value != meeting.graded_ask_type
                meeting.graded_ask_type = grade.graded.value
                meeting.grade_reason = grade.reason
                meeting.grader_version = GRADER_VERSION
                after = meeting.id
            checked += len(rows)
            session.commit()
