"""The forecast's honest figures (issue 17, point 6): accuracy on synthetic histories, small-data
behaviour, and speed on PostgreSQL beside a plain read of the same rows.

    python benchmarks/forecast.py                       # everything; PostgreSQL at $DATABASE_URL
    python benchmarks/forecast.py --skip-speed          # accuracy only (no database)
    python benchmarks/forecast.py --closed 20000 --open 2000   # a smaller speed run

The history (tests/seeds/synthetic_history.py) is seeded: each deal has a hidden quality the model
never sees, the market drifts over the two years, reactions follow how the deal is going, and some
deals are never closed by anyone. Figures:

1. ~2,000 closed deals: a 52-week backtest (fit at each week's end on what was known, forecast
   the deals open then, score against how they ended): the learned forecast's Brier score and
   calibration error (deal-weighted mean |forecast − observed| over deciles) beside the overall
   win rate and the fixed momentum weights. Goals: calibration error ≤ 0.05, Brier below both.
2. 20 closed deals, 200 seeds: fit when the 20th deal ended, forecast the deals open then;
   how often its Brier matches or beats the overall rate's, and how often its 80 % interval holds
   the chance a fit on 20,000 deals of the same process gives (the reference).
3. PostgreSQL, 100,000 closed deals and 10,000 open: forecasting the open deals
   (``open_deal_forecasts``), the daily fit (``fit_workspace``) and a 52-week backtest
   (``run_backtest``), each beside one plain query reading the same rows. Goals: forecasting
   under 1 s, the backtest under 60 s.

Exits 0 whatever the figures; misses are printed as MISSED.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.config import normalize_database_url  # noqa: E402
from bot.domain.forecast import (  # noqa: E402
    backtest,
    counts_at,
    features_at,
    fit,
    fit_at,
    forecast,
    label_at,
    week_ends,
)
from bot.domain.vocabulary import DealStatus  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.services.forecast import fit_workspace, open_deal_forecasts, run_backtest  # noqa: E402
from models import Deal, Meeting, NextStep, make_engine, make_session_factory  # noqa: E402
from tests.seeds import pipeline as seed  # noqa: E402
from tests.seeds.forecast import store_timelines  # noqa: E402
from tests.seeds.synthetic_history import as_of, synthetic  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
STALE = 90


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def accuracy(closed_target: int) -> None:
    # Deals created over 700 days up to 120 days ago; about 78 % have closed by now.
    n = int(closed_target / 0.78)
    history = as_of(synthetic(1, n, start=NOW - timedelta(days=820), span_days=700), NOW)
    closed = sum(1 for t in history if t.status is not DealStatus.OPEN)
    started = time.perf_counter()
    result = backtest(history, week_ends(NOW - timedelta(weeks=52), NOW), NOW, STALE)
    took = time.perf_counter() - started
    m, o, w = result.model, result.overall, result.momentum
    print(
        f"1. {len(history):,} deals, {closed:,} closed; 52-week backtest: {len(result.scored):,} weekly "
        f"forecasts ({took:.1f} s)"
    )
    print(f"   {'':26}{'Brier':>8}{'log loss':>10}{'calibration error':>19}")
    for s in (m, o, w):
        print(f"   {s.name:26}{s.brier:>8.4f}{s.log_loss:>10.4f}{s.calibration_error:>19.4f}")
    print(
        f"   goal calibration error <= 0.05: {verdict(m.calibration_error <= 0.05)}; "
        f"Brier below both baselines: {verdict(m.brier < o.brier and m.brier < w.brier)}"
    )


def small_data(seeds: int) -> None:
    reference_history = as_of(synthetic(10_000, 20_000, start=NOW - timedelta(days=820), span_days=700), NOW)
    reference = fit_at(reference_history, NOW, STALE)
    beats = covered = intervals = fallbacks = 0
    briers_model: list[float] = []
    briers_overall: list[float] = []
    for s in range(seeds):
        history = as_of(synthetic(500 + s, 300, start=NOW - timedelta(days=820), span_days=700), NOW)
        ends = sorted(t.closed_at for t in history if t.closed_at is not None)
        # The moment the 20th deal ended for learning (closed, or went quiet for STALE days).
        at = ends[min(len(ends) - 1, 19)]
        while True:
            counts, labels = counts_at(history, at, STALE)
            if counts.ended >= 20:
                break
            at += timedelta(days=1)
        model = fit(counts, at, STALE)
        pairs_model: list[tuple[float, bool]] = []
        pairs_overall: list[tuple[float, bool]] = []
        for t in history:
            if not t.open_at(at) or t.deal_id in labels:
                continue
            outcome = label_at(t, NOW, STALE)
            if outcome is None:
                continue
            f = features_at(t, at)
            mine = forecast(model, f)
            fallbacks += mine.fallback
            pairs_model.append((mine.probability, outcome[0]))
            pairs_overall.append((model.overall, outcome[0]))
            truth = forecast(reference, f).probability
            intervals += 1
            covered += mine.low <= truth <= mine.high
        if not pairs_model:
            continue
        bm = sum((p - y) ** 2 for p, y in pairs_model) / len(pairs_model)
        bo = sum((p - y) ** 2 for p, y in pairs_overall) / len(pairs_overall)
        briers_model.append(bm)
        briers_overall.append(bo)
        beats += bm <= bo + 1e-12
    runs = len(briers_model)
    print(
        f"2. 20 ended deals, {runs} seeds: matches or beats the overall rate's Brier in {beats} "
        f"({100 * beats / runs:.0f} %); median Brier {statistics.median(briers_model):.4f} vs "
        f"{statistics.median(briers_overall):.4f}; 80 % intervals hold the 20,000-deal fit's chance in "
        f"{100 * covered / intervals:.0f} % of {intervals:,} forecasts ({fallbacks:,} said they were a fallback)"
    )


def _database(server: str) -> tuple[str, str]:
    name = f"nextstep_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _plain_read(engine, open_only: bool) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """The same rows in one plain query: deals with their meetings and steps, no model."""
    started = time.perf_counter()
    with Session(engine) as session:
        where = Deal.team_id == "TB"
        if open_only:
            where = where & (Deal.status == DealStatus.OPEN)
        rows = session.execute(
            select(
                Deal.id,
                Deal.created_at,
                Deal.status,
                Deal.closed_at,
                Meeting.id,
                Meeting.held_at,
                Meeting.logged_at,
                Meeting.reaction,
                Meeting.graded_ask_type,
                NextStep.id,
                NextStep.status,
                NextStep.booked_at,
                NextStep.scheduled_at,
                NextStep.status_changed_at,
            )
            .outerjoin(Meeting, (Meeting.deal_id == Deal.id) & Meeting.withdrawn_at.is_(None))
            .outerjoin(NextStep, NextStep.meeting_id == Meeting.id)
            .where(where)
        ).all()
    return time.perf_counter() - started, len(rows)


def speed(server: str, closed: int, open_deals: int, runs: int) -> None:
    name, url = _database(server)
    try:
        upgrade(url)
        engine = make_engine(url)
        # Created over 700 days up to 120 days ago (most have ended by now); the open deals are
        # trimmed to ``open_deals`` or topped up with deals created in the last weeks.
        history = as_of(synthetic(2, int(closed / 0.78), start=NOW - timedelta(days=820), span_days=700), NOW)
        ended = [t for t in history if t.status is not DealStatus.OPEN][:closed]
        still = [t for t in history if t.status is DealStatus.OPEN][-open_deals:]  # the most recent
        if len(still) < open_deals:
            recent = synthetic(
                3, open_deals * 3, start=NOW - timedelta(days=45), span_days=45, first_id=10**7
            )
            still += [t for t in as_of(recent, NOW) if t.status is DealStatus.OPEN][: open_deals - len(still)]
        history = ended + still
        n_closed = sum(1 for t in history if t.status is not DealStatus.OPEN)
        n_open = len(history) - n_closed
        meetings = sum(len(t.meetings) for t in history)
        started = time.perf_counter()
        with Session(engine) as session:
            rep = seed.rep(session, "TB", "UB", NOW)
            store_timelines(session.connection(), "TB", rep.id, history)
            session.commit()
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        print(
            f"3. PostgreSQL: {n_closed:,} closed and {n_open:,} open deals, {meetings:,} meetings "
            f"(stored in {time.perf_counter() - started:.0f} s)"
        )
        factory = make_session_factory(engine)
        with factory() as session:
            fitted_at = time.perf_counter()
            fit_workspace(session, "TB", NOW)
            fit_took = time.perf_counter() - fitted_at
        forecasts: list[float] = []
        plain_open: list[float] = []
        for _ in range(runs):  # interleaved with its baseline
            with factory() as session:
                started = time.perf_counter()
                found = open_deal_forecasts(session, "TB", NOW)
                forecasts.append(time.perf_counter() - started)
            took, rows_open = _plain_read(engine, open_only=True)
            plain_open.append(took)
        f_med, p_med = statistics.median(forecasts), statistics.median(plain_open)
        print(
            f"   forecast {len(found):,} open deals: median {f_med:.2f} s of {runs} (plain read of their "
            f"{rows_open:,} rows: {p_med:.2f} s); goal under 1 s: {verdict(f_med < 1)}"
        )
        read_all, rows_all = _plain_read(engine, open_only=False)
        started = time.perf_counter()
        run = run_backtest(factory, "TB", NOW, 52)
        bt = time.perf_counter() - started
        read_all_after, _ = _plain_read(engine, open_only=False)
        print(
            f"   52-week backtest: {bt:.1f} s for {len(run.result.scored):,} weekly forecasts, including "
            f"today's fit (plain read of all {rows_all:,} rows: {min(read_all, read_all_after):.2f} s); "
            f"goal under 60 s: {verdict(bt < 60)}"
        )
        print(
            f"   daily fit (fit_workspace: read, fit, keep {n_open:,} weekly probabilities): {fit_took:.1f} s"
        )
        engine.dispose()
    finally:
        _drop(server, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    accuracy(2000)
    small_data(args.seeds)
    if not args.skip_speed:
        server = normalize_database_url(
            os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
        )
        speed(server, args.closed, args.open, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
