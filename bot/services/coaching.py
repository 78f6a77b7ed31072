"""What the coaching DM needs of a freshly logged meeting, read in one statement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.domain.coaching import CoachingInput, Prep
from bot.domain.vocabulary import AskType, MeetingKind, Reaction
from bot.services.meetings import replacement_accounts
from bot.services.reps import zone
from bot.services.store import Sessions
from models import Account, Deal, Meeting, NextStep, Rep


def coaching_input(
    sessions: Sessions, *, team_id: str, meeting_id: int, next_step_id: int | None, now: datetime
) -> CoachingInput:
    """The grader's input for the meeting (its ask, the reaction, the next step and its prep)."""
    with sessions() as session:
        row = session.execute(
            select(
                Meeting.reaction,
                Meeting.ask_text,
                Meeting.ask_type,
                Meeting.kind,
                Deal.id.label("deal_id"),
                Deal.name.label("deal_name"),
                Account.id.label("account_id"),
                Account.name.label("account_name"),
                Account.territory,
                Rep.id.label("rep_id"),
                Rep.timezone,
                Rep.streak,
                NextStep.id.label("step_id"),
                NextStep.description,
                NextStep.scheduled_at,
                NextStep.prep_attendees,
                NextStep.prep_agenda,
                NextStep.prep_materials,
                NextStep.prep_evaluation,
                NextStep.prep_step_after,
            )
            .select_from(Meeting)
            .join(Deal, Deal.id == Meeting.deal_id)
            .join(Account, Account.id == Deal.account_id)
            .join(Rep, Rep.id == Meeting.rep_id)
            .outerjoin(NextStep, NextStep.id == next_step_id)
            .where(Meeting.id == meeting_id, Meeting.team_id == team_id)
        ).one()
        reaction = Reaction(row.reaction) if row.reaction else None
        replacements = (
            tuple(replacement_accounts(session, team_id, row.rep_id, row.account_id))
            if reaction is Reaction.DECLINED
            else ()
        )
    step = row.step_id is not None
    return CoachingInput(
        rep_tz=zone(row.timezone),
        account_name=row.account_name,
        deal_name=row.deal_name,
        ask_text=row.ask_text,
        chosen=AskType(row.ask_type),
        reaction=reaction,
        kind=MeetingKind(row.kind) if row.kind else None,
        next_step_description=row.description if step else None,
        next_step_at=row.scheduled_at if step else None,
        prep=Prep(
            attendees=row.prep_attendees if step else None,
            agenda=row.prep_agenda if step else None,
            materials=row.prep_materials if step else None,
            evaluation=row.prep_evaluation if step else None,
            step_after=row.prep_step_after if step else None,
        ),
        next_step_id=row.step_id,
        deal_id=row.deal_id,
        replacement_accounts=replacements,
        territory=row.territory,
        # today, the rep's: right after the meeting or days later, never a day gone by
        counted_from=now.astimezone(zone(row.timezone)).date(),
        streak=row.streak,
    )
