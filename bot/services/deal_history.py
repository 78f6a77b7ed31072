"""A deal's timeline: every meeting (withdrawn ones too), its ask, reaction, next step, reschedules and edits."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from bot.domain.pipeline import DealFacts, DealSignals, signals
from bot.domain.vocabulary import AskType, DealStatus, NextStepStatus, Reaction
from bot.services.chances import OverrideRecord, chances, override_history
from bot.services.forecast import WeekForecast, weekly_history
from bot.services.meetings import name_key
from bot.services.permissions import reps_managed_by
from bot.services.pipeline import load_deal_facts
from bot.services.reps import zone
from models import Account, Deal, Meeting, MeetingVersion, NextStep, Rep, Reschedule

# A modal holds 100 blocks: the newest meetings are shown, the export has them all.
MAX_MEETINGS_SHOWN = 30


@dataclass(frozen=True)
class Edit:
    version: int
    at: datetime
    changed: tuple[str, ...]  # the fields that differ from the next version, in words


@dataclass(frozen=True)
class TimelineMeeting:
    meeting_id: int
    held_at: datetime
    kind: str | None
    ask_text: str
    chosen: AskType
    graded: AskType
    grade_reason: str | None
    reaction: Reaction | None
    notes: str | None
    withdrawn_at: datetime | None
    edits: tuple[Edit, ...]
    step_description: str | None
    step_status: NextStepStatus | None
    step_at: datetime | None
    reschedules: tuple[tuple[datetime | None, datetime, datetime], ...]  # (from, to, when)


@dataclass(frozen=True)
class DealHistory:
    deal_id: int
    deal_name: str
    account_name: str
    owner_name: str
    status: DealStatus
    lost_reason: str | None
    meetings: tuple[TimelineMeeting, ...]  # newest first, at most MAX_MEETINGS_SHOWN
    total_meetings: int
    signals: DealSignals | None  # open deals only
    weeks: tuple[WeekForecast, ...] = ()  # its probability week by week as people saw it, oldest first
    overrides: tuple[OverrideRecord, ...] = ()  # managers' overrides, newest first


_FIELD_WORDS = {
    "held_at": "when it was held",
    "kind": "the kind",
    "ask_text": "the ask",
    "ask_type": "the ask type",
    "reaction": "the reaction",
    "notes": "the notes",
}


def _changes(old: dict[str, object], new: dict[str, object]) -> tuple[str, ...]:
    return tuple(words for key, words in _FIELD_WORDS.items() if old.get(key) != new.get(key))


def snapshot(meeting: Meeting) -> dict[str, object]:
    """The fields an edit can change, as JSON-ready values (what MeetingVersion keeps)."""
    return {
        "held_at": meeting.held_at.isoformat(),
        "kind": meeting.kind,
        "ask_text": meeting.ask_text,
        "ask_type": meeting.ask_type,
        "graded_ask_type": meeting.graded_ask_type,
        "grade_reason": meeting.grade_reason,
        "reaction": meeting.reaction,
        "notes": meeting.notes,
    }


def load_history(session: Session, team_id: str, deal_id: int, now: datetime) -> DealHistory | None:
    """The deal's timeline; callers check ``bot.services.permissions.may_see_deal`` first."""
    deal = session.get(Deal, deal_id)
    if deal is None or deal.team_id != team_id:
        return None
    account = session.get(Account, deal.account_id)
    owner = session.get(Rep, deal.owner_rep_id)
    total = session.scalar(select(func.count()).select_from(Meeting).where(Meeting.deal_id == deal.id)) or 0
    meetings = session.scalars(
        select(Meeting)  # ix_meetings_deal_id_held_at
        .where(Meeting.deal_id == deal.id)
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
        .limit(MAX_MEETINGS_SHOWN)
    ).all()
    ids = [m.id for m in meetings]
    steps = {s.meeting_id: s for s in session.scalars(select(NextStep).where(NextStep.meeting_id.in_(ids)))}
    moves: dict[int, list[tuple[datetime | None, datetime, datetime]]] = {}
    step_ids = [s.id for s in steps.values()]
    for r in session.scalars(
        select(Reschedule).where(Reschedule.next_step_id.in_(step_ids)).order_by(Reschedule.changed_at)
    ):
        moves.setdefault(r.next_step_id, []).append((r.from_at, r.to_at, r.changed_at))
    versions: dict[int, list[MeetingVersion]] = {}
    for v in session.scalars(
        select(MeetingVersion).where(MeetingVersion.meeting_id.in_(ids)).order_by(MeetingVersion.version)
    ):
        versions.setdefault(v.meeting_id, []).append(v)
    timeline = []
    for m in meetings:
        step = steps.get(m.id)
        kept = versions.get(m.id, [])
        states = [v.snapshot for v in kept] + [snapshot(m)]
        edits = tuple(
            Edit(v.version, v.superseded_at, _changes(states[i], states[i + 1])) for i, v in enumerate(kept)
        )
        timeline.append(
            TimelineMeeting(
                meeting_id=m.id,
                held_at=m.held_at,
                kind=m.kind,
                ask_text=m.ask_text,
                chosen=AskType(m.ask_type),
                graded=AskType(m.graded_ask_type),
                grade_reason=m.grade_reason,
                reaction=Reaction(m.reaction) if m.reaction else None,
                notes=m.notes,
                withdrawn_at=m.withdrawn_at,
                edits=edits,
                step_description=step.description if step else None,
                step_status=NextStepStatus(step.status) if step else None,
                step_at=step.scheduled_at if step else None,
                reschedules=tuple(moves.get(step.id, ())) if step else (),
            )
        )
    facts: DealFacts | None = (
        load_deal_facts(session, team_id, deal.id) if deal.status == DealStatus.OPEN else None
    )
    return DealHistory(
        deal_id=deal.id,
        deal_name=deal.name,
        account_name=account.name if account else "",
        owner_name=owner.display_name if owner else "",
        status=DealStatus(deal.status),
        lost_reason=deal.lost_reason,
        meetings=tuple(timeline),
        total_meetings=total,
        signals=signals(facts, now, chances(session, team_id, now, deal_ids=[deal.id]).get(deal.id))
        if facts
        else None,
        weeks=tuple(weekly_history(session, team_id, deal.id)),
        overrides=tuple(override_history(session, team_id, deal.id)),
    )


