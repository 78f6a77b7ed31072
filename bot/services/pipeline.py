"""Loading a rep's pipeline from the store: the facts ``bot.domain.pipeline`` turns into signals."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, case, exists, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from bot.domain.forecast import DealTimeline, MeetingRecord, StepRecord
from bot.domain.nudge_kinds import ESCALATING
from bot.domain.pipeline import (
    DEFAULT_STALLED_DAYS,
    MOMENTUM_WINDOW,
    DealFacts,
    MeetingFact,
    Override,
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
from bot.services.chances import ChanceInputs, chances_from
from bot.services.forecast import latest_time_spent
from bot.services.permissions import reps_managed_by
from models import (
    Account,
    Deal,
    ForecastOverride,
    Meeting,
    NextStep,
    Nudge,
    Rep,
    Reschedule,
    SalesTeam,
    UTCDateTime,
    Workspace,
    among,
    one_of,
)

# ---------------------------------------------------------------- loading from the store

# Stored values to the product's words: a dict lookup per row (an Enum call costs several times it).
_REACTIONS: dict[str | None, Reaction] = {r.value: r for r in Reaction}
_ASKS = {a.value: a for a in AskType}
_STEP_STATUSES = {s.value: s for s in NextStepStatus}
_OPEN = tuple(s.value for s in OPEN_NEXT_STEP_STATUSES)


def _recent_query(deal_ids: Select[Any], counted: ColumnElement[bool], postgresql: bool) -> Select[Any]:
    """Each deal's last MOMENTUM_WINDOW meetings among ``counted``, oldest first, with their step.

    On PostgreSQL a LATERAL top-5 per deal, reading five index entries a deal
    (ix_meetings_counted_deal_id_held_at) instead of ranking all its meetings; elsewhere a window.
    The step and its moves only for those meetings, not for every meeting the deal ever had.
    """
    columns = (
        Meeting.id.label("meeting_id"),
        Meeting.deal_id,
        Meeting.held_at,
        Meeting.logged_at,
        Meeting.reaction,
        Meeting.graded_ask_type,
    )
    newest = (Meeting.held_at.desc(), Meeting.id.desc())
    reschedules = (
        select(func.count())
        .where(Reschedule.next_step_id == NextStep.id)
        .correlate(NextStep)
        .scalar_subquery()
    )
    step_columns = (
        NextStep.id.label("step_id"),
        NextStep.created_at.label("step_created_at"),
        NextStep.status.label("step_status"),
        NextStep.status_changed_at.label("step_changed_at"),
        NextStep.booked_at.label("step_booked_at"),
        NextStep.scheduled_at.label("step_scheduled_at"),
        reschedules.label("moves"),
    )
    if postgresql:
        # The step joined inside the LATERAL: joined outside, the planner (expecting one deal)
        # hashes next_steps once per deal.
        chosen = deal_ids.subquery()
        last = (
            select(*columns, *step_columns)
            .outerjoin(NextStep, NextStep.meeting_id == Meeting.id)
            .where(Meeting.deal_id == chosen.c.id, counted)
            .order_by(*newest)
            .limit(MOMENTUM_WINDOW)
            .lateral()
        )
        query = (
            select(*(last.c[c.name] for c in (*columns, *step_columns)))
            .select_from(chosen.join(last, true()))
            .order_by(last.c.deal_id, last.c.held_at, last.c.meeting_id)
        )
    else:
        ranked = (
            select(
                *columns, func.row_number().over(partition_by=Meeting.deal_id, order_by=newest).label("rn")
            )
            .where(Meeting.deal_id.in_(deal_ids.scalar_subquery()), counted)
            .subquery()
        )
        query = (
            select(*(ranked.c[c.name] for c in columns), *step_columns)
            .select_from(ranked)
            .outerjoin(NextStep, NextStep.meeting_id == ranked.c.meeting_id)
            .where(ranked.c.rn <= MOMENTUM_WINDOW)
            .order_by(ranked.c.deal_id, ranked.c.rn.desc())
        )
    return query


def _records(rows: Any, meetings: dict[int, list[MeetingRecord]], steps: dict[int, list[StepRecord]]) -> None:
    """The forecast's view of ``_recent_rows``: meeting records, and the steps they produced."""
    for row in rows:
        meetings.setdefault(row.deal_id, []).append(
            MeetingRecord(
                row.meeting_id,
                row.held_at,
                row.logged_at,
                _REACTIONS.get(row.reaction),
                _ASKS[row.graded_ask_type],
            )
        )
        if row.step_id is not None:
            steps.setdefault(row.deal_id, []).append(
                StepRecord(
                    row.step_id,
                    row.meeting_id,
                    row.step_created_at,
                    _STEP_STATUSES[row.step_status],
                    row.step_changed_at,
                    row.step_booked_at,
                    row.step_scheduled_at,
                )
            )


