"""What a rep's click on a nudge does: snooze, didn't happen, booked or rescheduled, mark lost.

Each answer checks that the nudge is this rep's in this workspace, is idempotent (a second
click on an answered nudge changes nothing) and commits once. The rep's row is locked for
the transaction, as the sweep's planner locks it, so an answer and a sweep's plan for the
same rep never interleave. The nudge DM is then re-rendered from the store, all of its
items with their answers, by ``nudge_message_for``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.coaching import format_when
from bot.domain.errors import NotAllowed, UserFacingError
from bot.domain.nudge_kinds import Offer, as_sent, kind_row
from bot.domain.nudges import SNOOZE_CHOICES, NudgeItem, is_open, snooze_until
from bot.domain.vocabulary import (
    OPEN_NEXT_STEP_STATUSES,
    DealStatus,
    LostReason,
    NextStepStatus,
    NudgeAnswer,
    NudgeKind,
)
from bot.services.deal_edits import close_steps_and_nudges
from bot.services.meetings import book_next_step
from bot.services.nudge_context import calendar_of, nudge_item, subject_state, window_of
from bot.services.nudge_context import nudge_subject as subject_row
from bot.services.reps import zone
from bot.services.watching import watch, watching
from bot.slack.blocks.nudge_dm import nudge_message
from models import Account, Deal, NextStep, Nudge, Rep, Workspace

NOT_YOURS = "That reminder isn't one of yours, so I left it as it was."
SNOOZE_KEYS = frozenset(choice for choice, _label in SNOOZE_CHOICES)

Message = tuple[str, str]  # (channel, ts) of a nudge DM


@dataclass(frozen=True)
class Answered:
    """What an answer did: the nudge's answer now, and the nudge DMs to update in place."""

    nudge_id: int
    answer: NudgeAnswer | None
    repeat: bool  # already answered before this click: nothing changed
    messages: tuple[Message, ...]
    deal_id: int | None = None


@dataclass(frozen=True)
class NudgeSubject:
    """A nudge and what it is about, as plain values for the modals its buttons open."""

    nudge_id: int
    kind: NudgeKind
    answer: NudgeAnswer | None
    message: Message | None
    deal_id: int | None
    deal_name: str
    deal_open: bool
    account_id: int | None
    account_name: str
    territory: str | None
    next_step_id: int | None
    next_step_open: bool
    description: str | None
    scheduled_at: datetime | None


# ---------------------------------------------------------------- ownership


def _rep(session: Session, team_id: str, user_id: str) -> Rep | None:
    return session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id).with_for_update())


def _owned(session: Session, team_id: str, user_id: str, nudge_id: int, offer: Offer | None = None) -> Nudge:
    """The nudge, locked, when it is this rep's in this workspace; else NotAllowed (saying nothing of it)."""
    rep = _rep(session, team_id, user_id)
    nudge = (
        session.scalar(
            select(Nudge)
            .where(Nudge.id == nudge_id, Nudge.team_id == team_id, Nudge.rep_id == rep.id)
            .with_for_update()
        )
        if rep is not None
        else None
    )
    if nudge is None:
        session.rollback()
        raise NotAllowed(NOT_YOURS)
    if offer is not None and offer not in kind_row(nudge.kind).answers:
        # Only a forged payload gets here: the DM shows no such button on this nudge.
        session.rollback()
        raise NotAllowed("That button doesn't go with this reminder.")
    return nudge


def subject_of(session: Session, *, team_id: str, user_id: str, nudge_id: int) -> NudgeSubject:
    """The nudge's deal, account and next step, when it is this rep's; else NotAllowed."""
    rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
    nudge = session.get(Nudge, nudge_id)
    if rep is None or nudge is None or nudge.team_id != team_id or nudge.rep_id != rep.id:
        raise NotAllowed(NOT_YOURS)
    step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
    deal = session.get(Deal, nudge.deal_id or (step.deal_id if step else 0))
    account = session.get(Account, deal.account_id) if deal else None
    return NudgeSubject(
        nudge_id=nudge.id,
        kind=NudgeKind(nudge.kind),
        answer=NudgeAnswer(nudge.answer) if nudge.answer else None,
        message=_message(nudge),
        deal_id=deal.id if deal else None,
        deal_name=deal.name if deal else "",
        deal_open=deal is not None and deal.status == DealStatus.OPEN,
        account_id=account.id if account else None,
        account_name=account.name if account else "",
        territory=account.territory if account else None,
        next_step_id=step.id if step else None,
        next_step_open=step is not None and step.status in OPEN_NEXT_STEP_STATUSES,
        description=step.description if step else None,
        scheduled_at=step.scheduled_at if step else None,
    )


