"""The forecast from the store: load deals' timelines, fit once a day per workspace, forecast open deals.

The learning is ``bot.domain.forecast``; here it is read from and written to the store:

- ``fit_due`` (the clock, every sweep): each workspace is fitted once per local day. The fit is
  claimed by inserting its ``forecast_fits`` row (unique per workspace and day), so two clock
  processes fit it once; a claim left unfitted by a dead clock is taken over after an hour.
- ``fit_workspace`` fits on every deal of the workspace (all its teams, nothing of another
  workspace), stores the fit with its date and keeps each open deal's probability for this week.
- ``open_deal_forecasts`` (what part 2 shows): the latest fit applied to open deals as they are now.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Integer, String, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.forecast import (
    Backtest,
    DealTimeline,
    Fit,
    Forecast,
    MeetingRecord,
    StepRecord,
    TimeSpent,
    backtest,
    counts_at,
    features_at,
    fit,
    forecast,
    time_spent,
    week_ends,
)
from bot.domain.pipeline import Level
from bot.domain.vocabulary import AskType, DealStatus, NextStepStatus, Reaction
from models import Deal, ForecastFit, Meeting, NextStep, Workspace
from models import DealForecast as DealForecastRow

log = logging.getLogger("nextstep.forecast")

STALE_CLAIM = timedelta(hours=1)


# ---------------------------------------------------------------- reading timelines

# Stored values to the product's words: a dict lookup per row (an Enum call costs several times it).
_REACTIONS: dict[str | None, Reaction] = {r.value: r for r in Reaction}
_ASKS = {a.value: a for a in AskType}
_STEP_STATUSES = {s.value: s for s in NextStepStatus}
_DEAL_STATUSES = {s.value: s for s in DealStatus}


def load_timelines(
    session: Session, team_id: str, where: ColumnElement[bool] | None = None
) -> list[DealTimeline]:
    """The workspace's deals (those matching ``where``) with their counted meetings and next steps."""
    deal_filter = Deal.team_id == team_id
    if where is not None:
        deal_filter = deal_filter & where
    deals = session.execute(
        select(Deal.id, Deal.created_at, Deal.status, Deal.closed_at).where(deal_filter)
    ).all()
    if not deals:
        return []
    chosen = None if where is None else select(Deal.id).where(deal_filter).scalar_subquery()
    meetings: dict[int, list[MeetingRecord]] = defaultdict(list)
    query = select(
        Meeting.deal_id,
        Meeting.id,
        Meeting.held_at,
        Meeting.logged_at,
        Meeting.reaction,
        Meeting.graded_ask_type,
    ).where(Meeting.withdrawn_at.is_(None))
    # A few deals' rows (the App Home's): by deal only, the chosen deals being this workspace's.
    # With the team's filter too, PostgreSQL ANDs the team's whole index into every deal's lookup
    # (0.45 s instead of 0.03 s for 500 deals with 20k meetings).
    query = (
        query.where(Meeting.team_id == team_id)
        if chosen is None
        else query.where(Meeting.deal_id.in_(chosen))
    )
    for deal_id, mid, held, logged, reaction, graded in session.execute(
        query.order_by(Meeting.deal_id, Meeting.held_at, Meeting.id)
    ):
        meetings[deal_id].append(MeetingRecord(mid, held, logged, _REACTIONS.get(reaction), _ASKS[graded]))
    steps: dict[int, list[StepRecord]] = defaultdict(list)
    step_query = select(
        NextStep.deal_id,
        NextStep.id,
        NextStep.meeting_id,
        NextStep.created_at,
        NextStep.status,
        NextStep.status_changed_at,
        NextStep.booked_at,
        NextStep.scheduled_at,
    )
    step_query = (
        step_query.where(NextStep.team_id == team_id)
        if chosen is None
        else step_query.where(NextStep.deal_id.in_(chosen))
    )
    for deal_id, sid, step_meeting, created, status, changed, booked, scheduled in session.execute(
        step_query.order_by(NextStep.deal_id, NextStep.created_at, NextStep.id)
    ):
        steps[deal_id].append(
            StepRecord(sid, step_meeting, created, _STEP_STATUSES[status], changed, booked, scheduled)
        )
    return [
        DealTimeline(
            deal_id=deal_id,
            created_at=created,
            status=_DEAL_STATUSES[status],
            closed_at=closed,
            meetings=tuple(meetings.get(deal_id, ())),
            steps=tuple(steps.get(deal_id, ())),
        )
        for deal_id, created, status, closed in deals
    ]