# _facts_rows's deal sets: each shape's statements are built once, its values bound per call
# (building a statement here cost more than running it: a Home build runs eight).
_F_TEAM = bindparam("f_team", type_=String())
_F_NOW = bindparam("f_now", type_=UTCDateTime())
_F_REP = bindparam("f_rep", type_=Integer())
_SHAPES: dict[str, Callable[[bool], ColumnElement[bool]]] = {
    "ids": lambda postgresql: (Deal.team_id == _F_TEAM) & among(Deal.id, "f_ids", postgresql=postgresql),
    "open_of_rep": lambda _: (
        (Deal.team_id == _F_TEAM) & (Deal.owner_rep_id == _F_REP) & (Deal.status == DealStatus.OPEN)
    ),
    "one": lambda _: (Deal.team_id == _F_TEAM) & (Deal.id == bindparam("f_deal", type_=Integer())),
}


@dataclass(frozen=True)
class DealSet:
    """Which deals ``_facts_rows`` reads: a shape of ``_SHAPES`` and its values."""

    shape: str
    params: dict[str, Any]

    @staticmethod
    def ids(team_id: str, deal_ids: Sequence[int]) -> DealSet:
        return DealSet("ids", {"f_team": team_id, "f_ids": list(deal_ids)})

    @staticmethod
    def open_of_rep(team_id: str, rep_id: int) -> DealSet:
        """The rep's open deals (their pipeline)."""
        return DealSet("open_of_rep", {"f_team": team_id, "f_rep": rep_id})

    @staticmethod
    def one(team_id: str, deal_id: int) -> DealSet:
        return DealSet("one", {"f_team": team_id, "f_deal": deal_id})


class _FactsStatements(NamedTuple):
    deals: Executable  # each deal with its meeting counts and step totals
    recent: Executable
    recent_known: Executable  # the recent meetings held and logged by now, of the deals f_later
    steps: Executable


