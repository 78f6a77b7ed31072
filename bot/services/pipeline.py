"""Loading a rep's pipeline from the store: the facts ``bot.domain.pipeline`` turns into signals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.domain.nudge_kinds import ESCALATING
from bot.domain.pipeline import (
    DEFAULT_STALLED_DAYS,
    MOMENTUM_WINDOW,
    DealFacts,
    MeetingFact,
    Pipeline,
    RepHygiene,
    ReplacementRatio,
    TimeSpent,
    hygiene,
    pipeline,
)
from bot.domain.vocabulary import (
    OPEN_NEXT_STEP_STATUSES,
    AskType,
    DealStatus,
    LostReason,
    NextStepStatus,
    Reaction,
    RepStatus,
)
from bot.services.chances import chances
from bot.services.forecast import latest_time_spent
from bot.services.permissions import reps_managed_by
from models import Account, Deal, Meeting, NextStep, Nudge, Rep, Reschedule, SalesTeam, Workspace

# ---------------------------------------------------------------- loading from the store


def _facts_rows(
    session: Session, deal_filter: ColumnElement[bool], stalled_days: int, spent: TimeSpent | None = None
) -> list[DealFacts]:
    deals = session.execute(
        select(Deal, Account.name).join(Account, Account.id == Deal.account_id).where(deal_filter)
    ).all()
    if not deals:
        return []
    deal_ids = select(Deal.id).where(deal_filter).scalar_subquery()
    counted = Meeting.withdrawn_at.is_(None)
    held = dict(
        session.execute(  # ix_meetings_deal_id_held_at
            select(Meeting.deal_id, func.count())
            .where(Meeting.deal_id.in_(deal_ids), counted)
            .group_by(Meeting.deal_id)
        ).all()
    )
    # The window over the deals' meetings first; the step and its moves only for the last
    # MOMENTUM_WINDOW of each deal (not for every meeting the deal ever had).
    ranked = (
        select(
            Meeting.id.label("meeting_id"),
            Meeting.deal_id,
            Meeting.held_at,
            Meeting.reaction,
            Meeting.graded_ask_type,
            func.row_number()
            .over(partition_by=Meeting.deal_id, order_by=(Meeting.held_at.desc(), Meeting.id.desc()))
            .label("rn"),
        )
        .where(Meeting.deal_id.in_(deal_ids), counted)
        .subquery()
    )
    reschedules = (
        select(func.count())
        .where(Reschedule.next_step_id == NextStep.id)
        .correlate(NextStep)
        .scalar_subquery()
    )
    recent: dict[int, list[MeetingFact]] = {}
    for row in session.execute(
        select(
            ranked.c.deal_id,
            ranked.c.held_at,
            ranked.c.reaction,
            ranked.c.graded_ask_type,
            NextStep.status.label("step_status"),
            reschedules.label("moves"),
        )
        .select_from(ranked)
        .outerjoin(NextStep, NextStep.meeting_id == ranked.c.meeting_id)
        .where(ranked.c.rn <= MOMENTUM_WINDOW)
        .order_by(ranked.c.deal_id, ranked.c.rn.desc())
    ):
        recent.setdefault(row.deal_id, []).append(
            MeetingFact(
                held_at=row.held_at,
                reaction=Reaction(row.reaction) if row.reaction else None,
                graded=AskType(row.graded_ask_type),
                step_status=NextStepStatus(row.step_status) if row.step_status else None,
                reschedules=row.moves or 0,
            )
        )
    steps: dict[int, NextStep] = {}
    for open_step in session.scalars(  # ix_next_steps_deal_id_status
        select(NextStep)
        .where(NextStep.deal_id.in_(deal_ids), NextStep.status.in_(OPEN_NEXT_STEP_STATUSES))
        .order_by(NextStep.created_at, NextStep.id)
    ):
        steps[open_step.deal_id] = open_step  # the newest open step wins
    committed = dict(
        session.execute(
            select(NextStep.deal_id, func.max(NextStep.booked_at))
            .where(NextStep.deal_id.in_(deal_ids), NextStep.booked_at.is_not(None))
            .group_by(NextStep.deal_id)
        ).all()
    )
    escalated = escalated_steps(session, deal_ids)
    managed = set(
        session.scalars(
            select(Rep.id)
            .join(SalesTeam, SalesTeam.id == Rep.sales_team_id)
            .where(
                Rep.id.in_({deal.owner_rep_id for deal, _ in deals}),
                SalesTeam.team_id == Rep.team_id,
                SalesTeam.manager_user_id.is_not(None),
            )
        )
    )
    facts = []
    for deal, account_name in deals:
        step = steps.get(deal.id)
        facts.append(
            DealFacts(
                deal_id=deal.id,
                name=deal.name,
                account_id=deal.account_id,
                account_name=account_name,
                created_at=deal.created_at,
                amount=deal.amount,
                stage=deal.stage,
                expected_close=deal.expected_close,
                last_meeting_at=deal.last_meeting_at,
                at_risk_since=deal.at_risk_since,
                meetings_held=held.get(deal.id, 0),
                recent=tuple(recent.get(deal.id, ())),
                step_id=step.id if step else None,
                step_status=NextStepStatus(step.status) if step else None,
                step_at=step.scheduled_at if step else None,
                step_since=step.status_changed_at if step else None,
                step_description=step.description if step else "",
                last_commitment_at=committed.get(deal.id),
                stalled_after_days=stalled_days,
                escalated_at=escalated.get(step.id) if step else None,
                has_manager=deal.owner_rep_id in managed,
                time_spent=spent,
            )
        )
    return facts


def escalated_steps(session: Session, deal_ids: Any) -> dict[int, datetime]:
    """The open unscheduled steps of these deals that the clock escalated, and when (ix_nudges_deal_id).

    Per step, not per deal: a deal escalated once and booked since starts clean with its next step.
    """
    return {
        step_id: at
        for step_id, at in session.execute(
            select(Nudge.next_step_id, func.max(Nudge.escalated_at))
            .join(NextStep, NextStep.id == Nudge.next_step_id)
            .where(
                Nudge.deal_id.in_(deal_ids),
                Nudge.kind.in_(ESCALATING),
                Nudge.escalated_at.is_not(None),
                NextStep.status == NextStepStatus.UNSCHEDULED,
            )
            .group_by(Nudge.next_step_id)
        )
        if step_id is not None and at is not None
    }


def time_spent_of(session: Session, team_id: str) -> TimeSpent | None:
    """The workspace's look back on time spent, from the forecast's latest fit (None before it)."""
    return latest_time_spent(session, team_id)


def load_deal_facts(session: Session, team_id: str, deal_id: int) -> DealFacts | None:
    workspace = session.get(Workspace, team_id)
    days = workspace.stalled_after_days if workspace else DEFAULT_STALLED_DAYS
    found = _facts_rows(
        session, (Deal.team_id == team_id) & (Deal.id == deal_id), days, time_spent_of(session, team_id)
    )
    return found[0] if found else None


def replacement_ratio(session: Session, team_id: str, rep_id: int) -> ReplacementRatio:
    replacements = session.scalar(
        select(func.count())
        .select_from(Deal)
        .where(Deal.team_id == team_id, Deal.owner_rep_id == rep_id, Deal.replaces_deal_id.is_not(None))
    )
    lost = session.scalar(
        select(func.count())
        .select_from(Deal)
        .where(
            Deal.team_id == team_id,
            Deal.owner_rep_id == rep_id,
            Deal.status == DealStatus.LOST,
            Deal.lost_reason.in_([LostReason.DECLINED, LostReason.WENT_DARK]),
        )
    )
    return ReplacementRatio(replacements or 0, lost or 0)


def load_pipeline(session: Session, team_id: str, rep: Rep, now: datetime) -> Pipeline:
    """The rep's open deals with their signals: a handful of set-based queries, whatever the size."""
    workspace = session.get(Workspace, team_id)
    days = workspace.stalled_after_days if workspace else DEFAULT_STALLED_DAYS
    facts = _facts_rows(
        session,
        (Deal.team_id == team_id) & (Deal.owner_rep_id == rep.id) & (Deal.status == DealStatus.OPEN),
        days,
        time_spent_of(session, team_id),
    )
    return pipeline(
        facts,
        replacement_ratio(session, team_id, rep.id),
        now,
        chances(session, team_id, now, owner_rep_ids=[rep.id]) if facts else {},
    )


# ---------------------------------------------------------------- `/nextsteps team`: one request


def team_hygiene(
    session_factory: Callable[[], Session], team_id: str, user_id: str, now: datetime
) -> list[RepHygiene]:
    """The pipeline hygiene of each rep this person manages; empty when they manage no team."""
    with session_factory() as session:
        return [
            hygiene(r.display_name, r.status == RepStatus.LEFT, load_pipeline(session, team_id, r, now), now)
            for r in reps_managed_by(session, team_id, user_id)
        ]
