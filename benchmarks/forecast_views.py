"""What showing the forecast costs, on PostgreSQL (issue 18).

    python benchmarks/forecast_views.py      # DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test

A workspace with 2,000 ended deals (fitted once, as the clock does), a rep with 500 open deals and
20k meetings, and a team of 10 reps with 50 open deals each. Measured, interleaved, median of 7:

- the App Home build with each deal's learned chance (and overrides) beside the same build
  without them (the baseline: today's Home before the forecast, every chance left out);
- `/nextsteps forecast` for the 10-rep team (500 deals);
- the digest's forecast change for that team.

A throwaway database is created on the server and dropped afterwards.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import bot.services.pipeline as pipeline_service  # noqa: E402
from bot.config import normalize_database_url  # noqa: E402
from bot.domain.vocabulary import Reaction  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.services.forecast import fit_workspace  # noqa: E402
from bot.services.outlook import forecast_change, forecast_scope, team_forecast  # noqa: E402
from bot.services.pipeline import load_pipeline  # noqa: E402
from bot.slack.blocks.app_home import home_view  # noqa: E402
from bot.slack.blocks.forecast import forecast_message  # noqa: E402
from models import SalesTeam, make_engine  # noqa: E402
from tests.seeds import forecast as store  # noqa: E402
from tests.seeds import pipeline as seed  # noqa: E402
from tests.unit.services.test_forecast import history  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
RUNS = 7


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.1f} ms"


def main() -> int:
    server = normalize_database_url(
        os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )
    name = f"nextstep_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with Session(engine) as session:
            old = seed.rep(session, "TB", "UOLD", NOW, "Ended deals")
            start = NOW - 700 * timedelta(days=1)
            store.store_timelines(
                session.connection(),
                "TB",
                old.id,
                history(1, 1000, won=True, reaction=Reaction.BOOKED, start=start)
                + history(10_000, 1000, won=False, reaction=Reaction.HESITANT, start=start),
            )
            big = seed.rep(session, "TB", "UBIG", NOW, "Big pipeline")
            seed.bulk_pipeline(session.connection(), big, 500, 20_000, NOW, prefix="Big")
            team = SalesTeam(team_id="TB", name="Ten", manager_user_id="UMGR", created_at=NOW)
            session.add(team)
            session.flush()
            for i in range(10):
                rep = seed.rep(session, "TB", f"UR{i}", NOW, f"Rep {i}", sales_team_id=team.id)
                seed.bulk_pipeline(session.connection(), rep, 50, 400, NOW, prefix=f"R{i}")
            session.commit()
            big_id = big.id
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        with Session(engine) as session:
            fit_workspace(session, "TB", NOW - timedelta(days=7))
            fit_started = time.perf_counter()
            fit_workspace(session, "TB", NOW)
            fitted = time.perf_counter() - fit_started
        print(f"seeded in {time.perf_counter() - started:.1f}s; daily fit (the clock's) {fitted:.1f}s")

        real = pipeline_service.chances
        with_chances: list[float] = []
        without: list[float] = []
        command: list[float] = []
        digest: list[float] = []
        for _ in range(RUNS):
            for label, samples in (("without", without), ("with", with_chances)):
                pipeline_service.chances = real if label == "with" else (lambda *a, **k: {})  # type: ignore[assignment]
                t = time.perf_counter()
                with Session(engine) as session:
                    home_view(load_pipeline(session, "TB", session.get(seed.Rep, big_id), NOW), NOW, UTC)
                samples.append(time.perf_counter() - t)
            pipeline_service.chances = real
            t = time.perf_counter()
            with Session(engine) as session:
                scope = forecast_scope(session, "TB", "UMGR", False)
                assert scope is not None
                forecast_message(team_forecast(session, "TB", scope, NOW), NOW, by_rep=True)
            command.append(time.perf_counter() - t)
            t = time.perf_counter()
            with Session(engine) as session:
                forecast_change(session, "TB", scope.rep_ids, NOW)
            digest.append(time.perf_counter() - t)
        print(f"App Home, 500 deals, 20k meetings, without chances (baseline) {_ms(without)}")
        print(f"App Home, 500 deals, 20k meetings, with learned chances       {_ms(with_chances)}")
        print(f"/nextsteps forecast, 10 reps x 50 deals                      {_ms(command)}")
        print(f"digest forecast change, 10 reps x 50 deals                   {_ms(digest)}")
        print(f"(median of {RUNS}, interleaved)")
        engine.dispose()
        return 0
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
