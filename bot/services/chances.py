"""Each open deal's chance to be won as people see it: the latest fit's figure (part 1), or the
override a manager set by hand. App Home, `/nextsteps forecast` and the deal history read it here."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.orm import Session

from bot.domain.forecast import DealTimeline, Features, Forecast, features_at, forecast
from bot.domain.pipeline import Chance, Level, Override
from bot.services.forecast import StoredFit, latest_fit, open_deal_forecasts
from models import ForecastOverride, among


def current_overrides(session: Session, team_id: str, deal_ids: Iterable[int]) -> dict[int, Override]:
    """The override standing on each deal (the newest change, unless it went back to the learned figure)."""
    ids = list(deal_ids)
    if not ids:
        return {}
    connection = session.connection()
    return {
        row.deal_id: Override(row.probability, row.reason, row.set_by_name, row.set_at)
        for row in connection.execute(
            _standing(connection.dialect.name == "postgresql"), {"team": team_id, "ids": ids}
        )
        if row.probability is not None
    }


@functools.cache
def _standing(postgresql: bool) -> Any:
    """Each deal's newest override: built once per dialect (the Home reads it for every page)."""
    newest = (
        select(ForecastOverride.deal_id, func.max(ForecastOverride.id).label("last"))
        .where(
            ForecastOverride.team_id == bindparam("team", type_=String()),
            among(ForecastOverride.deal_id, "ids", postgresql=postgresql),
        )
        .group_by(ForecastOverride.deal_id)
        .subquery()
    )
    return select(
        ForecastOverride.deal_id,
        ForecastOverride.probability,
        ForecastOverride.reason,
        ForecastOverride.set_by_name,
        ForecastOverride.set_at,
    ).join(newest, ForecastOverride.id == newest.c.last)


def chances(
    session: Session,
    team_id: str,
    now: datetime,
    *,
    deal_ids: Iterable[int] | None = None,
    owner_rep_ids: Iterable[int] | None = None,
) -> dict[int, Chance]:
    """The latest fit applied to these open deals as they stand at ``now``, with any override."""
    learned = open_deal_forecasts(session, team_id, now, deal_ids=deal_ids, owner_rep_ids=owner_rep_ids)
    standing = current_overrides(session, team_id, learned)
    return {
        deal_id: Chance(f.probability, f.low, f.high, f.reason, f.fallback, standing.get(deal_id))
        for deal_id, f in learned.items()
    }


@dataclass(frozen=True)
class ChanceInputs:
    """What a deal's chance at ``now`` reads, loaded with its ``DealFacts`` (``bot.services.pipeline``).

    ``timeline`` is the deal trimmed to what ``features_at`` reads: its last meetings held and
    logged by now, the steps they produced and the steps open as of now. The figures that need
    the whole history are SQL aggregates, each as ``features_at`` counts it. ``override``: the one
    standing on the deal (as ``current_overrides`` reads it), read with the rest.
    """

    timeline: DealTimeline
    counted: int  # meetings that count, held and logged by now
    kept: int  # visible steps done by now
    missed: int  # visible steps missed by now
    last_booked: datetime | None  # the latest booking of a visible step, by now
    override: Override | None = None


def standing_of(inputs: Mapping[int, ChanceInputs]) -> dict[int, Override]:
    """The overrides standing on these deals, as read with their inputs."""
    return {deal_id: i.override for deal_id, i in inputs.items() if i.override is not None}


def features_of(inputs: ChanceInputs, now: datetime) -> Features:
    """``features_at`` of the whole deal, from its trimmed timeline and whole-history counts."""
    return replace(
        features_at(inputs.timeline, now),
        meetings_held=inputs.counted,
        follow="missed" if inputs.missed else ("kept" if inputs.kept else "none"),
        days_since_commitment=max(0, (now - inputs.last_booked).days) if inputs.last_booked else None,
    )


def chances_from(
    session: Session, team_id: str, now: datetime, inputs: Mapping[int, ChanceInputs]
) -> dict[int, Chance]:
    """``chances`` for open deals whose facts were just loaded, without reading every meeting
    again: the same features and forecast, from each deal's ``ChanceInputs``."""
    return chances_with(latest_fit(session, team_id), standing_of(inputs), now, inputs)


def chances_with(
    stored: StoredFit | None,
    standing: Mapping[int, Override],
    now: datetime,
    inputs: Mapping[int, ChanceInputs],
) -> dict[int, Chance]:
    """``chances_from`` with the latest fit and the standing overrides already read."""
    model = stored.fit if stored else None
    prior: dict[tuple[tuple[str, ...], Level], Forecast] = {}  # before a fit: the same per state
    out: dict[int, Chance] = {}
    for deal_id, i in inputs.items():
        features = features_of(i, now)
        if model is None:
            key = (features.chain(), features.level)
            f = prior.get(key) or prior.setdefault(key, forecast(None, features))
        else:
            f = forecast(model, features)
        out[deal_id] = Chance(f.probability, f.low, f.high, f.reason, f.fallback, standing.get(deal_id))
    return out


@dataclass(frozen=True)
class OverrideRecord:
    set_at: datetime
    by: str
    probability: float | None  # None: back to the learned figure
    learned: float
    reason: str


def override_history(session: Session, team_id: str, deal_id: int) -> list[OverrideRecord]:
    """Every override of the deal, newest first."""
    return [
        OverrideRecord(r.set_at, r.set_by_name, r.probability, r.learned, r.reason)
        for r in session.scalars(
            select(ForecastOverride)
            .where(ForecastOverride.team_id == team_id, ForecastOverride.deal_id == deal_id)
            .order_by(ForecastOverride.set_at.desc(), ForecastOverride.id.desc())
        )
    ]
