"""A seeded synthetic sales history for the forecast's benchmark (benchmarks/forecast.py) and tests.

Each deal has a hidden quality the model never sees, and the market drifts (win chances fall
then rise over the two years). Meetings every one to three weeks; the prospect's reaction
depends on the hidden quality and on how the deal is going; booked steps are kept or missed;
a deal ends won or lost with chances that follow its reactions and its hidden quality; some
deals are never closed by anyone (they go quiet and stay open).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from bot.domain.forecast import DealTimeline, MeetingRecord, StepRecord
from bot.domain.vocabulary import AskType, DealStatus, NextStepStatus, Reaction

START = datetime(2025, 1, 6, tzinfo=UTC)
SPAN_DAYS = 700


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def synthetic(
    seed: int, deals: int, *, start: datetime = START, span_days: int = SPAN_DAYS, first_id: int = 1
) -> list[DealTimeline]:
    """``deals`` deals created evenly over ``span_days`` from ``start``."""
    rnd = random.Random(seed)
    out: list[DealTimeline] = []
    ids = iter(range(first_id * 1000, 10**12))
    for i in range(deals):
        created = start + timedelta(days=span_days * i / deals, hours=rnd.uniform(0, 20))
        drift = 0.6 * math.sin(2 * math.pi * (created - start).days / 500)  # the market, unseen
        hidden = rnd.gauss(0, 0.9) + drift  # the deal's quality, unseen
        heat = 0.0  # how the deal is going: what reactions show, noisily
        at = created
        meetings: list[MeetingRecord] = []
        steps: list[StepRecord] = []
        status, closed = DealStatus.OPEN, None
        dark = rnd.random() < 0.08  # nobody will ever close it
        for _ in range(rnd.randint(1, 12)):
            at += timedelta(days=rnd.uniform(5, 21))
            strength = hidden + heat
            r = rnd.random()
            p_booked = _sigmoid(strength + 0.2)
            p_declined = _sigmoid(-strength - 2.2)
            p_hesitant = _sigmoid(-strength - 0.8)
            if r < p_declined:
                reaction: Reaction | None = Reaction.DECLINED
            elif r < p_declined + p_hesitant * 0.6:
                reaction = Reaction.HESITANT
            elif rnd.random() < 0.07:
                reaction = None
            elif rnd.random() < p_booked:
                reaction = Reaction.BOOKED
            else:
                reaction = Reaction.AGREED_UNSCHEDULED
            grade = (
                AskType.SCHEDULED_MEETING
                if reaction is Reaction.BOOKED
                else rnd.choice([AskType.SPECIFIC_ACTION, AskType.OPEN_ENDED, AskType.NO_ASK])
            )
            meeting = MeetingRecord(next(ids), at, at + timedelta(hours=2), reaction, grade)
            meetings.append(meeting)
            heat += {
                Reaction.BOOKED: 0.45,
                Reaction.AGREED_UNSCHEDULED: 0.05,
                Reaction.HESITANT: -0.35,
                Reaction.DECLINED: -1.2,
                None: -0.3,
            }[reaction]
            if reaction in (Reaction.BOOKED, Reaction.AGREED_UNSCHEDULED):
                booked = reaction is Reaction.BOOKED
                when = at + timedelta(days=rnd.uniform(4, 18))
                kept = rnd.random() < _sigmoid(strength + 1.0)
                steps.append(
                    StepRecord(
                        id=next(ids),
                        meeting_id=meeting.id,
                        created_at=meeting.logged_at,
                        status=(NextStepStatus.DONE if kept else NextStepStatus.MISSED)
                        if booked
                        else NextStepStatus.UNSCHEDULED,
                        status_changed_at=when + timedelta(hours=3) if booked else meeting.logged_at,
                        booked_at=meeting.logged_at if booked else None,
                        scheduled_at=when if booked else None,
                    )
                )
                if booked and not kept:
                    heat -= 0.6
            if dark and len(meetings) >= 2:
                break
            # Ending: won follows the heat and the hidden quality; declines end deals.
            p_end = 0.12 + 0.06 * len(meetings)
            if reaction is Reaction.DECLINED and rnd.random() < 0.6:
                status, closed = DealStatus.LOST, at + timedelta(days=rnd.uniform(0, 10))
                break
            if rnd.random() < p_end:
                won = rnd.random() < _sigmoid(1.3 * (hidden + heat) - 0.9)
                status = DealStatus.WON if won else DealStatus.LOST
                closed = at + timedelta(days=rnd.uniform(0, 10))
                break
        # Close out the open steps the way the store would have them when the deal ended.
        if closed is not None:
            steps = [
                s
                if s.status is not NextStepStatus.UNSCHEDULED
                else StepRecord(
                    s.id, s.meeting_id, s.created_at, NextStepStatus.CANCELLED, closed, None, None
                )
                for s in steps
            ]
        out.append(
            DealTimeline(
                deal_id=first_id + i,
                created_at=created,
                status=status,
                closed_at=closed,
                meetings=tuple(meetings),
                steps=tuple(steps),
            )
        )
    return out


def as_of(timelines: list[DealTimeline], now: datetime) -> list[DealTimeline]:
    """The history as the store would hold it at ``now``: what happens later is not there yet."""
    out = []
    for t in timelines:
        if t.created_at > now:
            continue
        meetings = tuple(m for m in t.meetings if m.logged_at <= now)
        steps = []
        for s in t.steps:
            if s.created_at > now:
                continue
            if s.status_changed_at > now:  # still open at ``now``: as it was booked (or not)
                status = NextStepStatus.BOOKED if s.booked_at is not None else NextStepStatus.UNSCHEDULED
                s = StepRecord(
                    s.id, s.meeting_id, s.created_at, status, s.created_at, s.booked_at, s.scheduled_at
                )
            steps.append(s)
        closed = t.closed_at is not None and t.closed_at <= now
        out.append(
            DealTimeline(
                t.deal_id,
                t.created_at,
                t.status if closed else DealStatus.OPEN,
                t.closed_at if closed else None,
                meetings,
                tuple(steps),
            )
        )
    return out