def find_deals(
    session: Session, team_id: str, text: str, limit: int = 10, owner_rep_ids: Collection[int] | None = None
) -> list[Deal]:
    """Deals whose deal or account name contains ``text`` (case-insensitive), open ones first.

    ``owner_rep_ids`` keeps only those reps' deals, in the query itself, so the limit counts
    only deals the asker may see.
    """
    key = f"%{name_key(text)}%"
    return list(
        session.scalars(
            select(Deal)
            .join(Account, Account.id == Deal.account_id)
            .where(
                Deal.team_id == team_id,
                (func.lower(Deal.name).like(key)) | (Account.name_key.like(key)),
                Deal.owner_rep_id.in_(list(owner_rep_ids)) if owner_rep_ids is not None else true(),
            )
            .order_by((Deal.status == DealStatus.OPEN).desc(), Deal.created_at.desc(), Deal.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- per request: one session, plain values


@dataclass(frozen=True)
class HistoryShown:
    """A deal's history as one viewer sees it: in their timezone; reassignable unless it is their own."""

    history: DealHistory
    tz: ZoneInfo
    can_reassign: bool


def history_for(
    session_factory: Callable[[], Session], team_id: str, user_id: str, deal_id: int, now: datetime
) -> HistoryShown | None:
    """The deal's history for a viewer ``permissions.may_see`` let through; None when there is none."""
    with session_factory() as session:
        viewer = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        history = load_history(session, team_id, deal_id, now)
        deal = session.get(Deal, deal_id)
        owner_is_viewer = deal is not None and viewer is not None and deal.owner_rep_id == viewer.id
        tz = zone(viewer.timezone if viewer else None)
    return HistoryShown(history, tz, not owner_is_viewer) if history else None


@dataclass(frozen=True)
class DealMatch:
    deal_id: int
    name: str
    account_name: str


def deals_visible_to(
    session_factory: Callable[[], Session],
    team_id: str,
    user_id: str,
    text: str,
    admin: bool,
    limit: int = 10,
) -> list[DealMatch]:
    """`/nextsteps deal <text>`: the matching deals this person may see (an admin: all of them)."""
    with session_factory() as session:
        owners: list[int] | None = None
        if not admin:  # their own deals and their reps': filtered in the query, so none is crowded out
            own = session.scalar(select(Rep.id).where(Rep.team_id == team_id, Rep.user_id == user_id))
            owners = ([own] if own is not None else []) + [
                r.id for r in reps_managed_by(session, team_id, user_id)
            ]
        found = find_deals(session, team_id, text, limit=limit, owner_rep_ids=owners)
        return [
            DealMatch(d.id, d.name, a.name if (a := session.get(Account, d.account_id)) else "")
            for d in found
        ]