# ---------------------------------------------------------------- fitting


def _stale_days(session: Session, team_id: str) -> int:
    workspace = session.get(Workspace, team_id)
    return workspace.forecast_stale_days if workspace else 90


def monday(at: datetime) -> date:
    day = at.date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class FitResult:
    fit: Fit
    spent: TimeSpent
    open_deals: int


def fit_workspace(
    session: Session, team_id: str, now: datetime, fit_row: ForecastFit | None = None
) -> FitResult:
    """Fit on every deal of the workspace as known at ``now``, store it, keep this week's probabilities.

    Commits. ``fit_row`` is the day's claimed row; without one (the backtest, on demand) the day's
    row is created or refreshed.
    """
    stale_days = _stale_days(session, team_id)
    timelines = load_timelines(session, team_id)
    counts, _ = counts_at(timelines, now, stale_days)
    model = fit(counts, now, stale_days)
    spent = time_spent(timelines)
    if fit_row is None:
        workspace = session.get(Workspace, team_id)
        day = local_day(workspace.timezone if workspace else None, now)
        fit_row = session.scalar(
            select(ForecastFit).where(ForecastFit.team_id == team_id, ForecastFit.local_day == day)
        )
        if fit_row is None:
            fit_row = ForecastFit(team_id=team_id, local_day=day, claimed_at=now)
            session.add(fit_row)
    fit_row.fitted_at = now
    fit_row.ended, fit_row.won = model.ended, model.won
    fit_row.params = model.to_json()
    fit_row.time_spent = _spent_json(spent)
    week = monday(now)
    open_now = [t for t in timelines if t.open_at(now)]
    session.execute(
        delete(DealForecastRow).where(DealForecastRow.team_id == team_id, DealForecastRow.week_start == week)
    )
    rows: list[dict[str, Any]] = []
    for t in open_now:
        f = forecast(model, features_at(t, now))
        rows.append(
            {
                "team_id": team_id,
                "deal_id": t.deal_id,
                "week_start": week,
                "probability": f.probability,
                "low": f.low,
                "high": f.high,
                "fallback": f.fallback,
                "reason": f.reason,
                "computed_at": now,
            }
        )
    for start in range(0, len(rows), 2000):
        session.execute(insert(DealForecastRow), rows[start : start + 2000])
    session.commit()
    return FitResult(model, spent, len(open_now))


def _spent_json(spent: TimeSpent) -> dict[str, Any]:
    return {
        "won": spent.won,
        "lost": spent.lost,
        "won_meetings": list(spent.won_meetings),
        "won_days": list(spent.won_days),
        "lost_meetings": list(spent.lost_meetings),
        "lost_days": list(spent.lost_days),
    }


def _spent_from(data: dict[str, Any]) -> TimeSpent:
    return TimeSpent(
        won=int(data["won"]),
        lost=int(data["lost"]),
        won_meetings=(float(data["won_meetings"][0]), float(data["won_meetings"][1])),
        won_days=(float(data["won_days"][0]), float(data["won_days"][1])),
        lost_meetings=(float(data["lost_meetings"][0]), float(data["lost_meetings"][1])),
        lost_days=(float(data["lost_days"][0]), float(data["lost_days"][1])),
    )


