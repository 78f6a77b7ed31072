"""The weekly leaderboard at scale: a 1,000-rep workspace's week inside 10k and 1M meetings of history.

    python benchmarks/leaderboard.py [--database-url postgresql://postgres@127.0.0.1:5432/test] [--repeats 15]

PostgreSQL only (the production store). Two throwaway databases are created on that server and
dropped at the end: one with 10k meetings, one with 1M. Each has one workspace, 1,000 reps in one
board, 10 open deals each, and the same reported week (5 meetings a rep, 5,000 in all, and 1,000
booked next steps in the follow-through window); the rest is history over the 3 years before the
week (5,000 meetings in the small database, 995,000 in the large one). Seeded with
``generate_series``, history first, then the week, each in the order the meetings were held, as a
live table fills (a meeting is logged soon after it is held), so a week's rows sit together on disk.
``--scattered`` writes the history in no order of time instead (a bulk import in random order): the
worst case for a table without a visibility map, where the chart's 8 weeks touch every heap page.
A table that got that way by living (updates, VACUUM reusing free space) has been vacuumed, and
its visibility map covers most of it; scattered and never vacuumed only comes from such an import.

Realistic conditions, as a table is right after a bulk load: no VACUUM. The databases are then
ANALYZEd, as autoanalyze does within a minute of a load of that size (without statistics the
planner guesses, which no production table lives with for long), but nothing sets the visibility
map, so an index-only scan fetches every row it reads from the heap. That is also the steady state
of the rows the board reads in production: autovacuum's insert threshold (20 % of the table) lets
the recent weeks' pages stay not-all-visible for a long time. Autovacuum is switched off on the two
databases' tables for the run, so it cannot set the map halfway through; the script prints the
share of the meetings table's pages marked all-visible (0 %).

Times ``bot.services.leaderboard.compute_board`` for that week, with the 8-week chart history,
alternating between the two databases (10k, 1M, 10k, 1M, ...) after a warm-up of each, and reports
the median of ``--repeats`` for each, their ratio, the load average before and after, and
``EXPLAIN (ANALYZE, BUFFERS)`` of each statement the board ran on the meetings table in the 1M
database (the week's pass first).
Goals: the 1M figure under 1 s, and at most 2x the 10k figure.

Prints a table and PASS/MISS lines; exits 0 whatever the figures, nonzero when it could not
measure (or the two databases disagree on the week's counts).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.config import normalize_database_url  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.services.leaderboard import (  # noqa: E402
    Board,
    compute_board,
    default_scope,
    post_moment,
    reported_week,
    workspace_zone,
)
from models import Account, Deal, Rep, Workspace, make_engine  # noqa: E402

TEAM = "TBENCH"
REPS = 1000
DEALS_PER_REP = 10
WEEK_MEETINGS_PER_REP = 5
WEEK_MEETINGS = REPS * WEEK_MEETINGS_PER_REP
SIZES = {"10k": 10_000, "1M": 1_000_000}
# Monday 23 November 2026, 09:00 UTC: the post of the week 16–22 November.
POST_AT = datetime(2026, 11, 23, 9, tzinfo=UTC)
WEEK_START = POST_AT - timedelta(days=7, hours=9)
# Tables autovacuum must leave alone during the run (the seeded ones).
SEEDED = ("workspaces", "reps", "accounts", "deals", "meetings", "next_steps")


def seed(engine: Engine, total: int, *, scattered: bool = False) -> None:
    """Workspace, reps, accounts and deals; ``total`` meetings (history, then the week); booked steps."""
    with engine.begin() as conn:
        for table in SEEDED:
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
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
    add_meetings(
        engine, first_deal, deals, total - WEEK_MEETINGS, WEEK_START, in_week=False, scattered=scattered
    )
    add_meetings(engine, first_deal, deals, WEEK_MEETINGS, WEEK_START, in_week=True, scattered=scattered)
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
    # Statistics, as autoanalyze leaves a freshly loaded table; no VACUUM, so no visibility map.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def add_meetings(
    engine: Engine,
    first_deal: int,
    deals: int,
    count: int,
    anchor: datetime,
    *,
    in_week: bool,
    scattered: bool,
) -> None:
    """``count`` meetings spread over the deals: in the week after ``anchor``, or in the 3 years before it.

    Inserted in the order they were held (as a live table fills), unless ``scattered``.
    """
    if count <= 0:
        return
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
                {"" if scattered else "ORDER BY 4"}
                """
            ),
            {"team": TEAM, "anchor": anchor, "n": count, "first": first_deal, "deals": deals},
        )


