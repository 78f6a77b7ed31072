"""Changing a deal or a meeting after the fact: won or lost, the deal's details, reassignment,
and editing or withdrawing the rep's last meeting (within ``EDIT_WINDOW``; edits keep the previous version).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Session

from bot.domain.coaching import grade_ask
from bot.domain.errors import FieldErrors, NotAllowed, UserFacingError
from bot.domain.grading import GRADER_VERSION
from bot.domain.vocabulary import (
    OPEN_NEXT_STEP_STATUSES,
    DealStatus,
    LostReason,
    NextStepStatus,
    NudgeAnswer,
    Reaction,
)
from bot.services.deal_history import snapshot
from bot.services.meetings import (
    MAX_NAME,
    MeetingForm,
    answer_reminders,
    validate,
)
from bot.services.permissions import DEAL_NOT_YOURS, manager_of, manages_owner, own_deal
from bot.services.reps import ensure_rep
from bot.services.watching import watch, watching
from bot.slack import ids
from models import Account, Deal, Meeting, MeetingVersion, NextStep, Nudge, Rep, one_of

EDIT_WINDOW = timedelta(days=7)
NOT_YOURS = DEAL_NOT_YOURS
MEETING_NOT_EDITABLE = (
    "You can edit or withdraw only your last meeting, within 7 days of logging it. "
    "For anything older, log a new meeting."
)

Message = tuple[str, str]


def _rep(session: Session, team_id: str, user_id: str) -> Rep | None:
    return session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))


def owned_deal(session: Session, team_id: str, user_id: str, deal_id: int) -> Deal:
    """The deal when this person owns it in this workspace; else NotAllowed, saying nothing of it."""
    return own_deal(session, team_id, user_id, deal_id)


def close_steps_and_nudges(
    session: Session, deal: Deal, answer: NudgeAnswer | None, now: datetime
) -> list[Message]:
    """Cancel the deal's open next steps; answer its open reminders (so their DMs read as done)."""
    for step in session.scalars(
        select(NextStep).where(NextStep.deal_id == deal.id, one_of(NextStep.status, OPEN_NEXT_STEP_STATUSES))
    ):
        step.status, step.status_changed_at = NextStepStatus.CANCELLED, now
        watch(step, None)
    watch(deal, None)
    reminders = session.scalars(
        select(Nudge).where(Nudge.team_id == deal.team_id, Nudge.deal_id == deal.id, Nudge.answer.is_(None))
    ).all()
    return list(answer_reminders(reminders, answer, now, "deal closed before delivery"))


def close_deal(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    deal_id: int,
    won: bool,
    reason: LostReason | None,
    now: datetime,
) -> list[Message]:
    """Mark the rep's open deal won, or lost with a reason; returns the nudge DMs to update."""
    deal = owned_deal(session, team_id, user_id, deal_id)
    if deal.status != DealStatus.OPEN:
        session.rollback()
        raise UserFacingError(f"That deal is already {deal.status}.")
    if not won and reason is None:
        raise FieldErrors({ids.LOST_REASON: "Pick why the deal was lost."})
    deal.status = DealStatus.WON if won else DealStatus.LOST
    deal.lost_reason = None if won else reason
    deal.closed_at = now
    messages = close_steps_and_nudges(session, deal, None if won else NudgeAnswer.LOST, now)
    session.commit()
    return messages


@dataclass
class DealDetails:
    name: str | None
    amount: str | None
    stage: str | None
    expected_close: date | None


def edit_deal(
    session: Session, *, team_id: str, user_id: str, deal_id: int, details: DealDetails, now: datetime
) -> Deal:
    """The deal's name, amount, stage and expected close, as the owner corrects them."""
    errors: dict[str, str] = {}
    name = " ".join((details.name or "").split())
    if not name:
        errors[ids.DEAL_NAME] = "The deal needs a name."
    elif len(name) > MAX_NAME:
        errors[ids.DEAL_NAME] = f"Deal names can be at most {MAX_NAME} characters."
    amount: Decimal | None = None
    if details.amount and details.amount.strip():
        raw = re.sub(r"[\s,$€£]", "", details.amount)
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            errors[ids.DEAL_AMOUNT] = "Type the amount as a number, e.g. 25000."
            amount = None
    stage = " ".join((details.stage or "").split()) or None
    if stage and len(stage) > 64:
        errors[ids.DEAL_STAGE] = "Keep the stage under 64 characters."
    if errors:
        raise FieldErrors(errors)
    deal = owned_deal(session, team_id, user_id, deal_id)
    deal.name, deal.amount, deal.stage, deal.expected_close = name, amount, stage, details.expected_close
    session.commit()
    return deal


