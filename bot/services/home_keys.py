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

Then one query for the header's totals and the page (ORDER BY bucket, anchor, deal id), and the
page's deals scored as ``load_pipeline`` would. A rep's first Home after a deploy (or after every
deal changed) computes all their keys once; later ones only what moved.

A page deal whose key is still the one this process computed or read it with (same ``gen`` and
``computed_at``) is not read again: its facts and chance are kept per process (``_Scores``) and
only its signals are derived again at ``now``. What its facts hold that no deal write bumps (the
account's name, whether the owner's team has a manager, when its open step was escalated) comes
with the page row.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    Engine,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.domain.home_key import earliest, features_change_at, key_of, passing, signals_change_at
from bot.domain.nudge_kinds import ESCALATING
from bot.domain.pipeline import (
    DEFAULT_STALLED_DAYS,
    HOME_PAGE_SIZE,
    Chance,
    DealFacts,
    DealSignals,
    HomePage,
    ReplacementRatio,
    StepState,
    TimeSpent,
    page_start_of,
    signals,
)
from bot.domain.vocabulary import DealStatus, NextStepStatus
from bot.services.chances import ChanceInputs, chances_with, standing_of
from bot.services.forecast import (
    StoredFit,
    fit_and_time_spent,
    latest_fit_and_time_spent,
    latest_fit_statement,
)
from bot.services.pipeline import (
    DealSet,
    _facts_rows,
    owner_has_manager,
    replacement_counts,
    replacement_ratio,
    step_escalation,
)
from models import (
    Account,
    Deal,
    DealHomeKey,
    ForecastFit,
    Meeting,
    NextStep,
    Nudge,
    UTCDateTime,
    Workspace,
    among,
    one_of,
)

K = DealHomeKey
_CENT = Decimal("0.01")


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
# (deal id, generation) of the rep's open deals whose stored key is missing or stale, each with
# what the keys are computed with: the latest fit (the row ``latest_fit`` reads: a key computed with
# another fit, or this one before it was written again, is stale) and the stall threshold.
_STALE = (
    select(
        Deal.id,
        Deal.signals_gen,
        _latest_fit_column(ForecastFit.id),
        _latest_fit_column(ForecastFit.signals_gen),
        _DAYS,
    )
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
# What a deal's facts hold that no write to the deal bumps its generation for, read per page row
# (a kept score is brought up to date with them): its account's name, whether the owner's team has
# a manager, and when its open unscheduled step was escalated (as ``_facts_rows`` reads each).
_ACCOUNT_NAME = select(Account.name).where(Account.id == Deal.account_id).scalar_subquery()
_HAS_MANAGER = owner_has_manager(_REP)
_STEP_ESCALATED_AT = (
    step_escalation(K.step_id, K.deal_id)
    .join(NextStep, NextStep.id == Nudge.next_step_id)
    .where(NextStep.status == NextStepStatus.UNSCHEDULED)
    .scalar_subquery()
)
# What a kept score was read with (``_Scores``), and where it and the page row's own facts are in a row.
_KEY = (K.gen, K.fit_id, K.fit_gen, K.stalled_days, K.computed_at)
_KEY_AT = slice(-3 - len(_KEY), -3)
# The page, most urgent first, each row with the totals over all the rep's open deals (a window
# over the whole set, computed before the LIMIT), the stall threshold, the replacement counts,
# and what tells whether a kept score (``_Scores``) still holds.
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
        *_KEY,
        _ACCOUNT_NAME,
        _HAS_MANAGER,
        _STEP_ESCALATED_AT,
    )
    .join(Deal, Deal.id == K.deal_id)
    .where(_OWNED)
    .order_by(K.bucket, K.anchor, K.deal_id)
)
# A slice of it: LIMIT and OFFSET bound too, so the statement is built (and its cache key made) once.
_PAGE_SLICE = _PAGE.limit(bindparam("p_limit")).offset(bindparam("p_offset"))


class _Kept(NamedTuple):
    """A deal's facts and chance, the stored key they were read with (``_KEY``'s columns) and when."""

    team_id: str
    key: tuple[Any, ...]
    read_at: datetime
    facts: DealFacts
    chance: Chance | None


_Fit = tuple[StoredFit | None, TimeSpent | None]


