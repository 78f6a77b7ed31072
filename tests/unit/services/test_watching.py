"""One helper sets when the clock looks at a next step or deal again (bot.services.watching)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.watching import check_time, watch, watching
from models import Deal, NextStep

NOW = datetime(2025, 3, 3, 10, tzinfo=UTC)


def test_a_step_and_a_deal_keep_their_check_time_in_their_own_column() -> None:
    step, deal = NextStep(), Deal()
    watch(step, NOW)
    watch(deal, NOW + timedelta(days=14))
    assert (step.nudge_check_at, deal.stall_check_at) == (NOW, NOW + timedelta(days=14))
    assert (check_time(step), check_time(deal)) == (NOW, NOW + timedelta(days=14))
    watch(step, None)
    assert step.nudge_check_at is None
    assert watching(NextStep, NOW) == {"nudge_check_at": NOW}
    assert watching(Deal, None) == {"stall_check_at": None}


def test_a_snooze_keeps_a_look_already_planned_sooner() -> None:
    step = NextStep(nudge_check_at=NOW)
    watch(step, NOW + timedelta(days=1), keep_sooner=True)
    assert step.nudge_check_at == NOW
    later = NextStep(nudge_check_at=NOW + timedelta(days=5))
    watch(later, NOW + timedelta(days=1), keep_sooner=True)
    assert later.nudge_check_at == NOW + timedelta(days=1)
    unwatched = Deal()
    watch(unwatched, NOW, keep_sooner=True)
    assert unwatched.stall_check_at == NOW
