"""One page of a rep's App Home from stored per-deal keys: the database sorts and totals, and only
the page's deals are scored in full.

Each open deal has a ``DealHomeKey`` row (``bot.domain.home_key``): its urgency bucket and anchor,
step state, flags and the chance the totals count. A row is recomputed when it is stale:

- the deal was written since (``deals.signals_gen``, bumped by ``models.home_keys`` on every
  write to what the key reads);
- time made it so: ``valid_until`` passed (a booked step's time, a day threshold, a meeting or
  step dated later than when it was computed);
- what it was computed with changed: the latest forecast fit, the workspace's stall threshold;
- the clock escalated (or un-escalated) its open unscheduled step: that is a Core UPDATE of
  nudges, so it is checked here, against the nudges themselves, for unscheduled deals only.

Then one query for the header's totals and one for the page (ORDER BY bucket, anchor, deal id),
and the page's deals read and scored as ``load_pipeline`` would. A rep's first Home after a
deploy (or after every deal changed) computes all their keys once; later ones only what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.domain.home_key import earliest, features_change_at, key_of, passing, signals_change_at
from bot.domain.nudge_kinds import ESCALATING
from bot.domain.pipeline import (
    DEFAULT_STALLED_DAYS,
    HOME_PAGE_SIZE,
    DealSignals,
    HomePage,
    ReplacementRatio,
    StepState,
    page_start_of,
    signals,
)
from bot.domain.vocabulary import DealStatus
from bot.services.chances import ChanceInputs, chances_from
from bot.services.forecast import latest_fit_statement
from bot.services.pipeline import DealSet, _facts_rows, replacement_counts, replacement_ratio, time_spent_of
from models import (
    Deal,
    DealHomeKey,
    ForecastFit,
    Meeting,
    NextStep,
    Nudge,
    Rep,
    UTCDateTime,
    Workspace,
    one_of,
)

K = DealHomeKey
_CENT = Decimal("0.01")


_LATEST_FIT_ID = latest_fit_statement(ForecastFit.id, ForecastFit.signals_gen)


def latest_fit_id(session: Session, team_id: str) -> tuple[int, int]:
    """The row ``latest_fit`` reads and its generation ((0, 0) before the first fit): a key
    computed with another fit, or this one before it was written again, is stale."""
    found = session.connection().execute(_LATEST_FIT_ID, {"team": team_id}).first()
    return (found[0], found[1]) if found else (0, 0)


# The statements every Home build runs, built once (building a statement costs more than running
# it here); the workspace, rep and time are bound parameters.
_TEAM = bindparam("team", type_=String())
_REP = bindparam("rep", type_=Integer())
_NOW = bindparam("now", type_=UTCDateTime())
_OWNED = (Deal.team_id == _TEAM) & (Deal.owner_rep_id == _REP) & (Deal.status == DealStatus.OPEN)


def _latest_fit_column(column: Any) -> Any:
    return func.coalesce(latest_fit_statement(column).scalar_subquery(), 0)


_DAYS = func.coalesce(
    select(Workspace.stalled_after_days).where(Workspace.team_id == _TEAM).scalar_subquery(),
    DEFAULT_STALLED_DAYS,
)
_ESCALATED_NOW = exists().where(
    Nudge.deal_id == K.deal_id,
    Nudge.next_step_id == K.step_id,
    one_of(Nudge.kind, ESCALATING),
    Nudge.escalated_at.is_not(None),
)
# (deal id, generation) of the rep's open deals whose stored key is missing or stale.
_STALE = (
    select(Deal.id, Deal.signals_gen)
    .outerjoin(K, K.deal_id == Deal.id)
    .where(
        _OWNED,
        or_(
            K.deal_id.is_(None),
            K.gen != Deal.signals_gen,
            K.fit_id != _latest_fit_column(ForecastFit.id),
            K.fit_gen != _latest_fit_column(ForecastFit.signals_gen),
            K.stalled_days != _DAYS,
            K.valid_until <= _NOW,
            and_(
                K.state == StepState.UNSCHEDULED.value,
                or_(and_(K.escalated, ~_ESCALATED_NOW), and_(~K.escalated, _ESCALATED_NOW)),
            ),
        ),
    )
    .order_by(Deal.id)
)


def _count(condition: Any) -> Any:
    return func.count(case((condition, 1))).over()


# The rep's replacement ratio, read with the page: its two counts as scalar subqueries, which
# PostgreSQL runs once (InitPlans); a one-row subquery joined instead was run again for every row.
_COUNTS = replacement_counts(_TEAM, _REP)
_RATIO = [_COUNTS.with_only_columns(column).scalar_subquery() for column in _COUNTS.selected_columns]
# The page, most urgent first, each row with the totals over all the rep's open deals (a window
# over the whole set, computed before the LIMIT), the stall threshold and the replacement counts.
_PAGE = (
    select(
        K.deal_id,
        func.count().over(),
        _count(K.state == StepState.OVERDUE.value),
        _count(K.state == StepState.UNSCHEDULED.value),
        _count(K.state == StepState.NONE.value),
        _count(K.state == StepState.BOOKED.value),
        _count(K.time_sink),
        _count(K.replace_now),
        _count(K.escalated),
        func.sum(K.amount_cents).over(),
        func.count(K.amount_cents).over(),
        func.sum(K.expected_micros).over(),
        func.sum(K.probability).over(),
        _count(K.override),
        _count(K.fallback),
        _DAYS,
        *_RATIO,
    )
    .join(Deal, Deal.id == K.deal_id)
    .where(_OWNED)
    .order_by(K.bucket, K.anchor, K.deal_id)
)
# A slice of it: LIMIT and OFFSET bound too, so the statement is built (and its cache key made) once.
_PAGE_SLICE = _PAGE.limit(bindparam("p_limit")).offset(bindparam("p_offset"))


def _future(session: Session, deal_ids: Sequence[int], now: datetime) -> dict[int, datetime]:
    """Per deal, the earliest recorded time at or after ``now`` among all its meetings and steps
    (as ``passing`` reads it): what the chance's whole-history counts read by the clock."""
    out: dict[int, datetime] = {}

    def take(rows: Any) -> None:
        for deal_id, *times in rows:
            at = earliest(passing(t, now) for t in times)
            if at is not None:
                out[deal_id] = min(out.get(deal_id, at), at)

    def later(column: Any) -> Any:
        return func.min(case((column >= now, column)))

    take(
        session.execute(
            select(Meeting.deal_id, later(Meeting.held_at), later(Meeting.logged_at))
            .where(Meeting.deal_id.in_(deal_ids), (Meeting.held_at >= now) | (Meeting.logged_at >= now))
            .group_by(Meeting.deal_id)
        )
    )
    step_times = (NextStep.created_at, NextStep.status_changed_at, NextStep.booked_at, NextStep.scheduled_at)
    take(
        session.execute(
            select(NextStep.deal_id, *(later(c) for c in step_times))
            .where(NextStep.deal_id.in_(deal_ids), or_(*(c >= now for c in step_times)))
            .group_by(NextStep.deal_id)
        )
    )
    return out


