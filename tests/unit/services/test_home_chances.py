"""The Home's chances, read from the facts it loads anyway, are the forecast's chances to the digit.

``bot.services.chances.chances_from`` forecasts each open deal from its last meetings, its open
and recent steps and whole-history counts, instead of reading every meeting again as
``chances`` does. Here both read the same varied pipeline (withdrawn meetings, steps of every
status, steps without a meeting, moved steps, rows dated after ``now``, overrides) with and
without a fit, and must agree on every deal.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.forecast import features_at
from bot.domain.vocabulary import DealStatus, NextStepStatus, Reaction
from bot.services.chances import ChanceInputs, chances, chances_from, features_of
from bot.services.forecast import fit_workspace, load_timelines
from bot.services.pipeline import DealSet, _facts_rows
from models import Deal, ForecastOverride, Meeting, NextStep, Reschedule
from tests.seeds import pipeline as seed

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
REACTIONS = [*Reaction, None]
STEPS = [*NextStepStatus, None]


def _varied(session, rng: random.Random, owner, deals: int, *, ended: bool) -> None:
    for i in range(deals):
        created = NOW - timedelta(days=rng.randint(5, 300))
        d = seed.deal(session, owner, f"{owner.user_id} {'ended' if ended else 'open'} {i}", created)
        held = created
        for _ in range(rng.randint(0, 9)):
            held = held + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600))
            status = rng.choice(STEPS)
            step_at = held + timedelta(days=rng.randint(-3, 10)) if rng.random() < 0.5 else None
            late = held + timedelta(days=2) if rng.random() < 0.1 else None
            m = seed.meeting(
                session, d, held, rng.choice(REACTIONS), step=status, step_at=step_at, logged_at=late
            )
            if rng.random() < 0.12:
                m.withdrawn_at = held + timedelta(hours=1)
            if status is not None and rng.random() < 0.15:
                step = session.query(NextStep).filter_by(meeting_id=m.id).one()
                for n in range(rng.randint(1, 3)):
                    session.add(
                        Reschedule(
                            team_id=d.team_id,
                            next_step_id=step.id,
                            from_at=held,
                            to_at=held + timedelta(days=n + 1),
                            changed_at=held + timedelta(hours=n + 1),
                        )
                    )
        if rng.random() < 0.3:  # a step with no meeting (added from the Home), maybe booked
            booked = rng.random() < 0.5
            start = min(held, NOW - timedelta(days=3)) + timedelta(hours=1)
            later = timedelta(0)
            if rng.random() < 0.4:  # added just before now, closed (or booked) only after it
                start, later = NOW - timedelta(hours=4), timedelta(days=4)
            session.add(
                NextStep(
                    team_id=d.team_id,
                    deal_id=d.id,
                    rep_id=owner.id,
                    description="Call back",
                    status=rng.choice(list(NextStepStatus)),
                    scheduled_at=start + timedelta(days=5) if booked else None,
                    booked_at=start + timedelta(hours=2) + later if booked else None,
                    status_changed_at=start + timedelta(hours=3) + later,
                    created_at=start,
                )
            )
        if ended:
            d.status = rng.choice([DealStatus.WON, DealStatus.LOST])
            d.closed_at = held + timedelta(days=1)
        session.flush()


@pytest.mark.parametrize("fitted", [False, True])
def test_home_chances_match_the_forecast(session, fitted):
    rng = random.Random(16)
    owner = seed.rep(session, "T1", "UREP", NOW)
    other = seed.rep(session, "T1", "UOTHER", NOW)
    _varied(session, rng, owner, 90, ended=False)
    if fitted:
        _varied(session, rng, other, 80, ended=True)
        session.commit()
        fit_workspace(session, "T1", NOW - timedelta(days=1))
    deals = (
        session.query(Deal).filter_by(owner_rep_id=owner.id, status=DealStatus.OPEN).order_by(Deal.id).all()
    )
    for d in deals[:5]:
        session.add(
            ForecastOverride(
                team_id="T1",
                deal_id=d.id,
                probability=0.42,
                learned=0.3,
                reason="signed LOI",
                set_by_user_id="UMGR",
                set_by_name="Mia",
                set_at=NOW - timedelta(days=1),
            )
        )
    session.commit()

    expected = chances(session, "T1", NOW, owner_rep_ids=[owner.id])
    inputs: dict[int, ChanceInputs] = {}
    _facts_rows(
        session,
        DealSet.open_of_rep("T1", owner.id),
        14,
        now=NOW,
        inputs=inputs,
    )
    got = chances_from(session, "T1", NOW, inputs)

    assert len(expected) == 90
    assert got == expected
    whole = load_timelines(session, "T1", (Deal.owner_rep_id == owner.id) & (Deal.status == DealStatus.OPEN))
    assert [features_of(inputs[t.deal_id], NOW) for t in whole] == [features_at(t, NOW) for t in whole]
    # the pipeline has what makes the trimmed path differ from the full one
    assert any(i.counted > len(i.timeline.meetings) for i in inputs.values())
    assert session.query(Meeting).filter(Meeting.held_at > NOW).count()
    assert session.query(NextStep).filter(NextStep.status_changed_at > NOW).count()
    if fitted:
        assert not all(c.fallback for c in got.values())