def _message(nudge: Nudge) -> Message | None:
    return (nudge.channel_id, nudge.message_ts) if nudge.channel_id and nudge.message_ts else None


def _messages(nudges: Iterable[Nudge]) -> tuple[Message, ...]:
    return tuple(sorted({m for m in (_message(n) for n in nudges) if m is not None}))


def _repeat(session: Session, nudge: Nudge) -> Answered:
    """A second click: nothing changes (the lock is released); the DM is re-rendered all the same."""
    result = Answered(
        nudge.id, NudgeAnswer(nudge.answer) if nudge.answer else None, True, _messages([nudge]), nudge.deal_id
    )
    session.rollback()
    return result


def _claim(session: Session, nudge: Nudge, answer: NudgeAnswer, now: datetime) -> bool:
    """Take this click's answer, or find that an earlier click took it (False).

    An UPDATE guarded by ``answer IS NULL``: of two clicks at once exactly one wins, on
    SQLite too, which has no row locks (a rollback undoes it).
    """
    if nudge.answer is None:
        result = session.execute(
            update(Nudge)
            .where(Nudge.id == nudge.id, Nudge.answer.is_(None))
            .values(answer=answer, answered_at=now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            _answer(nudge, answer, now)
            return True
        session.refresh(nudge)
    return False


def _answer(nudge: Nudge, answer: NudgeAnswer, now: datetime) -> None:
    nudge.answer, nudge.answered_at = answer, now
    if nudge.sent_at is None and nudge.gave_up_at is None:
        # Answered from a DM whose delivery was never recorded: never send it again.
        nudge.gave_up_at, nudge.last_error = now, "answered before delivery"


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


# ---------------------------------------------------------------- the answers


def snooze(
    session: Session, *, team_id: str, user_id: str, nudge_id: int, choice: str, now: datetime
) -> Answered:
    """Postpone (never resolve) a nudge by 1 or 3 working days or to next week, in the rep's working time."""
    if choice not in SNOOZE_KEYS:
        raise UserFacingError("That snooze isn't offered. Pick 1 working day, 3 working days or next week.")
    nudge = _owned(session, team_id, user_id, nudge_id, Offer.SNOOZE)
    if not _claim(session, nudge, NudgeAnswer.SNOOZED, now):
        return _repeat(session, nudge)
    rep = session.get(Rep, nudge.rep_id)
    workspace = session.get(Workspace, team_id)
    assert rep is not None and workspace is not None
    until = snooze_until(choice, now, calendar_of(session, workspace, rep))
    nudge.snoozed_until = until
    # The sweep looks at this subject again when the snooze ends (earlier if it already meant to:
    # the check time is a lower bound, and the rules themselves hold the next nudge until then).
    subject = subject_row(session, nudge)
    if subject is not None and is_open(subject_state(subject)):
        watch(subject, until, keep_sooner=True)
    result = Answered(nudge.id, NudgeAnswer.SNOOZED, False, _messages([nudge]), nudge.deal_id)
    _commit(session)
    return result


def didnt_happen(session: Session, *, team_id: str, user_id: str, nudge_id: int, now: datetime) -> Answered:
    """The booked step did not take place: it is kept as missed, and a new unscheduled step takes over."""
    nudge = _owned(session, team_id, user_id, nudge_id, Offer.DIDNT_HAPPEN)
    if not _claim(session, nudge, NudgeAnswer.DIDNT_HAPPEN, now):
        return _repeat(session, nudge)
    step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
    if (
        step is None
        or step.status != NextStepStatus.BOOKED
        or step.scheduled_at is None
        or step.scheduled_at > now
    ):
        session.rollback()
        raise UserFacingError(
            "That next step has changed since this reminder (logged, moved or closed), so I left it as it is."
        )
    # The booked step is kept as missed (follow-through and momentum count it); what the rep
    # still owes is a new unscheduled step, whose reminders count from now.
    step.status = NextStepStatus.MISSED
    step.status_changed_at = now
    watch(step, None)
    session.add(
        NextStep(
            team_id=step.team_id,
            deal_id=step.deal_id,
            rep_id=step.rep_id,
            description=step.description,
            status=NextStepStatus.UNSCHEDULED,
            status_changed_at=now,
            created_at=now,
            **watching(NextStep, now),
        )
    )
    result = Answered(nudge.id, NudgeAnswer.DIDNT_HAPPEN, False, _messages([nudge]), nudge.deal_id)
    _commit(session)
    return result


def answer_booked(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    nudge_id: int,
    at: datetime | None,
    description: str | None,
    rescheduled: bool,
    now: datetime,
) -> Answered:
    """Book (or move) the nudge's next step with ``bot.services.meetings.book_next_step``, and answer its nudges.

    Raises FieldErrors (by the booked-it modal's block ids) for what the rep can fix.
    """
    nudge = _owned(session, team_id, user_id, nudge_id, Offer.RESCHEDULED if rescheduled else Offer.BOOKED)
    answer = NudgeAnswer.RESCHEDULED if rescheduled else NudgeAnswer.BOOKED
    if not _claim(session, nudge, answer, now):
        return _repeat(session, nudge)
    if nudge.next_step_id is None:
        session.rollback()
        raise NotAllowed(NOT_YOURS)
    try:
        # Its one commit also stores this nudge's answer, and answers every other reminder
        # still open about the step (older DMs too); on an error nothing is stored.
        _, others = book_next_step(
            session,
            team_id=team_id,
            user_id=user_id,
            next_step_id=nudge.next_step_id,
            at=at,
            description=description,
            now=now,
            answer=answer,
        )
    except BaseException:
        session.rollback()
        raise
    messages = tuple(sorted({*_messages([nudge]), *others}))
    return Answered(nudge.id, answer, False, messages, nudge.deal_id)


def mark_lost(
    session: Session, *, team_id: str, user_id: str, nudge_id: int, reason: LostReason, now: datetime
) -> Answered:
    """Close the nudge's deal as lost: its open next steps cancelled, every open nudge on it answered."""
    nudge = _owned(session, team_id, user_id, nudge_id, Offer.MARK_LOST)
    if not _claim(session, nudge, NudgeAnswer.LOST, now):
        return _repeat(session, nudge)
    step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
    deal = session.get(Deal, nudge.deal_id or (step.deal_id if step else 0))
    if deal is None or deal.team_id != team_id:
        session.rollback()
        raise NotAllowed(NOT_YOURS)
    if deal.status == DealStatus.WON:
        session.rollback()
        raise UserFacingError("That deal is already won, so it can't be marked lost.")
    if deal.status == DealStatus.OPEN:
        deal.status, deal.lost_reason, deal.closed_at = DealStatus.LOST, reason, now
    # the same closing as "Mark lost" from the Home tab: open steps cancelled, reminders answered
    others = close_steps_and_nudges(session, deal, NudgeAnswer.LOST, now)
    messages = tuple(sorted({*_messages([nudge]), *others}))
    result = Answered(nudge.id, NudgeAnswer.LOST, False, messages, deal.id)
    _commit(session)
    return result


# ---------------------------------------------------------------- the DM, re-rendered


def nudge_message_for(
    session: Session, team_id: str, channel: str, ts: str, now: datetime
) -> tuple[str, list[dict[str, Any]]] | None:
    """(text, blocks) of the nudge DM at (channel, ts) as it reads now, answers included; None if unknown."""
    nudges = list(
        session.scalars(
            select(Nudge)  # ix_nudges_team_id_channel_id_message_ts
            .where(Nudge.team_id == team_id, Nudge.channel_id == channel, Nudge.message_ts == ts)
            .order_by(Nudge.due_at, Nudge.id)
        )
    )
    if not nudges:
        return None
    workspace = session.get(Workspace, team_id)
    rep = session.get(Rep, nudges[0].rep_id)
    assert workspace is not None and rep is not None
    tz = zone(rep.timezone)
    items = [_as_answered(session, n, _as_sent(n, nudge_item(session, n, workspace, now))) for n in nudges]
    # The sweep's order: most pressing kind first, then by when each fell due.
    order = sorted(
        range(len(nudges)), key=lambda i: (kind_row(items[i].kind).priority, nudges[i].due_at, nudges[i].id)
    )
    return nudge_message([items[i] for i in order], tz)


def _as_sent(nudge: Nudge, item: NudgeItem) -> NudgeItem:
    """The item's text as it read when sent, not as the step or deal stands after the answer.

    A step that didn't happen has no time any more, a rescheduled one a new time, and a
    stalled deal's quiet days keep counting: the window key and the send time keep the original.
    """
    window = window_of(nudge)
    if window is None:
        return item
    return as_sent(item, window, nudge.sent_at or nudge.claimed_at or nudge.due_at)


def _as_answered(session: Session, nudge: Nudge, item: NudgeItem) -> NudgeItem:
    if nudge.answer is None:
        return item
    answer = NudgeAnswer(nudge.answer)
    return dataclasses.replace(item, answer=answer, answer_note=_note(session, nudge, answer))


def _note(session: Session, nudge: Nudge, answer: NudgeAnswer) -> str | None:
    """The answer's detail in the rep's words and timezone."""
    rep = session.get(Rep, nudge.rep_id)
    tz = zone(rep.timezone if rep else None)
    if answer is NudgeAnswer.SNOOZED and nudge.snoozed_until is not None:
        return f"until {format_when(nudge.snoozed_until, tz)}"
    if answer in (NudgeAnswer.BOOKED, NudgeAnswer.RESCHEDULED) and nudge.next_step_id:
        step = session.get(NextStep, nudge.next_step_id)
        if step is not None and step.scheduled_at is not None:
            return f"for {format_when(step.scheduled_at, tz)}"
    if answer is NudgeAnswer.LOST:
        step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
        deal = session.get(Deal, nudge.deal_id or (step.deal_id if step else 0))
        reason = _lost_reason(deal.lost_reason if deal else None)
        if reason is not None:
            return f"({reason.label.lower()})"
    return None


def _lost_reason(value: str | None) -> LostReason | None:
    try:
        return LostReason(value) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------- per click: one session, plain values
# The nudge buttons' entry points: the session factory in, one session, what was done out.


def nudge_subject(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, nudge_id: int | None
) -> NudgeSubject:
    """The clicked nudge and what it is about, when it is this rep's; else NotAllowed (``NOT_YOURS``)."""
    if nudge_id is None:
        raise NotAllowed(NOT_YOURS)
    with session_factory() as session:
        return subject_of(session, team_id=team_id, user_id=user_id, nudge_id=nudge_id)


def answer_snooze(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    user_id: str,
    nudge_id: int | None,
    choice: str,
    now: datetime,
) -> Answered:
    """A nudge's "Snooze" (``snooze``), committed."""
    if nudge_id is None:
        raise NotAllowed(NOT_YOURS)
    with session_factory() as session:
        return snooze(session, team_id=team_id, user_id=user_id, nudge_id=nudge_id, choice=choice, now=now)


def answer_didnt_happen(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, nudge_id: int | None, now: datetime
) -> Answered:
    """An overdue nudge's "Didn't happen" (``didnt_happen``), committed."""
    if nudge_id is None:
        raise NotAllowed(NOT_YOURS)
    with session_factory() as session:
        return didnt_happen(session, team_id=team_id, user_id=user_id, nudge_id=nudge_id, now=now)