def reassign_deal(
    session: Session, *, team_id: str, user_id: str, admin: bool, deal_id: int, to_user_id: str, now: datetime
) -> Deal:
    """A manager (of the current owner) or an admin gives the deal, and its open next steps, to another rep."""
    deal = session.get(Deal, deal_id)
    owner = session.get(Rep, deal.owner_rep_id) if deal is not None else None
    if deal is None or owner is None or deal.team_id != team_id:
        raise NotAllowed("Only the rep's manager or an admin can reassign a deal.")
    if not admin and manager_of(session, owner) != user_id:
        raise NotAllowed("Only the rep's manager or an admin can reassign a deal.")
    if not to_user_id:
        raise FieldErrors({ids.REASSIGN_TO: "Pick the rep who takes it over."})
    target = ensure_rep(session, team_id, to_user_id, now)
    deal.owner_rep_id = target.id
    for step in session.scalars(
        select(NextStep).where(NextStep.deal_id == deal.id, one_of(NextStep.status, OPEN_NEXT_STEP_STATUSES))
    ):
        step.rep_id = target.id
        watch(step, now)
    watch(deal, now)  # the new owner's deal is watched again (a rep who left had it switched off)
    session.commit()
    return deal


# ---------------------------------------------------------------- the rep's last meeting


def editable_meeting(
    session: Session, *, team_id: str, user_id: str, meeting_id: int, now: datetime
) -> Meeting:
    """The meeting when it is this rep's last one (by logging time), within 7 days, not withdrawn."""
    rep = _rep(session, team_id, user_id)
    meeting = session.get(Meeting, meeting_id)
    if rep is None or meeting is None or meeting.team_id != team_id or meeting.rep_id != rep.id:
        raise NotAllowed("That meeting isn't one of yours.")
    last = last_meeting_id(session, team_id, rep.id)
    if meeting.withdrawn_at is not None or last != meeting.id or now - meeting.logged_at > EDIT_WINDOW:
        raise UserFacingError(MEETING_NOT_EDITABLE)
    return meeting


# The rep's (bound ``team`` and ``rep``) newest logged meeting that was not withdrawn.
LAST_MEETING_ID = (
    select(Meeting.id)
    .where(
        Meeting.team_id == bindparam("team", type_=String()),
        Meeting.rep_id == bindparam("rep"),
        Meeting.withdrawn_at.is_(None),
    )
    .order_by(Meeting.logged_at.desc(), Meeting.id.desc())
    .limit(1)
)


def last_meeting_id(session: Session, team_id: str, rep_id: int) -> int | None:
    return session.scalar(LAST_MEETING_ID, {"team": team_id, "rep": rep_id})


def _keep_version(session: Session, meeting: Meeting, user_id: str, now: datetime) -> None:
    session.add(
        MeetingVersion(
            team_id=meeting.team_id,
            meeting_id=meeting.id,
            version=meeting.version,
            snapshot=snapshot(meeting),
            superseded_at=now,
            superseded_by_user_id=user_id,
        )
    )
    meeting.version += 1
    meeting.edited_at = now


def _recount_streak(session: Session, rep_id: int) -> None:
    """The streak after an edit or withdrawal: the rep's latest meetings that ended booked, in a row.

    Reads only as many meetings as the streak is long, plus one (ix_meetings_team_id_rep_id_held_at).
    """
    rep = session.get(Rep, rep_id)
    if rep is None:
        return
    streak = 0
    reactions = session.scalars(
        select(Meeting.reaction)
        .where(Meeting.team_id == rep.team_id, Meeting.rep_id == rep.id, Meeting.withdrawn_at.is_(None))
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
        .execution_options(yield_per=50)
    )
    for reaction in reactions:
        if reaction != Reaction.BOOKED:
            break
        streak += 1
    reactions.close()
    rep.streak = streak


def _recount_last_meeting(session: Session, deal: Deal, now: datetime) -> None:
    """The deal's last meeting, stall check and decline flag after an edit or withdrawal."""
    last = session.execute(
        select(Meeting.held_at, Meeting.reaction)
        .where(Meeting.deal_id == deal.id, Meeting.withdrawn_at.is_(None))
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
        .limit(1)
    ).first()
    deal.last_meeting_at = last.held_at if last else None
    watch(deal, (deal.last_meeting_at or deal.created_at) if deal.status == DealStatus.OPEN else None)
    declined = last is not None and last.reaction == Reaction.DECLINED
    deal.at_risk_since = (deal.at_risk_since or now) if declined else None


