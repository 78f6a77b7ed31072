"""The weekly leaderboard at scale: a 1,000-rep workspace's week inside 10k and 1M meetings of history.

    python benchmarks/leaderboard.py [--database-url postgresql://postgres@127.0.0.1:5432/test]

PostgreSQL only (the production store): a throwaway database is created on that server and
dropped at the end. One workspace, 1,000 reps in one board, 10 open deals each; the same
reported week (5 meetings a rep, 5,000 in all, and 1,000 booked next steps in the
follow-through window). First with 5,000 more meetings of history (10k in all), then with
995,000 more (1M), seeded with ``generate_series`` and VACUUM ANALYZEd (as autovacuum leaves
a table after a bulk insert). Times
``bot.services.leaderboard.compute_board`` for that week, with the 8-week chart history (median of
``--repeats`` after a warm-up), and prints ``EXPLAIN (ANALYZE)`` of the week's grouped query.
Goal: the 1M figure at most 2x the 10k figure, and under 1 s.

Prints a table and PASS/MISS lines; exits 0 whatever the figures, nonzero when it could not measure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.config import normalize_database_url  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.services.leaderboard import compute_board, default_scope, post_moment, reported_week, workspace_zone  # noqa: E402
from models import Account, Deal, Rep, Workspace, make_engine  # noqa: E402

TEAM = "TBENCH"
REPS = 1000
DEALS_PER_REP = 10
WEEK_MEETINGS_PER_REP = 5
# Monday 23 November 2026, 09:00 UTC: the post of the week 16–22 November.
POST_AT = datetime(2026, 11, 23, 9, tzinfo=UTC)


def seed_base(engine) -> tuple[int, int]:
    """Workspace, reps, accounts and deals; the week's meetings and booked steps. (first deal id, deals)."""
    created = POST_AT - timedelta(days=4 * 365)
    with engine.begin() as conn:
        conn.execute(
            insert(Workspace), [{"team_id": TEAM, "name": "Bench", "timezone": "UTC", "created_at": created}]
        )
        conn.execute(
            insert(Rep),
            [
                {
                    "team_id": TEAM,
                    "user_id": f"U{n:05d}",
                    "display_name": f"Rep {n:04d}",
                    "timezone": "UTC",
                    "created_at": created,
                    "streak": n % 7,
                }
                for n in range(REPS)
            ],
        )
        rep_ids = [r for (r,) in conn.execute(select(Rep.id).where(Rep.team_id == TEAM).order_by(Rep.id))]
        deals = REPS * DEALS_PER_REP
        conn.execute(
            insert(Account),
            [
                {"team_id": TEAM, "name": f"Co {i}", "name_key": f"co {i}", "created_at": created}
                for i in range(deals)
            ],
        )
        account_ids = [
            a for (a,) in conn.execute(select(Account.id).where(Account.team_id == TEAM).order_by(Account.id))
        ]
        conn.execute(
            insert(Deal),
            [
                {
                    "team_id": TEAM,
                    "account_id": account_ids[i],
                    "owner_rep_id": rep_ids[i // DEALS_PER_REP],
                    "name": f"Deal {i}",
                    "status": "open",
                    "created_at": created,
                }
                for i in range(deals)
            ],
        )
        first_deal = conn.execute(
            select(Deal.id).where(Deal.team_id == TEAM).order_by(Deal.id).limit(1)
        ).scalar_one()
    week_start = POST_AT - timedelta(days=7, hours=9)
    add_meetings(engine, first_deal, deals, REPS * WEEK_MEETINGS_PER_REP, week_start, in_week=True)
    with engine.begin() as conn:
        # A booked next step per rep in the follow-through window (the 7 days ending 2 days before the post).
        conn.execute(
            text(
                """
                INSERT INTO next_steps (team_id, deal_id, rep_id, description, scheduled_at, status, booked_at,
                                        status_changed_at, created_at)
                SELECT :team, d.id, d.owner_rep_id, 'Review', :start + (g % 160) * interval '1 hour', 'booked',
                       :start - interval '3 days', :start - interval '3 days', :start - interval '3 days'
                FROM generate_series(0, :n - 1) g
                JOIN deals d ON d.id = :first + (g * :per) % :deals
                """
            ),
            {
                "team": TEAM,
                "start": POST_AT - timedelta(days=9),
                "n": REPS,
                "first": first_deal,
                "per": DEALS_PER_REP,
                "deals": deals,
            },
        )
    return first_deal, deals


def add_meetings(engine, first_deal: int, deals: int, count: int, anchor: datetime, *, in_week: bool) -> None:
    """``count`` meetings spread over the deals: in the week after ``anchor``, or in the 3 years before it."""
    spread = (
        "(g * 37 % (7 * 24 * 60 - 1)) * interval '1 minute'"
        if in_week
        else "-(1 + g * 7919 % (3 * 365 * 24)) * interval '1 hour'"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""
                INSERT INTO meetings (team_id, deal_id, rep_id, held_at, ask_text, ask_type, graded_ask_type,
                                      reaction, logged_at, logged_via, version)
                SELECT :team, d.id, d.owner_rep_id, :anchor + {spread}, '',
                       CASE WHEN g % 3 = 0 THEN 'open_ended' ELSE 'scheduled_meeting' END,
                       CASE WHEN g % 3 = 0 THEN 'open_ended' ELSE 'scheduled_meeting' END,
                       CASE WHEN g % 2 = 0 THEN 'agreed_booked' ELSE 'hesitant' END,
                       :anchor + {spread} + interval '1 hour', 'modal', 1
                FROM generate_series(0::bigint, :n - 1) g
                JOIN deals d ON d.id = :first + (g * 7 + g / :deals) % :deals
                """
            ),
            {"team": TEAM, "anchor": anchor, "n": count, "first": first_deal, "deals": deals},
        )
    # The state autovacuum leaves after a bulk insert (PostgreSQL 13+ vacuums on inserts too):
    # statistics, and the visibility map that lets the week's scans stay index-only.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE meetings"))
        conn.execute(text("ANALYZE"))


def measure(engine, repeats: int) -> tuple[float, object]:
    timings = []
    board = None
    for n in range(repeats + 1):
        with Session(engine) as session:
            workspace = session.get(Workspace, TEAM)
            assert workspace is not None
            week = reported_week(POST_AT, workspace_zone(workspace))
            started = time.perf_counter()
            board = compute_board(
                session,
                workspace,
                default_scope(workspace),
                week,
                as_of=post_moment(workspace, week),
                with_history=True,
            )
            elapsed = time.perf_counter() - started
        if n:  # the first run warms the caches
            timings.append(elapsed)
    return statistics.median(timings), board


def explain(engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """
                EXPLAIN (ANALYZE, BUFFERS)
                SELECT rep_id, count(*), sum(CASE WHEN reaction = 'agreed_booked' THEN 1 ELSE 0 END)
                FROM meetings
                WHERE team_id = :team AND rep_id = ANY(ARRAY(SELECT id FROM reps WHERE team_id = :team))
                  AND held_at >= :start AND held_at < :end AND withdrawn_at IS NULL
                GROUP BY rep_id
                """
            ),
            {
                "team": TEAM,
                "start": POST_AT - timedelta(days=7, hours=9),
                "end": POST_AT - timedelta(hours=9),
            },
        )
        return "\n".join(r[0] for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    server = normalize_database_url(args.database_url)
    if not server.startswith("postgresql"):
        print("PostgreSQL only: pass --database-url postgresql://…", file=sys.stderr)
        return 2
    name = f"nextstep_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = None
    try:
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        first_deal, deals = seed_base(engine)
        week_start = POST_AT - timedelta(days=7, hours=9)
        add_meetings(
            engine, first_deal, deals, 10_000 - REPS * WEEK_MEETINGS_PER_REP, week_start, in_week=False
        )
        print(f"seeded 10k meetings in {time.perf_counter() - started:.1f} s")
        small, board = measure(engine, args.repeats)
        started = time.perf_counter()
        add_meetings(engine, first_deal, deals, 990_000, week_start, in_week=False)
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM meetings")).scalar_one()
        print(f"seeded to {total:,} meetings in {time.perf_counter() - started:.1f} s")
        large, board_large = measure(engine, args.repeats)
        assert board is not None and board_large is not None

        # The week's counts are the same. Follow-through, the gaps and the chart's earlier weeks
        # see the added history: steps booked for the days before the week are kept by meetings
        # the history adds there.
        def counts(b: object) -> tuple:
            t = b.totals  # type: ignore[attr-defined]
            return (t.meetings, t.asked, t.booked)

        same = counts(board) == counts(board_large)
        print()
        print(f"{'history':>10} | {'week computed in (median of ' + str(args.repeats) + ')':>34}")
        print(f"{'10k':>10} | {small * 1000:>31.1f} ms")
        print(f"{'1M':>10} | {large * 1000:>31.1f} ms")
        print(
            f"week: {board.totals.meetings} meetings, {len(board.ranked)} reps ranked, same counts both times: {same}"
        )  # type: ignore[attr-defined]
        print()
        print(explain(engine))
        print()
        ratio = large / small
        print(f"{'PASS' if ratio <= 2 else 'MISS'}: 1M / 10k = {ratio:.2f} (goal <= 2)")
        print(f"{'PASS' if large < 1 else 'MISS'}: 1M figure {large * 1000:.0f} ms (goal < 1000 ms)")
        return 0 if same else 1
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