def visibility(engine: Engine) -> str:
    with engine.connect() as conn:
        total, pages, visible = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM meetings), relpages, relallvisible FROM pg_class "
                "WHERE relname = 'meetings'"
            )
        ).one()
    return f"{total:,} meetings, {pages:,} heap pages, {visible / max(pages, 1):.0%} all-visible"


def run_once(engine: Engine) -> tuple[float, Board]:
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
        return time.perf_counter() - started, board


def explain(engine: Engine) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the board runs on the meetings table."""
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "FROM meetings" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run_once(engine)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    out = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            out.append(" ".join(statement.split())[:160] + " …")
            # An IN list of a thousand ids prints as one long line: shortened.
            out += [row[0] if len(row[0]) < 240 else row[0][:236] + " …" for row in cursor.fetchall()]
            out.append("")
    finally:
        raw.close()
    return "\n".join(out)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} CPUs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--scattered",
        action="store_true",
        help="history rows in no order of time on disk (a bulk import in random order): the worst case",
    )
    args = parser.parse_args()
    server = normalize_database_url(args.database_url)
    if not server.startswith("postgresql"):
        print("PostgreSQL only: pass --database-url postgresql://…", file=sys.stderr)
        return 2
    stem = f"nextstep_bench_{uuid.uuid4().hex[:8]}"
    names = {size: f"{stem}_{size.lower()}" for size in SIZES}
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    engines: dict[str, Engine] = {}
    try:
        for size, total in SIZES.items():
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{names[size]}"'))
            url = make_url(server).set(database=names[size]).render_as_string(hide_password=False)
            upgrade(url)
            engines[size] = make_engine(url)
            started = time.perf_counter()
            seed(engines[size], total, scattered=args.scattered)
            layout = "scattered" if args.scattered else "in the order held"
            print(
                f"{size}: seeded ({layout}) in {time.perf_counter() - started:.1f} s: {visibility(engines[size])}"
            )

        timings: dict[str, list[float]] = {size: [] for size in SIZES}
        boards: dict[str, Board] = {}
        print(f"before: {load()}")
        for n in range(args.repeats + 1):
            for size, engine in engines.items():
                elapsed, boards[size] = run_once(engine)
                if n:  # the first round warms the caches (and sets the hint bits of the rows it reads)
                    timings[size].append(elapsed)
        print(f"after:  {load()}")
        small, large = (statistics.median(timings[size]) for size in SIZES)

        def counts(b: Board) -> tuple[int, int, int, int]:
            return (b.totals.meetings, b.totals.asked, b.totals.booked, len(b.ranked))

        same = counts(boards["10k"]) == counts(boards["1M"])
        print()
        print(
            f"{'history':>10} | {'board computed in (median of ' + str(args.repeats) + ')':>35} | all runs (ms)"
        )
        for size in SIZES:
            runs = ", ".join(f"{t * 1000:.0f}" for t in timings[size])
            print(f"{size:>10} | {statistics.median(timings[size]) * 1000:>32.1f} ms | {runs}")
        board = boards["1M"]
        print(
            f"week: {board.totals.meetings} meetings, {len(board.ranked)} reps ranked, "
            f"same counts in both databases: {same}"
        )
        for size, engine in engines.items():
            print(f"{size}: {visibility(engine)}")
        print()
        print("1M database, the board's statements on meetings:")
        print(explain(engines["1M"]))
        print()
        ratio = large / small
        print(f"{'PASS' if large < 1 else 'MISS'}: 1M board {large * 1000:.0f} ms (goal < 1000 ms)")
        print(f"{'PASS' if ratio <= 2 else 'MISS'}: 1M / 10k = {ratio:.2f} (goal <= 2)")
        return 0 if same else 1
    finally:
        for engine in engines.values():
            engine.dispose()
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
