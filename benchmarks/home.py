"""App Home and export at size, on PostgreSQL.

    python benchmarks/home.py            # DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test

Builds and publishes (to the Slack sandbox) the App Home of a rep with 500 open deals and 20k
meetings beside a rep with 5 deals; then the peak Python memory (tracemalloc) of exporting
100k meetings beside 1k, streamed to a temporary CSV file. A throwaway database is created
on the server and dropped afterwards.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.config import normalize_database_url  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.services.export import write_csv  # noqa: E402
from bot.services.pipeline import load_pipeline  # noqa: E402
from bot.services.reps import zone  # noqa: E402
from bot.slack.blocks.app_home import home_view  # noqa: E402
from bot.slackfake.fake import FakeSlack  # noqa: E402
from models import make_engine  # noqa: E402
from tests.seeds import pipeline as seed  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def _home(engine, fake: FakeSlack, rep_id: int, user_id: str, runs: int = 5) -> tuple[float, float, int]:
    client = WebClient(base_url=fake.api_url, token="xoxb-TB")
    builds, publishes = [], []
    blocks = 0
    for _ in range(runs):
        started = time.perf_counter()
        with Session(engine) as session:
            rep = session.get(seed.Rep, rep_id)
            view = home_view(load_pipeline(session, "TB", rep, NOW), NOW, zone("UTC"))
        built = time.perf_counter()
        client.views_publish(user_id=user_id, view=view)
        builds.append(built - started)
        publishes.append(time.perf_counter() - built)
        blocks = len(view["blocks"])
    return statistics.median(builds) * 1000, statistics.median(publishes) * 1000, blocks


def _home_under_clients(
    engine, fake: FakeSlack, user_id: str, clients: int = 8, each: int = 10
) -> list[float]:
    """``clients`` threads at once, each rebuilding and publishing this rep's Home ``each`` times,
    as app_home_opened does (handlers.events.app_home.publish_home): seconds from start to the
    fake answering views.publish. In this process (no HTTP in front), so Bolt's own cost is not in it."""
    from bot.config import Config
    from bot.slack.tokens import TokenSource
    from handlers.deps import Deps
    from handlers.events.app_home import publish_home
    from models import make_session_factory

    deps = Deps(
        config=Config(signing_secret="s", database_url=str(engine.url)),
        session_factory=make_session_factory(engine),
        clock=lambda: NOW,
        tokens=TokenSource("xoxb-TB", None),
    )
    client = WebClient(base_url=fake.api_url, token="xoxb-TB")
    times: list[float] = []
    lock = threading.Lock()

    def one_client() -> None:
        for _ in range(each):
            started = time.perf_counter()
            publish_home(client, deps, team_id="TB", user_id=user_id)
            with lock:
                times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(times)


def _p95(ordered: list[float]) -> float:
    return ordered[max(1, math.ceil(0.95 * len(ordered))) - 1]


def _export_peak(engine, rep_id: int) -> tuple[int, int, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as out, Session(engine) as session:
        tracemalloc.start()
        count = write_csv(session, out, team_id="TB", rep_ids=[rep_id], start=None, end=None, tz=zone("UTC"))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.flush()
        return count, peak, os.path.getsize(out.name)


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
            big = seed.rep(session, "TB", "UBIG", NOW, "Big pipeline")
            small = seed.rep(session, "TB", "USMALL", NOW, "Small pipeline")
            exporter = seed.rep(session, "TB", "UEXP", NOW, "100k exporter")
            little = seed.rep(session, "TB", "ULITTLE", NOW, "1k exporter")
            seed.bulk_pipeline(session.connection(), big, 500, 20_000, NOW, prefix="Big")
            seed.bulk_pipeline(session.connection(), small, 5, 20, NOW, prefix="Small")
            seed.bulk_pipeline(session.connection(), exporter, 200, 100_000, NOW, prefix="Exp")
            seed.bulk_pipeline(session.connection(), little, 20, 1_000, NOW, prefix="Little")
            session.commit()
            ids = big.id, small.id, exporter.id, little.id
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.1f}s on {engine.dialect.name}")
        with FakeSlack() as fake:
            fake.add_workspace(team_id="TB", name="Bench", bot_token="xoxb-TB", bot_user_id="UBOT")
            for user in ("UBIG", "USMALL"):
                fake.add_user("TB", user, user.lower())
            for label, rep_id, user in (
                ("500 deals, 20k meetings", ids[0], "UBIG"),
                ("5 deals, 20 meetings", ids[1], "USMALL"),
            ):
                build, publish, blocks = _home(engine, fake, rep_id, user)
                print(
                    f"App Home {label:<24} build {build:7.1f} ms  publish {publish:6.1f} ms  ({blocks} blocks), median of 5"
                )
            for label, user, goal in (("500 deals", "UBIG", 300), ("5 deals", "USMALL", 100)):
                ordered = _home_under_clients(engine, fake, user)
                p95 = _p95(ordered) * 1000
                verdict = "PASS" if p95 < goal else "MISS"
                print(
                    f"App Home {label:<10} 8 clients x 10: p50 {ordered[len(ordered) // 2] * 1000:6.0f} ms"
                    f"  p95 {p95:6.0f} ms  {verdict} (goal < {goal} ms)"
                )
        results = []
        for label, rep_id in (("100k meetings", ids[2]), ("1k meetings", ids[3])):
            count, peak, size = _export_peak(engine, rep_id)
            results.append(peak)
            print(
                f"export {label:<14} {count:>7} rows  {size / 1e6:6.1f} MB file  peak Python memory {peak / 1e6:6.2f} MB"
            )
        print(f"export peak ratio 100k / 1k: {results[0] / results[1]:.2f}x (bar: at most 1.5x)")
        engine.dispose()
        return 0
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