def local_day(timezone: str | None, now: datetime) -> date:
    """The workspace's day at ``now`` in its timezone (UTC when it has none that reads)."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def claim_fit(session: Session, team_id: str, day: date, now: datetime) -> ForecastFit | None:
    """Take the workspace's fit for its local ``day``: the row's insert is the claim (or taking over
    a claim a dead clock left unfitted for an hour, by a conditional UPDATE). None: someone has it."""
    try:
        with session.begin_nested():
            row = ForecastFit(team_id=team_id, local_day=day, claimed_at=now)
            session.add(row)
        session.commit()
        return row
    except IntegrityError:
        session.rollback()
    existing = session.scalar(
        select(ForecastFit).where(ForecastFit.team_id == team_id, ForecastFit.local_day == day)
    )
    if existing is None or existing.fitted_at is not None or existing.claimed_at > now - STALE_CLAIM:
        return None
    taken = session.execute(
        update(ForecastFit)
        .where(ForecastFit.id == existing.id, ForecastFit.claimed_at == existing.claimed_at)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(existing)
    return existing


def fit_due(session_factory: sessionmaker[Session], now: datetime) -> int:
    """Fit each installed workspace whose local day has no fit yet; how many were fitted here."""
    with session_factory() as session:
        workspaces = session.execute(
            select(Workspace.team_id, Workspace.timezone).where(Workspace.uninstalled_at.is_(None))
        ).all()
        days = {team_id: local_day(tz, now) for team_id, tz in workspaces}
        done = set(
            session.execute(
                select(ForecastFit.team_id, ForecastFit.local_day).where(
                    ForecastFit.local_day.in_(set(days.values()))
                )
            ).all()
        )
    with session_factory() as session:  # claims a dead clock (or a failed fit) left behind
        dead = session.execute(
            select(ForecastFit.team_id, ForecastFit.local_day).where(
                ForecastFit.fitted_at.is_(None), ForecastFit.claimed_at <= now - STALE_CLAIM
            )
        ).all()
    due = [(t, d) for t, d in days.items() if (t, d) not in done]  # not fitted, nor claimed by another
    due += [(t, d) for t, d in dead if days.get(t) == d]
    fitted = 0
    for team_id, day in due:
        try:
            with session_factory() as session:
                claim = claim_fit(session, team_id, day, now)
                if claim is None:
                    continue
                result = fit_workspace(session, team_id, now, claim)
        except Exception:  # one workspace's fault stops neither the others nor the sweep
            log.exception("forecast fit failed for %s; its claim is taken over within the hour", team_id)
            continue
        fitted += 1
        log.info(
            "forecast fitted for %s: %d ended deals (%d won), %d open deals forecast",
            team_id,
            result.fit.ended,
            result.fit.won,
            result.open_deals,
        )
    return fitted


# ---------------------------------------------------------------- reading the forecast


@dataclass(frozen=True)
class StoredFit:
    fit: Fit
    spent: TimeSpent
    local_day: date


def latest_fit_statement(*columns: Any) -> Any:
    """The workspace's (bound ``team``) most recent fit's ``columns``: built once, run per call."""
    return (
        select(*columns)
        .where(ForecastFit.team_id == bindparam("team", type_=String()), ForecastFit.fitted_at.is_not(None))
        .order_by(ForecastFit.fitted_at.desc(), ForecastFit.id.desc())
        .limit(1)
    )


_LATEST_FIT = latest_fit_statement(ForecastFit)
_LATEST_TIME_SPENT = latest_fit_statement(ForecastFit.time_spent)


def latest_fit(session: Session, team_id: str) -> StoredFit | None:
    """The workspace's most recent fit, or None before the first."""
    row = session.scalar(_LATEST_FIT, {"team": team_id})  # the ORM's path: pending writes are flushed first
    return None if row is None else _stored_fit(row.fitted_at, row.params, row.time_spent, row.local_day)


def _stored_fit(
    fitted_at: datetime | None,
    params: dict[str, Any] | None,
    time_spent: dict[str, Any] | None,
    local_day: date,
) -> StoredFit | None:
    """A fit row's columns as ``latest_fit`` returns them: None until it has all it needs."""
    if params is None or fitted_at is None or time_spent is None:
        return None
    return StoredFit(Fit.from_json(fitted_at, params), _spent_from(time_spent), local_day)


def latest_time_spent(session: Session, team_id: str) -> TimeSpent | None:
    """The look back on time spent from the latest fit, without reading the fit's groups."""
    data = session.connection().scalar(_LATEST_TIME_SPENT, {"team": team_id})
    return _spent_from(data) if data else None


_LATEST_FIT_ROW = latest_fit_statement(
    ForecastFit.fitted_at, ForecastFit.params, ForecastFit.time_spent, ForecastFit.local_day
)


def latest_fit_and_time_spent(session: Session, team_id: str) -> tuple[StoredFit | None, TimeSpent | None]:
    """``latest_fit`` and ``latest_time_spent`` from one read of the row."""
    return _fit_and_time_spent(session.connection().execute(_LATEST_FIT_ROW, {"team": team_id}).first())


