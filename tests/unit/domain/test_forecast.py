"""The forecast on hand-built histories: shrinkage, intervals, reasons, snapshots without leakage,
the stale-deal rule, the look back on time spent and the backtest's scores."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from bot.domain.forecast import (
    MIN_ENDED,
    DealTimeline,
    Features,
    GroupCounts,
    MeetingRecord,
    StepRecord,
    backtest,
    closing_meeting,
    counts_at,
    features_at,
    fit,
    forecast,
    label_at,
    score,
    time_spent,
    training_keys,
    week_ends,
)
from bot.domain.pipeline import DealFacts, FlagKind, Level, MeetingFact, flags
from bot.domain.vocabulary import AskType, DealStatus, NextStepStatus, Reaction

DAY = timedelta(days=1)
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # a Tuesday
B, U, H, D = Reaction.BOOKED, Reaction.AGREED_UNSCHEDULED, Reaction.HESITANT, Reaction.DECLINED


def feats(
    reaction="agreed_booked", step="on_time", follow="kept", grade="scheduled_meeting", quiet="under 14"
):
    return Features(reaction, step, follow, grade, quiet, 3, 5, 5, Level.BUILDING)


def counts_for(groups: list[tuple[Features, int, int]]) -> GroupCounts:
    """Each (features, deals, won): that many deals whose every snapshot had those features."""
    counts = GroupCounts()
    for f, n, w in groups:
        for i in range(n):
            counts.add(f.chain(), i < w)
    return counts


def test_a_small_group_shrinks_toward_its_parent():
    big = feats(grade="scheduled_meeting")
    small = feats(grade="specific_action")
    other = feats(reaction="hesitant", step="none", follow="none", grade="open_ended")
    model = fit(counts_for([(big, 2000, 1400), (small, 2, 0), (other, 2000, 300)]), NOW, 90)
    f_big, f_small = forecast(model, big), forecast(model, small)
    assert abs(f_big.probability - 0.70) < 0.04  # a large group keeps its own rate
    # 0 of 2 won, but its parent (Agreed and booked, on time, kept) won 1400 of 2002: it stays near that.
    assert f_small.probability > 0.5
    assert f_small.probability < f_big.probability
    # The reason cites the deepest group with enough deals, not the 2-deal one.
    assert "of 2002 ended deals whose last meeting ended *Agreed and booked*" in f_small.reason
    assert "1400 were won" in f_small.reason
    assert "today's rule" not in f_small.reason  # 4,002 ended deals: the learned rate alone
    assert forecast(model, other).probability < 0.2


def test_the_reason_has_its_denominators_and_the_interval_narrows_with_data():
    group = feats()
    few = fit(counts_for([(group, 30, 18), (feats(reaction="declined"), 30, 3)]), NOW, 90)
    many = fit(counts_for([(group, 600, 360), (feats(reaction="declined"), 600, 60)]), NOW, 90)
    f_few, f_many = forecast(few, group), forecast(many, group)
    assert f_few.reason.startswith(
        f"{f_few.percent} %: of 30 ended deals whose last meeting ended *Agreed and booked*"
    )
    assert "18 were won (18 of the 30 weeks they stood so led to a win)." in f_few.reason
    # With 60 ended deals the learned rate still leans on the prior, and says how much.
    assert f_few.reason.endswith(
        "With 60 deals ended so far, today's rule for a *Building* deal (50 %) still counts for 62 % of it."
    )
    assert f_few.probability < f_many.probability < 0.6
    assert (f_few.deals, f_few.won) == (30, 18)
    assert f_few.low < f_few.probability < f_few.high
    assert f_many.high - f_many.low < f_few.high - f_few.low
    assert f_many.interval_text == f"{round(f_many.low * 100)}–{round(f_many.high * 100)} %"
    assert not f_few.fallback


def test_a_deal_that_lingers_weighs_by_the_weeks_it_stood_there_counted_as_one_deal():
    group = feats(reaction="hesitant", step="none", follow="none", grade="open_ended")
    counts = GroupCounts()
    for i in range(2000):  # 1,000 won after a week there, 1,000 lost after four weeks there
        won = i < 1000
        counts.add(dict.fromkeys(group.chain(), 1 if won else 4), won)
    model = fit(counts, NOW, 90)
    f = forecast(model, group)
    assert abs(f.probability - 0.2) < 0.03  # 1,000 of 5,000 weeks, not 1,000 of 2,000 deals
    assert "of 2000 ended deals" in f.reason
    assert "1000 were won (1000 of the 5000 weeks they stood so led to a win)" in f.reason
    # The interval counts 2,000 deals of evidence (80 %: about ±0.011), not 5,000 weeks (±0.007).
    assert f.high - f.low > 0.018


def test_little_history_falls_back_to_todays_rule_says_so_and_is_wide():
    strong = Features(
        "agreed_booked", "on_time", "kept", "scheduled_meeting", "under 14", 3, 2, 2, Level.STRONG
    )
    nothing = forecast(None, strong)
    assert nothing.fallback and abs(nothing.probability - 0.8) < 1e-9
    assert (
        "no deals have ended yet" in nothing.reason
        and "today's rule for a *Strong* deal (80 %)" in nothing.reason
    )
    assert nothing.high - nothing.low >= 0.3
    few = fit(counts_for([(feats(), 5, 1), (feats(reaction="declined"), MIN_ENDED - 6, 0)]), NOW, 90)
    some = forecast(few, strong)
    assert some.fallback and some.probability < 0.8  # moved by the endings so far (1 of 19 won)
    assert f"only {MIN_ENDED - 1} deals have ended (1 won)" in some.reason
    enough = fit(counts_for([(feats(), 5, 1), (feats(reaction="declined"), MIN_ENDED - 5, 0)]), NOW, 90)
    assert not forecast(enough, strong).fallback


def _meeting(
    mid: int, held: datetime, reaction: Reaction | None, logged: datetime | None = None
) -> MeetingRecord:
    return MeetingRecord(mid, held, logged or held, reaction, AskType.SCHEDULED_MEETING)


def test_the_meeting_that_closed_a_deal_is_never_a_feature_of_its_label():
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    signing = _meeting(2, monday - 3 * DAY, B)  # a Friday; the deal is marked won on Tuesday
    deal = DealTimeline(
        1,
        monday - 30 * DAY,
        DealStatus.WON,
        monday + DAY,
        meetings=(_meeting(1, monday - 20 * DAY, H), signing),
    )
    assert closing_meeting(deal) == 2
    keys = training_keys(deal, deal.closed_at, closed=True)
    assert "r=hesitant" in keys
    assert not any(k.startswith("r=agreed_booked") for k in keys)
    # As a live deal, the same meeting is what it stands on.
    assert features_at(deal, monday).reaction == "agreed_booked"


def test_a_deals_own_outcome_never_reaches_its_forecast():
    start = datetime(2026, 1, 5, tzinfo=UTC)
    history = [
        DealTimeline(
            i,
            start + i * DAY,
            DealStatus.WON if i % 3 else DealStatus.LOST,
            start + (i + 20) * DAY,
            meetings=(_meeting(100 + i, start + (i + 3) * DAY, B if i % 3 else H),),
        )
        for i in range(60)
    ]

    def subject(status: DealStatus) -> DealTimeline:
        return DealTimeline(
            999,
            start + 100 * DAY,
            status,
            start + 200 * DAY,
            meetings=(_meeting(9999, start + 101 * DAY, B),),
        )

    ends = week_ends(start + 120 * DAY, start + 190 * DAY)
    won = backtest([*history, subject(DealStatus.WON)], ends, NOW, 90)
    lost = backtest([*history, subject(DealStatus.LOST)], ends, NOW, 90)
    seen_won = [s.forecast for s in won.scored if s.deal_id == 999]
    seen_lost = [s.forecast for s in lost.scored if s.deal_id == 999]
    assert seen_won and seen_won == seen_lost
    assert {s.won for s in won.scored if s.deal_id == 999} == {True}
    # Nor does a fit as of a week's end count deals that had not ended by then.
    counts, labels = counts_at([*history, subject(DealStatus.WON)], start + 150 * DAY, 90)
    assert 999 not in labels and counts.ended == 60


def test_a_meeting_logged_after_a_weeks_end_is_invisible_to_that_week():
    monday = datetime(2026, 11, 9, tzinfo=UTC)
    deal = DealTimeline(
        1,
        monday - 20 * DAY,
        meetings=(
            _meeting(1, monday - 10 * DAY, H),
            _meeting(2, monday - 2 * DAY, B, logged=monday + 2 * DAY),
        ),
    )
    assert features_at(deal, monday).reaction == "hesitant"
    assert features_at(deal, monday + 3 * DAY).reaction == "agreed_booked"


def test_step_follow_through_and_quiet_as_they_stood():
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    m1 = _meeting(1, t0, B)
    kept = StepRecord(10, 1, t0, NextStepStatus.DONE, t0 + 8 * DAY, booked_at=t0, scheduled_at=t0 + 7 * DAY)
    deal = DealTimeline(1, t0 - DAY, meetings=(m1,), steps=(kept,))
    before = features_at(deal, t0 + 3 * DAY)
    assert (before.step, before.follow) == ("on_time", "none")
    late = features_at(deal, t0 + 7 * DAY + timedelta(hours=12))
    assert late.step == "overdue"
    after = features_at(deal, t0 + 20 * DAY)
    assert (after.step, after.follow, after.quiet) == ("none", "kept", "14–44")


def test_a_deal_nobody_closes_counts_as_lost_for_learning_after_the_stale_days():
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    quiet = DealTimeline(1, t0 - 10 * DAY, meetings=(_meeting(1, t0, U),))
    assert label_at(quiet, t0 + 89 * DAY, 90) is None
    assert label_at(quiet, t0 + 91 * DAY, 90) == (False, t0 + 90 * DAY)
    assert label_at(quiet, t0 + 31 * DAY, 30) == (False, t0 + 30 * DAY)  # the setting changes the 90
    booked_ahead = DealTimeline(
        2,
        t0 - 10 * DAY,
        meetings=(_meeting(2, t0, B),),
        steps=(StepRecord(20, 2, t0, NextStepStatus.BOOKED, t0, booked_at=t0, scheduled_at=t0 + 200 * DAY),),
    )
    assert label_at(booked_ahead, t0 + 120 * DAY, 90) is None
    # Its snapshots stop where it went quiet: it learns as lost from then.
    keys = training_keys(quiet, t0 + 90 * DAY, closed=False)
    assert any(k.startswith("r=agreed_unscheduled") for k in keys)


def test_time_spent_on_won_and_lost_deals_and_the_time_sink_threshold():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    deals = []
    for i in range(12):
        deals.append(
            DealTimeline(
                i,
                t0,
                DealStatus.WON,
                t0 + (20 + i) * DAY,
                meetings=tuple(_meeting(i * 10 + j, t0 + j * DAY, B) for j in range(3)),
            )
        )
        deals.append(
            DealTimeline(
                100 + i,
                t0,
                DealStatus.LOST,
                t0 + 60 * DAY,
                meetings=tuple(_meeting(1000 + i * 10 + j, t0 + j * DAY, H) for j in range(6)),
            )
        )
    spent = time_spent(deals)
    assert (spent.won, spent.lost) == (12, 12)
    assert spent.won_meetings == (3.0, 3.0) and spent.lost_meetings == (6.0, 6.0)
    assert spent.won_days[0] == 25.0 and spent.lost_days == (60.0, 60.0)
    assert "Won deals took 3 meetings over 25 days" in spent.text

    def sink(spent, meetings: int, days: int, booked_lately: bool = False):
        recent = tuple(
            MeetingFact(NOW - (3 - j) * DAY, B if booked_lately else H, AskType.OPEN_ENDED) for j in range(3)
        )
        facts = DealFacts(
            1,
            "Acme",
            1,
            "Acme",
            NOW - days * DAY,
            meetings_held=meetings,
            recent=recent,
            last_meeting_at=NOW - DAY,
            time_spent=spent,
        )
        return [f.why for f in flags(facts, NOW) if f.kind is FlagKind.TIME_SINK]

    [why] = sink(spent, 5, 40, booked_lately=True)  # past what 8 in 10 won deals took, booked or not
    assert why.startswith(
        "5 meetings over 40 days: 8 in 10 of the 12 deals won here took at most 3 meetings and"
    )
    assert "lost deals took 6 meetings over 60 days, at the median" in why
    assert sink(spent, 5, 20) == [] and sink(spent, 3, 40) == []
    # Too few deals ended (6 won, 6 lost): today's rule (4 meetings over 30 days, nothing booked lately).
    few = time_spent(deals[:12])
    assert not few.enough
    assert sink(few, 5, 40, booked_lately=True) == []
    assert sink(few, 4, 30)[0].startswith("4 meetings over 30 days, and none of the last 3")


def test_scores_brier_log_loss_and_calibration_deciles():
    pairs = [(0.9, True)] * 9 + [(0.9, False)] + [(0.1, False)] * 9 + [(0.1, True)]
    s = score("x", pairs)
    assert abs(s.brier - 0.09) < 1e-9
    assert s.calibration_error < 1e-9
    assert s.deciles[9][:1] == (10,) and abs(s.deciles[9][2] - 0.9) < 1e-9
    assert score("y", [(0.5, True), (0.5, False)]).log_loss == -math.log(0.5)
