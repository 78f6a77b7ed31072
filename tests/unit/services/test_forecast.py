"""The forecast from the store: workspaces never mix, the daily fit is claimed once, each open deal's
weekly probability is kept, and the open deals' forecasts as part 2 reads them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.forecast import DealTimeline, MeetingRecord, StepRecord
from bot.domain.pipeline import FlagKind
from bot.domain.vocabulary import AskType, DealStatus, NextStepStatus, Reaction
from bot.services.forecast import (
    claim_fit,
    fit_due,
    fit_workspace,
    latest_fit,
    load_timelines,
    open_deal_forecasts,
    weekly_history,
)
from bot.services.pipeline import load_pipeline
from models import DealForecast, ForecastFit, Workspace, make_engine, make_session_factory
from tests.seeds import forecast as store
from tests.seeds import pipeline as seed

DAY = timedelta(days=1)
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def history(first: int, count: int, *, won: bool, reaction: Reaction, start: datetime) -> list[DealTimeline]:
    """``count`` deals that each had two meetings with ``reaction``, then ended (won or not)."""
    out = []
    for i in range(count):
        created = start + i * DAY
        meetings = tuple(
            MeetingRecord(
                first * 100 + i * 2 + j,
                created + (3 + 7 * j) * DAY,
                created + (3 + 7 * j) * DAY,
                reaction,
                AskType.SCHEDULED_MEETING,
            )
            for j in range(2)
        )
        out.append(
            DealTimeline(
                first + i, created, DealStatus.WON if won else DealStatus.LOST, created + 30 * DAY, meetings
            )
        )
    return out


def open_deal(deal_id: int, reaction: Reaction, at: datetime) -> DealTimeline:
    m = MeetingRecord(deal_id * 100, at - 3 * DAY, at - 3 * DAY, reaction, AskType.SCHEDULED_MEETING)
    steps = ()
    if reaction is Reaction.BOOKED:
        steps = (
            StepRecord(
                deal_id, m.id, m.logged_at, NextStepStatus.BOOKED, m.logged_at, m.logged_at, at + 5 * DAY
            ),
        )
    return DealTimeline(deal_id, at - 20 * DAY, meetings=(m,), steps=steps)


def populate(
    session: Session, team_id: str, timelines: list[DealTimeline], user: str = "U1"
) -> dict[int, int]:
    rep = seed.rep(session, team_id, user, NOW)
    ids = store.store_timelines(session.connection(), team_id, rep.id, timelines, prefix=team_id)
    session.commit()
    return ids


def test_the_store_reads_back_as_the_timelines_written(session):
    written = history(1, 3, won=True, reaction=Reaction.BOOKED, start=NOW - 100 * DAY) + [
        open_deal(50, Reaction.BOOKED, NOW)
    ]
    ids = populate(session, "T1", written)
    read = {t.deal_id: t for t in load_timelines(session, "T1")}
    for t in written:
        got = read[ids[t.deal_id]]
        assert (got.created_at, got.status, got.closed_at) == (t.created_at, t.status, t.closed_at)
        assert [(m.held_at, m.reaction) for m in got.meetings] == [
            (m.held_at, m.reaction) for m in t.meetings
        ]
        assert [(s.status, s.scheduled_at) for s in got.steps] == [
            (s.status, s.scheduled_at) for s in t.steps
        ]


def test_workspaces_never_mix(session):
    start = NOW - 200 * DAY
    populate(
        session,
        "T1",
        history(1, 30, won=True, reaction=Reaction.BOOKED, start=start)
        + [open_deal(900, Reaction.BOOKED, NOW)],
    )
    populate(
        session,
        "T2",
        history(1000, 30, won=False, reaction=Reaction.BOOKED, start=start)
        + [open_deal(901, Reaction.BOOKED, NOW)],
    )
    one = fit_workspace(session, "T1", NOW)
    two = fit_workspace(session, "T2", NOW)
    assert (one.fit.ended, one.fit.won) == (30, 30)
    assert (two.fit.ended, two.fit.won) == (30, 0)
    t1 = open_deal_forecasts(session, "T1", NOW)
    t2 = open_deal_forecasts(session, "T2", NOW)
    assert len(t1) == len(t2) == 1 and not set(t1) & set(t2)
    [f1], [f2] = t1.values(), t2.values()
    assert f1.probability > 0.8 and f2.probability < 0.2
    assert "of 30 ended deals whose last meeting ended *Agreed and booked*" in f1.reason
    assert "30 were won" in f1.reason and "0 were won" in f2.reason
    assert latest_fit(session, "T1").fit.won == 30 and latest_fit(session, "T2").fit.won == 0


def test_before_any_fit_and_with_few_endings_the_forecast_says_it_is_todays_rule(session):
    ids = populate(session, "T1", [open_deal(1, Reaction.BOOKED, NOW), open_deal(2, Reaction.DECLINED, NOW)])
    found = open_deal_forecasts(session, "T1", NOW)
    booked, declined = found[ids[1]], found[ids[2]]
    assert booked.fallback and declined.fallback
    assert "no deals have ended yet" in booked.reason and "today's rule" in booked.reason
    assert booked.probability > declined.probability
    assert booked.high - booked.low >= 0.3


def test_filters_by_deal_and_owner(session):
    ids = populate(session, "T1", [open_deal(1, Reaction.BOOKED, NOW)], user="U1")
    other = populate(session, "T1", [open_deal(2, Reaction.HESITANT, NOW)], user="U2")
    assert set(open_deal_forecasts(session, "T1", NOW, deal_ids=[ids[1]])) == {ids[1]}
    owner = session.scalar(select(seed.Rep.id).where(seed.Rep.user_id == "U2"))
    assert set(open_deal_forecasts(session, "T1", NOW, owner_rep_ids=[owner])) == {other[2]}


def test_each_open_deals_weekly_probability_is_kept(session):
    start = NOW - 300 * DAY
    ids = populate(
        session,
        "T1",
        history(1, 15, won=True, reaction=Reaction.BOOKED, start=start)
        + history(100, 15, won=False, reaction=Reaction.HESITANT, start=start)
        + [open_deal(900, Reaction.BOOKED, NOW - 14 * DAY)],
    )
    deal = ids[900]
    fit_workspace(session, "T1", NOW - 14 * DAY)
    fit_workspace(session, "T1", NOW - 7 * DAY)
    fit_workspace(session, "T1", NOW - 7 * DAY + 2 * DAY)  # the same week again: the latest stands
    fit_workspace(session, "T1", NOW)
    weeks = weekly_history(session, "T1", deal)
    assert [w.week_start.isoformat() for w in weeks] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert all(0 < w.low <= w.probability <= w.high < 1 for w in weeks)
    assert weeks[-1].reason.startswith(f"{round(weeks[-1].probability * 100)} %")
    assert weekly_history(session, "T2", deal) == []  # another workspace's request sees nothing


def test_the_daily_fit_is_claimed_once_with_two_clocks(engine, session):
    populate(session, "T1", history(1, 25, won=True, reaction=Reaction.BOOKED, start=NOW - 100 * DAY))
    ws = session.get(Workspace, "T1")
    ws.timezone = "America/New_York"
    session.commit()
    results: list[int] = []
    barrier = threading.Barrier(2)

    def clock() -> None:
        own = make_engine(str(engine.url.render_as_string(hide_password=False)))
        try:
            barrier.wait()
            results.append(fit_due(make_session_factory(own), NOW))
        finally:
            own.dispose()

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [0, 1]
    rows = session.scalars(select(ForecastFit)).all()
    assert len(rows) == 1 and rows[0].local_day.isoformat() == "2026-11-24" and rows[0].fitted_at == NOW
    # Later that local day: nothing; the next local day (05:00 UTC is midnight in New York): once more.
    factory = make_session_factory(engine)
    assert fit_due(factory, NOW + timedelta(hours=6)) == 0
    assert fit_due(factory, datetime(2026, 11, 25, 5, 1, tzinfo=UTC)) == 1
    assert session.scalar(select(func.count()).select_from(ForecastFit)) == 2


def test_a_claim_a_dead_clock_left_is_taken_over_after_an_hour(engine, session):
    populate(session, "T1", [open_deal(1, Reaction.BOOKED, NOW)])
    day = NOW.date()
    assert claim_fit(session, "T1", day, NOW) is not None  # ... and the clock died before fitting
    factory = make_session_factory(engine)
    assert fit_due(factory, NOW + timedelta(minutes=30)) == 0
    assert fit_due(factory, NOW + timedelta(minutes=61)) == 1
    row = session.scalar(select(ForecastFit))
    session.refresh(row)
    assert row.fitted_at == NOW + timedelta(minutes=61)
    assert session.scalar(select(func.count()).select_from(DealForecast)) == 1


def test_the_time_sink_flag_uses_the_look_back_once_enough_deals_ended(session):
    start = NOW - 300 * DAY
    busy = DealTimeline(
        900,
        NOW - 60 * DAY,
        meetings=tuple(
            MeetingRecord(
                90000 + j,
                NOW - (50 - 10 * j) * DAY,
                NOW - (50 - 10 * j) * DAY,
                Reaction.BOOKED,
                AskType.SCHEDULED_MEETING,
            )
            for j in range(5)
        ),
    )
    ids = populate(
        session,
        "T1",
        history(1, 12, won=True, reaction=Reaction.BOOKED, start=start)
        + history(100, 12, won=False, reaction=Reaction.HESITANT, start=start)
        + [busy],
    )
    rep = session.scalar(select(seed.Rep).where(seed.Rep.team_id == "T1"))

    def sink() -> list[str]:
        [deal] = [d for d in load_pipeline(session, "T1", rep, NOW).deals if d.facts.deal_id == ids[900]]
        return [f.why for f in deal.flags if f.kind is FlagKind.TIME_SINK]

    assert sink() == []  # before any fit, today's rule: its last meetings all ended booked
    fit_workspace(session, "T1", NOW)
    [why] = sink()
    assert why.startswith(
        "5 meetings over 60 days: 8 in 10 of the 12 deals won here took at most 2 meetings and 30 days"
    )