@functools.cache
def _facts_statements(shape: str, chance: bool, dated: bool, postgresql: bool) -> _FactsStatements:
    """``_facts_rows``'s statements for a deal set's shape; ``dated``: as of f_now."""
    deal_filter = _SHAPES[shape](postgresql)
    # The deal set again inside each per-set aggregate below (a derived table is never correlated).
    deal_ids = select(Deal.id).where(deal_filter).correlate(None).scalar_subquery()
    counted = Meeting.withdrawn_at.is_(None)
    # As the forecast sees the deal at now: what was held and logged by then, steps as they stood.
    known: ColumnElement[bool] = true()
    created: ColumnElement[bool] = true()
    ended: ColumnElement[bool] = true()
    booked: ColumnElement[bool] = NextStep.booked_at.is_not(None)
    if dated:
        known = (Meeting.held_at <= _F_NOW) & (Meeting.logged_at <= _F_NOW)
        created = NextStep.created_at <= _F_NOW
        ended = NextStep.status_changed_at <= _F_NOW
        booked = NextStep.booked_at <= _F_NOW
    held = (  # ix_meetings_counted_deal_id_held_at, index only
        select(
            Meeting.deal_id,
            func.count().label("held"),
            func.count(case((known, 1))).label("known_held"),
        )
        .where(Meeting.deal_id.in_(deal_ids), counted)
        .group_by(Meeting.deal_id)
        .subquery("held")
    )
    # Every step's bookings and endings in one pass: the Home's "last booked commitment" (any
    # step); for the forecast, the visible steps' kept, missed and latest booking as of now.
    visible = (NextStep.meeting_id.is_(None) | Meeting.id.is_not(None)) & created
    totals = (
        select(
            NextStep.deal_id,
            func.max(NextStep.booked_at).label("booked"),
            func.count(case((visible & ended & (NextStep.status == NextStepStatus.DONE), 1))).label("kept"),
            func.count(case((visible & ended & (NextStep.status == NextStepStatus.MISSED), 1))).label(
                "missed"
            ),
            func.max(case((visible & booked, NextStep.booked_at))).label("known_booked"),
        )
        .outerjoin(Meeting, (Meeting.id == NextStep.meeting_id) & counted & known)
        .where(NextStep.deal_id.in_(deal_ids))
        .group_by(NextStep.deal_id)
        .subquery("totals")
    )
    # The deals with those counts: one statement (the aggregates are set-wise, as they were on
    # their own, joined by deal id). For the chance, also the override standing on each deal (its
    # newest, as ``current_overrides`` reads it).
    newest = (
        select(ForecastOverride.deal_id, func.max(ForecastOverride.id).label("last"))
        .where(ForecastOverride.team_id == _F_TEAM, ForecastOverride.deal_id.in_(deal_ids))
        .group_by(ForecastOverride.deal_id)
        .subquery("newest")
    )
    override_columns = (
        ForecastOverride.probability.label("o_probability"),
        ForecastOverride.reason.label("o_reason"),
        ForecastOverride.set_by_name.label("o_set_by"),
        ForecastOverride.set_at.label("o_set_at"),
    )
    deals = (
        select(
            Deal.id,
            Deal.name,
            Deal.account_id,
            Deal.created_at,
            Deal.amount,
            Deal.stage,
            Deal.expected_close,
            Deal.last_meeting_at,
            Deal.at_risk_since,
            Deal.owner_rep_id,
            Account.name.label("account_name"),
            owner_has_manager(Deal.owner_rep_id).label("has_manager"),
            func.coalesce(held.c.held, 0).label("held"),
            func.coalesce(held.c.known_held, 0).label("known_held"),
            totals.c.booked,
            func.coalesce(totals.c.kept, 0).label("kept"),
            func.coalesce(totals.c.missed, 0).label("missed"),
            totals.c.known_booked,
        )
        .join(Account, Account.id == Deal.account_id)
        .outerjoin(held, held.c.deal_id == Deal.id)
        .outerjoin(totals, totals.c.deal_id == Deal.id)
        .where(deal_filter)
    )
    if chance:
        deals = (
            deals.add_columns(*override_columns)
            .outerjoin(newest, newest.c.deal_id == Deal.id)
            .outerjoin(ForecastOverride, ForecastOverride.id == newest.c.last)
        )
    recent = _recent_query(select(Deal.id).where(deal_filter), counted, postgresql)
    recent_known = _recent_query(
        select(Deal.id).where(among(Deal.id, "f_later", postgresql=postgresql)), counted & known, postgresql
    )
    # The open steps, newest last (ix_next_steps_deal_id_status). For the forecast also the steps
    # open as of now (closed after it), and whether each is visible then: no meeting, or one that
    # counts and was held and logged by now.
    opened = one_of(NextStep.status, OPEN_NEXT_STEP_STATUSES)
    steps = (
        select(
            NextStep.id,
            NextStep.deal_id,
            NextStep.meeting_id,
            NextStep.description,
            NextStep.status,
            NextStep.scheduled_at,
            NextStep.booked_at,
            NextStep.status_changed_at,
            NextStep.created_at,
            Meeting.id.label("seen_meeting"),
            case(
                (
                    NextStep.status == NextStepStatus.UNSCHEDULED,
                    step_escalation(NextStep.id, NextStep.deal_id).scalar_subquery(),
                )
            ).label("escalated_at"),
        )
        .outerjoin(Meeting, (Meeting.id == NextStep.meeting_id) & counted & known)
        .where(NextStep.deal_id.in_(deal_ids))
        .order_by(NextStep.created_at, NextStep.id)
        .where(opened | ~ended if chance else opened)
    )
    return _FactsStatements(deals, recent, recent_known, steps)


