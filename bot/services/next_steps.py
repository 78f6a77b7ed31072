"""A rep's next step outside the `/meeting` form: what the "Booked it" modal offers to book.

The booking itself is ``bot.services.meetings.book_next_step`` (the modal's Save).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.errors import UserFacingError
from bot.domain.vocabulary import NextStepStatus
from bot.services.permissions import own_step
from models import Deal

BOOKABLE = (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED)


class StepClosed(UserFacingError):
    """The next step is done, missed or cancelled already: nothing to book."""

    def __init__(self, status: str):
        self.status = status
        super().__init__(f"That next step is already {status}. Log a meeting instead.")


@dataclass(frozen=True)
class StepToBook:
    """What the "Booked it" modal shows: the step, its deal, and the time booked so far."""

    step_id: int
    description: str
    deal_name: str
    scheduled_at: datetime | None


def step_to_book(
    session_factory: Callable[[], Session], team_id: str, user_id: str, step_id: int | None
) -> StepToBook:
    """The rep's own open next step; NotAllowed for anyone else's, StepClosed once it is closed."""
    with session_factory() as session:
        step = own_step(session, team_id, user_id, step_id)
        if step.status not in BOOKABLE:
            raise StepClosed(step.status)
        deal = session.get(Deal, step.deal_id)
        return StepToBook(step.id, step.description, deal.name if deal else "", step.scheduled_at)