def _scored(
    session: Session, team_id: str, deal_ids: Sequence[int], days: int, now: datetime
) -> tuple[dict[int, DealSignals], dict[int, ChanceInputs]]:
    """These deals' signals at ``now``, exactly as ``load_pipeline`` scores them."""
    inputs: dict[int, ChanceInputs] = {}
    facts = _facts_rows(
        session,
        DealSet.ids(team_id, deal_ids),
        days,
        time_spent_of(session, team_id),
        now=now,
        inputs=inputs,
    )
    chances = chances_from(session, team_id, now, inputs) if facts else {}
    return {f.deal_id: signals(f, now, chances.get(f.deal_id)) for f in facts}, inputs


def _refresh(
    session: Session,
    team_id: str,
    stale: Sequence[tuple[int, int]],
    fit: tuple[int, int],
    days: int,
    now: datetime,
) -> dict[int, DealSignals]:
    """Compute and store the keys of these (deal id, generation read before its facts)."""
    gens = dict(stale)
    scored, inputs = _scored(session, team_id, list(gens), days, now)
    future = _future(session, list(gens), now)
    rows = []
    for deal_id, s in sorted(scored.items()):
        key = key_of(s, now)
        amount = s.facts.amount
        p4 = Decimal(str(round(s.probability, 4)))
        rows.append(
            {
                "deal_id": deal_id,
                "gen": gens[deal_id],
                "fit_id": fit[0],
                "fit_gen": fit[1],
                "stalled_days": days,
                "computed_at": now,
                "valid_until": earliest(
                    (
                        signals_change_at(s.facts, now),
                        features_change_at(inputs[deal_id].timeline, now),
                        future.get(deal_id),
                    )
                ),
                "bucket": key.bucket,
                "anchor": key.anchor,
                "state": key.state.value,
                "step_id": s.facts.step_id,
                "time_sink": key.time_sink,
                "replace_now": key.replace_now,
                "escalated": key.escalated,
                "probability": s.probability,
                "fallback": s.chance is None or s.chance.fallback,
                "override": s.chance is not None and s.chance.override is not None,
                "amount_cents": None if amount is None else int(amount.scaleb(2)),
                "expected_micros": None if amount is None else int((amount * p4).scaleb(6)),
            }
        )
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(K).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[K.deal_id],
                set_={c: statement.excluded[c] for c in rows[0] if c != "deal_id"},
            )
        )
    return scored