# The edit modal sends the /meeting form's own fields, fewer of them: one form, one validation.
MeetingEdit = MeetingForm


def edit_meeting(
    session: Session, *, team_id: str, user_id: str, meeting_id: int, edit: MeetingEdit, now: datetime
) -> Meeting:
    """Correct the last meeting: the old version is kept, the ask regraded, its next step follows the reaction."""
    errors = validate(edit, now, editing=True)
    if errors:
        raise FieldErrors(errors)
    assert edit.ask_type is not None and edit.held_at is not None
    meeting = editable_meeting(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id, now=now)
    step = session.scalar(select(NextStep).where(NextStep.meeting_id == meeting.id))
    if edit.reaction is Reaction.BOOKED and (step is None or step.status != NextStepStatus.BOOKED):
        raise FieldErrors(
            {
                ids.REACTION: "Booked needs a date: keep this reaction and use \u201cBooked it\u201d to add the date."
            }
        )
    before = Reaction(meeting.reaction) if meeting.reaction else None
    _keep_version(session, meeting, user_id, now)
    booked = step is not None and step.status == NextStepStatus.BOOKED and step.scheduled_at is not None
    grade = grade_ask(edit.ask_type, edit.ask_text or "", step.description if step else None, booked=booked)
    meeting.held_at = edit.held_at
    meeting.kind = edit.kind.value if edit.kind else None
    meeting.ask_text = edit.ask_text or ""
    meeting.ask_type = edit.ask_type.value
    meeting.graded_ask_type = grade.graded.value
    meeting.grade_reason = grade.reason
    meeting.grader_version = GRADER_VERSION
    meeting.reaction = edit.reaction.value if edit.reaction else None
    meeting.notes = edit.notes
    deal = session.get(Deal, meeting.deal_id)
    assert deal is not None
    if edit.reaction in (Reaction.AGREED_UNSCHEDULED, Reaction.HESITANT):
        if step is None:
            session.add(
                NextStep(
                    team_id=team_id,
                    deal_id=deal.id,
                    meeting_id=meeting.id,
                    rep_id=meeting.rep_id,
                    description=(edit.ask_text or "")[:1000],
                    status=NextStepStatus.UNSCHEDULED,
                    status_changed_at=now,
                    created_at=now,
                    **watching(NextStep, now),
                )
            )
        elif deal.status == DealStatus.OPEN and (
            (before is Reaction.BOOKED and step.status == NextStepStatus.BOOKED)
            or (before in (Reaction.DECLINED, None) and step.status == NextStepStatus.CANCELLED)
        ):
            # Only a changed reaction moves the step: "it wasn't booked after all" or "they
            # didn't decline after all" leaves an open step with no date, nudged like any other.
            # A date added since with "Booked it" (the reaction stays "agreed") is kept, and a
            # step done or missed since stays as it went.
            step.status, step.scheduled_at, step.booked_at = NextStepStatus.UNSCHEDULED, None, None
            step.status_changed_at = now
            watch(step, now)
    elif (
        edit.reaction in (Reaction.DECLINED, None)
        and step is not None
        and step.status in OPEN_NEXT_STEP_STATUSES
    ):
        step.status, step.status_changed_at = NextStepStatus.CANCELLED, now
        watch(step, None)
    session.flush()
    _recount_last_meeting(session, deal, now)
    _recount_streak(session, meeting.rep_id)
    session.commit()
    return meeting


def withdraw_meeting(
    session: Session, *, team_id: str, user_id: str, meeting_id: int, now: datetime
) -> Meeting:
    """Take the last meeting out of the metrics; it stays in the deal's history, marked withdrawn."""
    meeting = editable_meeting(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id, now=now)
    meeting.withdrawn_at = now
    step = session.scalar(select(NextStep).where(NextStep.meeting_id == meeting.id))
    if step is not None and step.status in OPEN_NEXT_STEP_STATUSES:
        step.status, step.status_changed_at = NextStepStatus.CANCELLED, now
        watch(step, None)
    deal = session.get(Deal, meeting.deal_id)
    assert deal is not None
    if deal.status == DealStatus.OPEN:
        # The steps this meeting counted as happened are waiting again, as they were.
        for earlier in session.scalars(
            select(NextStep).where(
                NextStep.done_by_meeting_id == meeting.id, NextStep.status == NextStepStatus.DONE
            )
        ):
            earlier.status = (
                NextStepStatus.BOOKED if earlier.scheduled_at is not None else NextStepStatus.UNSCHEDULED
            )
            earlier.status_changed_at, earlier.done_by_meeting_id = now, None
            watch(earlier, now)
    session.flush()
    _recount_last_meeting(session, deal, now)
    _recount_streak(session, meeting.rep_id)
    session.commit()
    return meeting