def _facts_rows(
    session: Session,
    deal_set: DealSet,
    stalled_days: int,
    spent: TimeSpent | None = None,
    *,
    now: datetime | None = None,
    inputs: dict[int, ChanceInputs] | None = None,
) -> list[DealFacts]:
    """The deals' facts. With ``now`` and ``inputs``, also what each deal's chance at ``now`` reads
    (``ChanceInputs``), from the same queries: no meeting is read twice."""
    chance = inputs is not None and now is not None
    postgresql = session.get_bind().dialect.name == "postgresql"
    q = _facts_statements(deal_set.shape, chance, now is not None, postgresql)
    params = dict(deal_set.params)
    if now is not None:
        params["f_now"] = now
    connection = session.connection()
    deals = connection.execute(q.deals, params).all()
    if not deals:
        return []
    recent: dict[int, list[MeetingFact]] = {}
    records: dict[int, list[MeetingRecord]] = {}
    step_records: dict[int, list[StepRecord]] = {}
    rows = connection.execute(q.recent, params).all()
    for row in rows:
        recent.setdefault(row.deal_id, []).append(
            MeetingFact(
                held_at=row.held_at,
                reaction=_REACTIONS.get(row.reaction),
                graded=_ASKS[row.graded_ask_type],
                step_status=_STEP_STATUSES[row.step_status] if row.step_status else None,
                reschedules=row.moves or 0,
            )
        )
    if chance:
        # Where a meeting is dated after now, the forecast's last meetings are others: read them
        # (a handful of deals at most), the rest share the Home's.
        later = {deal.id for deal in deals if deal.known_held != deal.held}
        _records((r for r in rows if r.deal_id not in later), records, step_records)
        if later:
            _records(
                connection.execute(q.recent_known, params | {"f_later": sorted(later)}).all(),
                records,
                step_records,
            )
    steps: dict[int, Any] = {}
    for found in connection.execute(q.steps, params):
        if found.status in _OPEN:
            steps[found.deal_id] = found  # the newest open step wins
        if chance and (found.meeting_id is None or found.seen_meeting is not None):
            step_records.setdefault(found.deal_id, []).append(
                StepRecord(
                    found.id,
                    found.meeting_id,
                    found.created_at,
                    _STEP_STATUSES[found.status],
                    found.status_changed_at,
                    found.booked_at,
                    found.scheduled_at,
                )
            )
    facts = []
    for deal in deals:
        step: Any = steps.get(deal.id)
        facts.append(
            DealFacts(
                deal_id=deal.id,
                name=deal.name,
                account_id=deal.account_id,
                account_name=deal.account_name,
                created_at=deal.created_at,
                amount=deal.amount,
                stage=deal.stage,
                expected_close=deal.expected_close,
                last_meeting_at=deal.last_meeting_at,
                at_risk_since=deal.at_risk_since,
                meetings_held=deal.held,
                recent=tuple(recent.get(deal.id, ())),
                step_id=step.id if step else None,
                step_status=_STEP_STATUSES[step.status] if step else None,
                step_at=step.scheduled_at if step else None,
                step_since=step.status_changed_at if step else None,
                step_description=step.description if step else "",
                last_commitment_at=deal.booked,
                stalled_after_days=stalled_days,
                escalated_at=step.escalated_at if step else None,
                has_manager=deal.has_manager,
                time_spent=spent,
            )
        )
        if inputs is not None:
            last = records.get(deal.id, [])
            shown = {m.id for m in last}
            # An open step of an older meeting is visible (checked above): no longer tied to a
            # meeting the trimmed timeline leaves out.
            unique = {
                s.id: s if s.meeting_id is None or s.meeting_id in shown else replace(s, meeting_id=None)
                for s in step_records.get(deal.id, ())
            }
            timeline = DealTimeline(
                deal_id=deal.id,
                created_at=deal.created_at,
                meetings=tuple(last),
                steps=tuple(sorted(unique.values(), key=lambda s: (s.created_at, s.id))),
            )
            override = (
                None
                if deal.o_probability is None
                else Override(deal.o_probability, deal.o_reason, deal.o_set_by, deal.o_set_at)
            )
            inputs[deal.id] = ChanceInputs(
                timeline, deal.known_held, deal.kept, deal.missed, deal.known_booked, override
            )
    return facts


