"""What the App Home keeps about each open deal between writes, and until when it stays true.

The Home sorts a rep's open deals most urgent first and heads the page with totals over all of
them, but it shows only one page. So each deal's sort key, step state and flags (``DealKey``) and
its chance are stored (``bot.services.home_keys``), and only the shown page is scored in full.

A stored key goes stale two ways: a write (handled by the store), or time passing. The second
is exact: ``signals_change_at`` is the first instant after ``now`` at which ``key_of(signals(facts,
t))`` could differ from its value at ``now`` with the facts unchanged (a booked step's time
passing, the stall threshold, the time-sink age), and ``features_change_at`` the same for what
the forecast reads (``features_at``'s chain and level). Until then the stored key is the key.
Both may answer early (a deal is then scored again for nothing), never late.

Pure: values and ``now`` in, values out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.forecast import QUIET_BUCKETS, DealTimeline
from bot.domain.pipeline import (
    TIME_SINK_DAYS,
    DealFacts,
    DealSignals,
    FlagKind,
    StepState,
    step_state,
)

MICROSECOND = timedelta(microseconds=1)  # the store's resolution
FORECAST_STALLED_DAYS = 14  # the stall threshold ``features_at`` applies by default


@dataclass(frozen=True)
class DealKey:
    """What the Home's sort and header read from one deal's signals."""

    bucket: int  # urgency()[0]
    anchor: datetime  # urgency()[1] as a time
    state: StepState
    time_sink: bool
    replace_now: bool
    escalated: bool


def anchor_of(facts: DealFacts) -> datetime:
    """The time ``urgency`` sorts by within a bucket."""
    return facts.step_at or facts.step_since or facts.last_meeting_at or facts.created_at


def key_of(s: DealSignals, now: datetime) -> DealKey:
    kinds = {f.kind for f in s.flags}
    return DealKey(
        bucket=s.urgency[0],
        anchor=anchor_of(s.facts),
        state=step_state(s.facts, now),
        time_sink=FlagKind.TIME_SINK in kinds,
        replace_now=FlagKind.REPLACE_NOW in kinds,
        escalated=FlagKind.ESCALATED in kinds,
    )


def passing(at: datetime | None, now: datetime) -> datetime | None:
    """The first instant after ``now`` when ``at`` compared with the clock can read differently:
    ``at`` itself (``at <= t`` turns true), or just after it when it is ``now`` (``at < t``)."""
    if at is None or at < now:
        return None
    return at if at > now else at + MICROSECOND


def _days_passed(since: datetime | None, days: int | float, now: datetime) -> datetime | None:
    """When ``(t - since).days`` first reaches ``days`` (whole days), if after ``now``."""
    if since is None:
        return None
    at = since + timedelta(days=math.ceil(days))
    return at if at > now else None


def earliest(candidates: Iterable[datetime | None]) -> datetime | None:
    return min((c for c in candidates if c is not None), default=None)


def signals_change_at(facts: DealFacts, now: datetime) -> datetime | None:
    """The first instant after ``now`` at which ``key_of(signals(facts, t), t)`` may change; None: never.

    What reads the clock (``bot.domain.pipeline``): the booked step's time (overdue, booked
    ahead), the days without a meeting against the stall threshold, the days open against the
    time-sink ages. The rest of the key is the facts alone.
    """
    quiet_since = facts.last_meeting_at or facts.created_at
    found: list[datetime | None] = [
        passing(facts.step_at, now),
        _days_passed(quiet_since, facts.stalled_after_days, now),
        _days_passed(facts.created_at, TIME_SINK_DAYS, now),
    ]
    spent = facts.time_spent
    if spent is not None and spent.enough:
        # days_open > won_days: whole days, so the first whole day above it.
        found.append(_days_passed(facts.created_at, math.floor(spent.won_days[1]) + 1, now))
    return earliest(found)


def features_change_at(
    timeline: DealTimeline, now: datetime, stalled_after_days: int = FORECAST_STALLED_DAYS
) -> datetime | None:
    """The first instant after ``now`` at which ``features_at(timeline, t)``'s chain or level may
    change (what ``forecast`` reads); None: never.

    Every recorded time ahead of ``now`` (a meeting held or logged later, a step created, booked,
    ended or due later), and the days since the last meeting known at ``now`` reaching the quiet
    buckets' edges and the stall threshold.
    """
    found: list[datetime | None] = []
    last = timeline.created_at  # the last meeting known at now (in the timeline's order), else created
    for m in timeline.meetings:
        found += (passing(m.held_at, now), passing(m.logged_at, now))
        if m.held_at <= now and m.logged_at <= now:
            last = m.held_at
    for s in timeline.steps:
        found += (
            passing(s.created_at, now),
            passing(s.status_changed_at, now),
            passing(s.booked_at, now),
            passing(s.scheduled_at, now),
        )
    found += (_days_passed(last, limit, now) for limit, _ in QUIET_BUCKETS[:-1])
    found.append(_days_passed(last, stalled_after_days, now))
    return earliest(found)