# ---------------------------------------------------------------- per click: one session, plain values
# The entry points of the Home tab's and the coaching DM's buttons: each opens its own session
# (the session factory is passed in), commits when it writes, and returns values, never rows.

REASSIGN_REFUSED = "Only the rep's manager or an admin can reassign a deal."


@dataclass(frozen=True)
class OwnedDeal:
    """A rep's own deal, as the Home tab's menu and buttons show it."""

    deal_id: int
    name: str
    account_id: int
    account_name: str
    amount: Decimal | None
    stage: str | None
    expected_close: date | None
    open: bool


def deal_of_rep(
    session_factory: Callable[[], Session], team_id: str, user_id: str, deal_id: int
) -> OwnedDeal:
    """The rep's own deal; NotAllowed (``DEAL_NOT_YOURS``) for any other."""
    with session_factory() as session:
        deal = own_deal(session, team_id, user_id, deal_id)
        account = session.get(Account, deal.account_id)
        return OwnedDeal(
            deal_id=deal.id,
            name=deal.name,
            account_id=deal.account_id,
            account_name=account.name if account else "",
            amount=deal.amount,
            stage=deal.stage,
            expected_close=deal.expected_close,
            open=deal.status == DealStatus.OPEN,
        )


def win_deal(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, deal_id: int, now: datetime
) -> list[Message]:
    """The Home tab's "Mark won": the rep's open deal won; the nudge DMs to update."""
    with session_factory() as session:
        return close_deal(
            session, team_id=team_id, user_id=user_id, deal_id=deal_id, won=True, reason=None, now=now
        )


@dataclass(frozen=True)
class MeetingToEdit:
    """What the edit modal is prefilled with: the rep's last meeting, and its deal and account names."""

    id: int
    held_at: datetime
    ask_text: str
    ask_type: str
    reaction: str | None
    kind: str | None
    notes: str | None
    account_name: str
    deal_name: str


def meeting_to_edit(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, meeting_id: int, now: datetime
) -> MeetingToEdit:
    """The rep's last meeting, when still editable (``editable_meeting``'s refusals otherwise)."""
    with session_factory() as session:
        meeting = editable_meeting(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id, now=now)
        deal = session.get(Deal, meeting.deal_id)
        account = session.get(Account, deal.account_id) if deal else None
        return MeetingToEdit(
            id=meeting.id,
            held_at=meeting.held_at,
            ask_text=meeting.ask_text,
            ask_type=meeting.ask_type,
            reaction=meeting.reaction,
            kind=meeting.kind,
            notes=meeting.notes,
            account_name=account.name if account else "",
            deal_name=deal.name if deal else "",
        )


def withdraw_last_meeting(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, meeting_id: int, now: datetime
) -> None:
    """ "Withdraw it": the rep's last meeting out of the metrics (``withdraw_meeting``), committed."""
    with session_factory() as session:
        withdraw_meeting(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id, now=now)


@dataclass(frozen=True)
class ReassignForm:
    """What the reassign modal shows."""

    deal_id: int
    account_name: str
    deal_name: str
    owner_name: str


def reassign_form(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    user_id: str,
    deal_id: int | None,
    admin: Callable[[], bool],
) -> ReassignForm:
    """The reassign modal's values for the owner's manager or an admin; NotAllowed for anyone else.

    ``admin`` (it may ask Slack) is asked only when the person does not manage the owner, after
    the session is closed.
    """
    with session_factory() as session:
        deal = session.get(Deal, deal_id) if deal_id else None
        owner = session.get(Rep, deal.owner_rep_id) if deal is not None else None
        if deal is None or owner is None or deal.team_id != team_id:
            raise NotAllowed(REASSIGN_REFUSED)
        manager = manages_owner(session, deal, user_id)
        account = session.get(Account, deal.account_id)
        form = ReassignForm(deal.id, account.name if account else "", deal.name, owner.display_name)
    if not manager and not admin():
        raise NotAllowed(REASSIGN_REFUSED)
    return form
