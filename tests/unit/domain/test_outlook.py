"""The forecast's outlook, without a database: overrides in force, their backtest line, the
week's movers in words, and the override form's percentage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.forecast import Scored
from bot.domain.outlook import Move, OverrideSet, in_force, movers, override_lines, parse_percent, what_moved
from bot.domain.vocabulary import Reaction

WEEK = timedelta(days=7)
T0 = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday


def test_an_override_stands_from_when_it_was_set_until_it_is_taken_back():
    changes = [OverrideSet(1, T0 + timedelta(days=2), 0.9, "Lee"), OverrideSet(1, T0 + 2 * WEEK, None, "Lee")]
    assert in_force(changes, T0) is None
    assert in_force(changes, T0 + WEEK).probability == 0.9
    assert in_force(changes, T0 + 3 * WEEK) is None


def test_overrides_are_scored_per_manager_on_the_same_deal_weeks_as_the_learned_forecast():
    scored = [
        Scored(T0 + WEEK, 1, 0.3, 0.5, 0.5, False),
        Scored(T0 + 2 * WEEK, 1, 0.3, 0.5, 0.5, False),
        Scored(T0 + WEEK, 2, 0.4, 0.5, 0.5, True),
        Scored(T0 + WEEK, 3, 0.2, 0.5, 0.5, True),  # no override: not on any override line
    ]
    overrides = [OverrideSet(1, T0, 0.9, "Lee"), OverrideSet(2, T0, 0.8, "Kim")]
    lines = {line.by: line for line in override_lines(scored, overrides)}
    assert set(lines) == {"overrides by Lee", "overrides by Kim", "all managers' overrides"}
    lee = lines["overrides by Lee"]
    assert lee.forecasts == 2
    assert lee.overrides.brier == pytest.approx(0.81) and lee.learned.brier == pytest.approx(0.09)
    kim = lines["overrides by Kim"]
    assert kim.overrides.brier == pytest.approx(0.04) and kim.learned.brier == pytest.approx(0.36)
    assert lines["all managers' overrides"].forecasts == 3
    assert override_lines(scored, []) == []


def test_what_moved_a_deal_is_said_in_words():
    assert (
        what_moved([Reaction.HESITANT, Reaction.DECLINED], 2)
        == "2 meetings this week; the last ended *Declined*"
    )
    assert what_moved([None], 1) == "a meeting this week; the last ended no next step asked"
    assert what_moved([], 19).startswith("no meeting this week (19 days since the last)")
    assert what_moved([Reaction.BOOKED], 1, ("Lee", 0.2, "Legal said no")) == (
        "Lee set it to 20 % by hand: \u201cLegal said no\u201d"
    )


def test_movers_are_the_biggest_changes_either_way():
    moves = [Move(i, f"d{i}", "a", "r", 0.5, 0.5 + d, "") for i, d in enumerate([0.1, -0.4, 0.005, 0.3])]
    assert [m.deal_id for m in movers(moves, shown=2)] == [1, 3]
    assert 2 not in [m.deal_id for m in movers(moves)]  # under a point: not a move


@pytest.mark.parametrize(
    ("typed", "probability"),
    [("40", 0.4), (" 40 % ", 0.4), ("0", 0.0), ("100", 1.0), ("33.4", 0.33), ("", None)],
)
def test_the_override_form_reads_a_percentage(typed, probability):
    assert parse_percent(typed) == probability


@pytest.mark.parametrize("typed", ["-1", "101", "forty", "nan", "1e400"])
def test_the_override_form_refuses_what_is_not_a_percentage(typed):
    with pytest.raises(ValueError, match="whole percentage from 0 to 100"):
        parse_percent(typed)