_FIT_ROW = select(
    ForecastFit.fitted_at, ForecastFit.params, ForecastFit.time_spent, ForecastFit.local_day
).where(
    ForecastFit.team_id == bindparam("team", type_=String()),
    ForecastFit.id == bindparam("fit", type_=Integer()),
    ForecastFit.signals_gen == bindparam("gen", type_=Integer()),
)


def fit_and_time_spent(
    session: Session, team_id: str, fit_id: int, gen: int
) -> tuple[StoredFit | None, TimeSpent | None] | None:
    """``latest_fit_and_time_spent`` of this fit row as of its generation ``gen``; None when the
    row is gone or was written since."""
    row = session.connection().execute(_FIT_ROW, {"team": team_id, "fit": fit_id, "gen": gen}).first()
    return None if row is None else _fit_and_time_spent(row)


def _fit_and_time_spent(row: Any) -> tuple[StoredFit | None, TimeSpent | None]:
    if row is None:
        return None, None
    fitted_at, params, time_spent, local_day = row
    return _stored_fit(fitted_at, params, time_spent, local_day), _spent_from(
        time_spent
    ) if time_spent else None


@dataclass(frozen=True)
class DealForecast:
    """One open deal's chance to be won, as part 2 shows it."""

    deal_id: int
    probability: float
    low: float
    high: float
    interval_text: str
    percent: int
    reason: str
    fallback: bool
    deals: int
    won: int
    momentum: Level

    @classmethod
    def of(cls, deal_id: int, f: Forecast, level: Level) -> DealForecast:
        return cls(
            deal_id,
            f.probability,
            f.low,
            f.high,
            f.interval_text,
            f.percent,
            f.reason,
            f.fallback,
            f.deals,
            f.won,
            level,
        )


def open_deal_forecasts(
    session: Session,
    team_id: str,
    now: datetime,
    deal_ids: Iterable[int] | None = None,
    owner_rep_ids: Iterable[int] | None = None,
) -> dict[int, DealForecast]:
    """The latest fit applied to the workspace's open deals as they stand at ``now`` (by deal id).

    Before the first fit, every deal gets the prior and today's rule (``fallback``).
    """
    stored = latest_fit(session, team_id)
    where: ColumnElement[bool] = Deal.status == DealStatus.OPEN
    if deal_ids is not None:
        where = where & Deal.id.in_(list(deal_ids))
    if owner_rep_ids is not None:
        where = where & Deal.owner_rep_id.in_(list(owner_rep_ids))
    out: dict[int, DealForecast] = {}
    for t in load_timelines(session, team_id, where):
        features = features_at(t, now)
        out[t.deal_id] = DealForecast.of(
            t.deal_id, forecast(stored.fit if stored else None, features), features.level
        )
    return out


@dataclass(frozen=True)
class WeekForecast:
    week_start: date
    probability: float
    low: float
    high: float
    fallback: bool
    reason: str


def weekly_history(session: Session, team_id: str, deal_id: int) -> list[WeekForecast]:
    """The deal's probability week by week, as people saw it (oldest first)."""
    return [
        WeekForecast(r.week_start, r.probability, r.low, r.high, r.fallback, r.reason)
        for r in session.scalars(
            select(DealForecastRow)
            .where(DealForecastRow.team_id == team_id, DealForecastRow.deal_id == deal_id)
            .order_by(DealForecastRow.week_start)
        )
    ]


# ---------------------------------------------------------------- the backtest


@dataclass(frozen=True)
class BacktestRun:
    result: Backtest
    fitted: FitResult
    deals: int


def run_backtest(
    session_factory: sessionmaker[Session], team_id: str, now: datetime, weeks: int
) -> BacktestRun:
    """Replay the last ``weeks`` weeks of the workspace's history; also fits today's model (on demand)."""
    with session_factory() as session:
        stale_days = _stale_days(session, team_id)
        timelines = load_timelines(session, team_id)
        result = backtest(timelines, week_ends(now - timedelta(weeks=weeks), now), now, stale_days)
        fitted = fit_workspace(session, team_id, now)
    return BacktestRun(result, fitted, len(timelines))
