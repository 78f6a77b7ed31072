"""A meeting logged as a rep would (an agreed but unscheduled next step), for the service tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, Reaction
from bot.services.meetings import LoggedMeeting, MeetingForm, log_meeting


def logged(
    session: Session,
    now: datetime,
    user: str = "U1",
    team: str = "T1",
    account: str = "new:Acme",
    **form: Any,
) -> LoggedMeeting:
    """log_meeting of a scheduled-meeting ask an hour ago, agreed but not yet on the calendar."""
    return log_meeting(
        session,
        team_id=team,
        user_id=user,
        view_id=None,
        now=now,
        form=MeetingForm(
            account=account,
            held_at=now - timedelta(hours=1),
            ask_text="Shall we meet Tuesday at 10?",
            ask_type=AskType.SCHEDULED_MEETING,
            reaction=Reaction.AGREED_UNSCHEDULED,
            **form,
        ),
    )