def escalated_steps(session: Session, deal_ids: Any) -> dict[int, datetime]:
    """The open unscheduled steps of these deals that the clock escalated, and when (ix_nudges_deal_id).

    Per step, not per deal: a deal escalated once and booked since starts clean with its next step.
    """
    return _escalated_of(session.execute(_escalated_query(deal_ids)))


def step_escalation(step_id: Any, deal_id: Any) -> Select[Any]:
    """When the clock last escalated this step (columns or parameters of the enclosing query),
    as ``escalated_steps`` reads it; the caller says which steps count (open unscheduled)."""
    return select(func.max(Nudge.escalated_at)).where(
        Nudge.deal_id == deal_id,
        Nudge.next_step_id == step_id,
        one_of(Nudge.kind, ESCALATING),
        Nudge.escalated_at.is_not(None),
    )


def owner_has_manager(rep_id: Any) -> ColumnElement[bool]:
    """The rep (a column or parameter of the enclosing query) is in a team that has a manager,
    who gets their escalations in the weekly digest."""
    return exists().where(
        Rep.id == rep_id,
        SalesTeam.id == Rep.sales_team_id,
        SalesTeam.team_id == Rep.team_id,
        SalesTeam.manager_user_id.is_not(None),
    )


def _escalated_query(deal_ids: Any) -> Executable:
    return (
        select(Nudge.next_step_id, func.max(Nudge.escalated_at))
        .join(NextStep, NextStep.id == Nudge.next_step_id)
        .where(
            Nudge.deal_id.in_(deal_ids),
            one_of(Nudge.kind, ESCALATING),
            Nudge.escalated_at.is_not(None),
            NextStep.status == NextStepStatus.UNSCHEDULED,
        )
        .group_by(Nudge.next_step_id)
    )


def _escalated_of(rows: Any) -> dict[int, datetime]:
    return {step_id: at for step_id, at in rows if step_id is not None and at is not None}


def time_spent_of(session: Session, team_id: str) -> TimeSpent | None:
    """The workspace's look back on time spent, from the forecast's latest fit (None before it)."""
    return latest_time_spent(session, team_id)


def load_deal_facts(session: Session, team_id: str, deal_id: int) -> DealFacts | None:
    workspace = session.get(Workspace, team_id)
    days = workspace.stalled_after_days if workspace else DEFAULT_STALLED_DAYS
    found = _facts_rows(session, DealSet.one(team_id, deal_id), days, time_spent_of(session, team_id))
    return found[0] if found else None


def replacement_counts(team: Any, rep: Any) -> Select[int, int]:
    """The rep's replacement deals and the deals they lost to a "no" or silence, in one pass
    (``ReplacementRatio``'s two numbers, in that order); ``team`` and ``rep`` bound parameters."""
    return select(
        func.count(case((Deal.replaces_deal_id.is_not(None), 1))).label("replacements"),
        func.count(
            case(
                (
                    (Deal.status == DealStatus.LOST)
                    & one_of(Deal.lost_reason, [LostReason.DECLINED, LostReason.WENT_DARK]),
                    1,
                )
            )
        ).label("lost"),
    ).where(Deal.team_id == team, Deal.owner_rep_id == rep)


_REPLACEMENT_COUNTS = replacement_counts(_F_TEAM, _F_REP)


def replacement_ratio(session: Session, team_id: str, rep_id: int) -> ReplacementRatio:
    found = session.connection().execute(_REPLACEMENT_COUNTS, {"f_team": team_id, "f_rep": rep_id}).one()
    return ReplacementRatio(found[0] or 0, found[1] or 0)


def load_pipeline(session: Session, team_id: str, rep: Rep, now: datetime) -> Pipeline:
    """The rep's open deals with their signals: a handful of set-based queries, whatever the size."""
    workspace = session.get(Workspace, team_id)
    days = workspace.stalled_after_days if workspace else DEFAULT_STALLED_DAYS
    inputs: dict[int, ChanceInputs] = {}
    facts = _facts_rows(
        session,
        DealSet.open_of_rep(team_id, rep.id),
        days,
        time_spent_of(session, team_id),
        now=now,
        inputs=inputs,
    )
    return pipeline(
        facts,
        replacement_ratio(session, team_id, rep.id),
        now,
        chances_from(session, team_id, now, inputs) if facts else {},
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