class _Scores:
    """The page deals this process scored, per deal id: kept while the deal's stored key is the
    one they were read with. The key is computed again whenever anything its facts read was
    written (``gen``), the fit or the stall threshold changed, or time made it stale
    (``computed_at``), so a kept score whose key is the page row's reads as the store does now,
    except the page row's own columns (``_ACCOUNT_NAME``, ``_HAS_MANAGER``,
    ``_STEP_ESCALATED_AT``). Bounded: the oldest kept goes first, and none is kept longer than
    ``KEEP_FOR``, so a write that bypassed the generation (a fix made by hand in SQL) shows within it."""

    MAX = 10_000
    MAX_FITS = 1_000
    KEEP_FOR = timedelta(minutes=10)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[int, _Kept] = {}
        self._fits: dict[tuple[str, int, int], tuple[datetime, _Fit]] = {}

    def fit(self, session: Session, team_id: str, fit: tuple[int, int], now: datetime) -> _Fit:
        """The workspace's fit and its time spent, for keys computed with fit ``(id, generation)``
        (0: none): read once per process while that row stands (a write to it bumps its
        generation), and again after ``KEEP_FOR``."""
        if fit[0] == 0:
            return None, None
        key = (team_id, *fit)
        found = self._fits.get(key)
        if found is not None and timedelta(0) <= now - found[0] <= self.KEEP_FOR:
            return found[1]
        read = fit_and_time_spent(session, team_id, *fit)
        if read is None:  # written since the keys' statement: the latest, as it is now
            return latest_fit_and_time_spent(session, team_id)
        with self._lock:
            if len(self._fits) >= self.MAX_FITS:
                self._fits.clear()
            self._fits[key] = (now, read)
        return read

    def get(self, team_id: str, deal_id: int, key: tuple[Any, ...], now: datetime) -> _Kept | None:
        kept = self._kept.get(deal_id)
        if kept is None or kept.team_id != team_id or kept.key != key:
            return None
        return kept if timedelta(0) <= now - kept.read_at <= self.KEEP_FOR else None

    def put(self, deal_id: int, kept: _Kept) -> None:
        with self._lock:
            self._kept.pop(deal_id, None)
            if len(self._kept) >= self.MAX:
                del self._kept[next(iter(self._kept))]
            self._kept[deal_id] = kept


# One per database (tests, the demo and a server each have their own engine).
_SCORES: weakref.WeakKeyDictionary[Engine, _Scores] = weakref.WeakKeyDictionary()
_SCORES_LOCK = threading.Lock()


def _scores_of(session: Session) -> _Scores:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _SCORES_LOCK:
        found = _SCORES.get(engine)
        if found is None:
            found = _SCORES[engine] = _Scores()
    return found


def _later(column: Any) -> Any:
    return func.min(case((column >= _NOW, column)))


_STEP_TIMES = (NextStep.created_at, NextStep.status_changed_at, NextStep.booked_at, NextStep.scheduled_at)


@functools.cache
def _future_statement(postgresql: bool) -> Any:
    """Per deal, the earliest of its meetings' and steps' recorded times at or after now (as
    ``passing`` reads them), in one statement built once: the steps' four times, then the
    meetings' two."""
    steps = among(NextStep.deal_id, "ids", postgresql=postgresql)
    meetings = among(Meeting.deal_id, "ids", postgresql=postgresql)
    return union_all(
        select(NextStep.deal_id, *(_later(c) for c in _STEP_TIMES))
        .where(steps, or_(*(c >= _NOW for c in _STEP_TIMES)))
        .group_by(NextStep.deal_id),
        select(
            Meeting.deal_id,
            _later(Meeting.held_at),
            _later(Meeting.logged_at),
            type_coerce(null(), UTCDateTime()),
            type_coerce(null(), UTCDateTime()),
        )
        .where(meetings, (Meeting.held_at >= _NOW) | (Meeting.logged_at >= _NOW))
        .group_by(Meeting.deal_id),
    )


def _future(session: Session, deal_ids: Sequence[int], now: datetime) -> dict[int, datetime]:
    """Per deal, the earliest recorded time at or after ``now`` among all its meetings and steps
    (as ``passing`` reads it): what the chance's whole-history counts read by the clock."""
    out: dict[int, datetime] = {}
    connection = session.connection()
    statement = _future_statement(connection.dialect.name == "postgresql")
    for deal_id, *times in connection.execute(statement, {"ids": list(deal_ids), "now": now}):
        at = earliest(passing(t, now) for t in times)
        if at is not None:
            out[deal_id] = min(out.get(deal_id, at), at)
    return out