def _stalled_days(session: Session, team_id: str) -> int:
    workspace = session.get(Workspace, team_id)
    return workspace.stalled_after_days if workspace else DEFAULT_STALLED_DAYS


def stale_deals(session: Session, team_id: str, rep: Rep, now: datetime) -> list[int]:
    """The rep's open deals the next Home build would score again."""
    return [i for i, _ in session.execute(_STALE, {"team": team_id, "rep": rep.id, "now": now})]


def home_page(
    session: Session, team_id: str, rep: Rep, now: datetime, page_start: int = 0, size: int = HOME_PAGE_SIZE
) -> HomePage:
    """The page of the rep's Home starting at ``page_start``, equal to ``page_of(load_pipeline(…))``."""
    params = {"team": team_id, "rep": rep.id, "now": now}
    connection = session.connection()  # the Core statements skip the ORM's execution path
    stale = [(deal_id, gen) for deal_id, gen in connection.execute(_STALE, params)]
    scored: dict[int, DealSignals] = {}
    if stale:
        fit = latest_fit_id(session, team_id)
        scored = _refresh(session, team_id, stale, fit, _stalled_days(session, team_id), now)
    start = max(0, page_start)
    rows = connection.execute(_PAGE_SLICE, params | {"p_limit": size, "p_offset": start}).all()
    if not rows and start > 0:  # past the end: the last page that has deals
        first = connection.execute(_PAGE_SLICE, params | {"p_limit": 1, "p_offset": 0}).first()
        start = page_start_of(page_start, first[1] if first else 0)
        rows = connection.execute(_PAGE_SLICE, params | {"p_limit": size, "p_offset": start}).all()
    if not rows:
        return HomePage(
            deals=(),
            start=0,
            open_deals=0,
            ratio=replacement_ratio(session, team_id, rep.id),
            expected=Decimal(0).quantize(_CENT),
            counts=dict.fromkeys(
                ("overdue", "unscheduled", "no_step", "booked", "time_sink", "replace_now", "escalated"), 0
            ),
        )
    totals = rows[0]
    n, overdue, unscheduled, no_step, booked, sinks, replace, escalated = totals[1:9]
    cents, priced, micros, wins, overrides, fallbacks, days, replacements, lost = totals[9:18]
    ids = [row[0] for row in rows]
    missing = [i for i in ids if i not in scored]
    if missing:
        scored.update(_scored(session, team_id, missing, days, now)[0])
    return HomePage(
        deals=tuple(scored[i] for i in ids),
        start=start,
        open_deals=n,
        ratio=ReplacementRatio(replacements or 0, lost or 0),
        total=Decimal(cents or 0).scaleb(-2),
        expected=Decimal(micros or 0).scaleb(-6).quantize(_CENT),
        priced=priced,
        counts={
            "overdue": overdue,
            "unscheduled": unscheduled,
            "no_step": no_step,
            "booked": booked,
            "time_sink": sinks,
            "replace_now": replace,
            "escalated": escalated,
        },
        expected_wins=float(wins or 0.0),
        overrides=overrides,
        fallback=fallbacks == n,
    )