@functools.cache
def _upsert(postgresql: bool) -> Any:
    """Store keys, one row each (executemany), replacing a deal's older key: built once per dialect."""
    statement = (pg_insert if postgresql else sqlite_insert)(K)
    return statement.on_conflict_do_update(
        index_elements=[K.deal_id],
        set_={c.name: statement.excluded[c.name] for c in K.__table__.columns if c.name != "deal_id"},
    )


def _scored(
    session: Session,
    team_id: str,
    deal_ids: Sequence[int],
    fit: tuple[int, int] | None,
    days: int,
    now: datetime,
) -> tuple[dict[int, DealSignals], dict[int, ChanceInputs]]:
    """These deals' signals at ``now``, exactly as ``load_pipeline`` scores them, with the fit
    ``(id, generation)`` their keys name (None: the latest, read now)."""
    inputs: dict[int, ChanceInputs] = {}
    stored, spent = (
        latest_fit_and_time_spent(session, team_id)
        if fit is None
        else _scores_of(session).fit(session, team_id, fit, now)
    )
    facts = _facts_rows(session, DealSet.ids(team_id, deal_ids), days, spent, now=now, inputs=inputs)
    chances = chances_with(stored, standing_of(inputs), now, inputs) if facts else {}
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
    scored, inputs = _scored(session, team_id, list(gens), fit, days, now)
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
        connection = session.connection()
        connection.execute(_upsert(connection.dialect.name == "postgresql"), rows)
    return scored


def stale_deals(session: Session, team_id: str, rep_id: int, now: datetime) -> list[int]:
    """The rep's open deals the next Home build would score again."""
    return [i for i, *_ in session.execute(_STALE, {"team": team_id, "rep": rep_id, "now": now})]


def home_page(
    session: Session,
    team_id: str,
    rep_id: int,
    now: datetime,
    page_start: int = 0,
    size: int = HOME_PAGE_SIZE,
) -> HomePage:
    """The page of the rep's Home starting at ``page_start``, equal to ``page_of(load_pipeline(…))``."""
    params = {"team": team_id, "rep": rep_id, "now": now}
    connection = session.connection()  # the Core statements skip the ORM's execution path
    found = connection.execute(_STALE, params).all()
    scored: dict[int, DealSignals] = {}
    if found:  # each row also has the latest fit's id and generation, and the stall threshold
        fit, days = (found[0][2], found[0][3]), found[0][4]
        scored = _refresh(session, team_id, [(deal_id, gen) for deal_id, gen, *_ in found], fit, days, now)
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
            ratio=replacement_ratio(session, team_id, rep_id),
            expected=Decimal(0).quantize(_CENT),
            counts=dict.fromkeys(
                ("overdue", "unscheduled", "no_step", "booked", "time_sink", "replace_now", "escalated"), 0
            ),
        )
    totals = rows[0]
    n, overdue, unscheduled, no_step, booked, sinks, replace_now, escalated = totals[1:9]
    cents, priced, micros, wins, overrides, fallbacks, days, replacements, lost = totals[9:18]
    ids = [row[0] for row in rows]
    kept = _scores_of(session)
    read: list[Any] = []  # rows whose deal is scored from the store now
    for row in rows:
        deal_id, (account_name, has_manager, escalated_at) = row[0], row[-3:]
        hit = None if deal_id in scored else kept.get(team_id, deal_id, tuple(row[_KEY_AT]), now)
        if hit is None:
            read.append(row)
            continue
        facts = replace(
            hit.facts, account_name=account_name, has_manager=has_manager, escalated_at=escalated_at
        )
        scored[deal_id] = signals(facts, now, hit.chance)
    missing = [row for row in read if row[0] not in scored]
    if missing:  # their keys are fresh: the fit they name is the latest (unless keys differ)
        fits = {(row[_KEY_AT][1], row[_KEY_AT][2]) for row in missing}
        named = next(iter(fits)) if len(fits) == 1 else None
        scored.update(_scored(session, team_id, [row[0] for row in missing], named, days, now)[0])
    for row in read:
        s = scored[row[0]]
        kept.put(row[0], _Kept(team_id, tuple(row[_KEY_AT]), now, s.facts, s.chance))
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
            "replace_now": replace_now,
            "escalated": escalated,
        },
        expected_wins=float(wins or 0.0),
        overrides=overrides,
        fallback=fallbacks == n,
    )
