"""The clock's sweep at scale: what finding the due nudges costs, and how close delivery gets to Slack's limits.

    python benchmarks/sweep.py [--database-url postgresql://postgres@127.0.0.1:5432/test]

PostgreSQL only (the production store): throwaway databases are created on that server and
dropped at the end. Two parts (``--only selection`` or ``--only delivery`` runs one):

(a) Selection vs history. One workspace, the same 500 reps each owed one "not scheduled yet"
    nudge, inside a history of 10k and of 1M next steps (mostly done or cancelled, no check
    time; the open ones checked days ahead), seeded with ``generate_series``. Times
    ``bot.clock.sweep.plan_and_claim`` as of the same instant (median of ``--repeats``, the two
    databases alternating, state reset between runs), the candidate query alone, and prints
    ``EXPLAIN (ANALYZE, BUFFERS)`` of both. Then the same after adding the nudge history
    those steps would have left (one sent nudge for two in five done or cancelled steps).
    Goal: the 1M figure at most 2x the 10k figure.
(b) Delivery under Slack's limits. 10,000 nudges, 20 workspaces x 500 reps, one DM each,
    claimed (seeded as ``plan_and_claim`` leaves them), then ``deliver`` in this process (a worker per workspace) against the
    fake in its own process enforcing 1 message/s per channel and a per-workspace cap, the
    app's ``Limits`` set to the same cap. The floor the limits set is the largest workspace's
    messages / cap. First it measures what the fake (and then app + database + fake, unpaced)
    can serve at all; the cap stays at Slack's 10/s (``--cap`` sets another), and when 20 x cap
    does not fit in what the machine serves it says so and prints the app's own time per nudge.
    Goal: total delivery time at most 1.25x the floor.

Prints tables and a PASS/MISS line per goal; exits 0 whatever the figures, nonzero when it
could not measure (a database not created, a nudge not claimed, the fake dying).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import Engine, create_engine, event, make_url, text  # noqa: E402

from bot.clock.deliver import deliver  # noqa: E402
from bot.clock.report import SweepReport  # noqa: E402
from bot.clock.sweep import plan_and_claim  # noqa: E402
from bot.config import normalize_database_url  # noqa: E402
from bot.domain.vocabulary import NudgeKind  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.services.reps import SlackProfile  # noqa: E402
from bot.slack.blocks.nudge_dm import NudgeItem, nudge_message  # noqa: E402
from bot.slack.outbox import Limits, SlackOutbox  # noqa: E402
from bot.slack.tokens import TokenSource  # noqa: E402
from models import make_engine, make_session_factory  # noqa: E402
from tests.seeds.bulk import (  # noqa: E402
    SWEEP_AT,
    add_claimed_nudges,
    add_reps_with_due_unscheduled_steps,
    add_workspaces,
    user_id_of,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORKER = "bench-sweep"
SELECTION_GOAL = 2.0
# (a): a run slower than this needs no warm-up run before it; stop repeating one figure after this much.
SLOW_RUN = 5.0
TIME_PER_FIGURE = 20.0
DELIVERY_GOAL = 1.25
# The cap when the machine can serve it; Slack's own is "about one message per second per
# channel" with a workspace-wide ceiling of the same order as this.
PREFERRED_CAP = 10
# Paced traffic may use this share of what the fake (and app + database + fake) can serve.
HEADROOM = 0.75


class BenchmarkFailed(Exception):
    """The benchmark could not measure what it claims to (not a slow figure: a wrong one)."""


# ---------------------------------------------------------------------- throwaway databases


class Databases:
    def __init__(self, server_url: str):
        self.server = normalize_database_url(server_url)
        if not self.server.startswith("postgresql"):
            raise BenchmarkFailed("--database-url must name a PostgreSQL server")
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"nextstep_bench_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        url = make_url(self.server).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        return url

    def drop_all(self) -> None:
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def vacuum_analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


# ---------------------------------------------------------------------- statement profile


def statement_key(sql: str) -> str:
    """``SELECT nudges WHERE nudges.team_id = ? AND nudges.subject_key IN (…)``: one line per query shape."""
    s = " ".join(sql.split())
    verb = s.split(" ", 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", s)
    where = re.search(r"\bWHERE (.*?)(?: ORDER BY| LIMIT| FOR UPDATE| RETURNING|$)", s)
    clause = re.sub(r"%\(\w+\)s", "?", where.group(1)) if where else ""
    clause = re.sub(r"\((?:\?, )*\?\)", "(…)", clause)
    return f"{verb} {table.group(1) if table else '?'}" + (f" WHERE {clause[:90]}" if clause else "")


class StatementClock:
    """Wall time spent in the database driver, by query shape (and the first of some, kept for EXPLAIN)."""

    def __init__(self, engine: Engine, keep: dict[str, Callable[[str], bool]] | None = None):
        self.active = False
        self.totals: dict[str, float] = defaultdict(float)
        self.counts: Counter[str] = Counter()
        # Not statements: a transaction's end (the DBAPI's commit/rollback, no cursor) and the
        # pool's pre-ping (the dialect's own ping, no cursor event); counted apart.
        self.commits = 0
        self.rollbacks = 0
        self.kept: dict[str, tuple[str, Any]] = {}
        self._keep = keep or {}
        self._lock = threading.Lock()
        self._local = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _commit(self, conn: Any) -> None:
        if self.active:
            with self._lock:
                self.commits += 1

    def _rollback(self, conn: Any) -> None:
        if self.active:
            with self._lock:
                self.rollbacks += 1

    def _before(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        self._local.started = time.perf_counter()
        for name, wanted in self._keep.items():
            if name not in self.kept and wanted(statement):
                self.kept[name] = (statement, parameters)

    def _after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not self.active:
            return
        spent = time.perf_counter() - self._local.started
        key = statement_key(statement)
        with self._lock:
            self.totals[key] += spent
            self.counts[key] += 1

    def reset(self) -> None:
        with self._lock:
            self.totals.clear()
            self.counts.clear()
            self.commits = self.rollbacks = 0

    @property
    def total(self) -> float:
        return sum(self.totals.values())


def is_candidate_query(sql: str) -> bool:
    return "FROM next_steps" in sql and "nudge_check_at <=" in sql and "LIMIT" in sql


def is_history_query(sql: str) -> bool:
    return "FROM nudges" in sql and "subject_key IN" in sql


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        conn.rollback()
    return [row[0] for row in rows]


# ---------------------------------------------------------------------- (a) selection vs history

TEAM = "T1"

DEALS_SQL = """
INSERT INTO deals (id, team_id, account_id, owner_rep_id, name, status, closed_at,
                   last_meeting_at, stall_check_at, created_at)
SELECT :first + g, :team, (CAST(:accounts AS integer[]))[1 + g % :reps_n],
       (CAST(:reps AS integer[]))[1 + g % :reps_n], 'Deal ' || g,
       CASE WHEN g % 10 = 0 THEN 'open' WHEN g % 2 = 0 THEN 'won' ELSE 'lost' END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE :now - (g % 700) * interval '1 day' END,
       :now - (g % 700 + 1) * interval '1 day',
       -- open deals were looked at recently: the next stall check is days to weeks ahead
       CASE WHEN g % 10 = 0 THEN :now + (1 + g % 30) * interval '1 day' END,
       :now - (g % 700 + 30) * interval '1 day'
FROM generate_series(1, :count) AS g
"""

# 85% done or cancelled (no check time); 10% booked ahead and 5% unscheduled, checked days ahead.
STEPS_SQL = """
INSERT INTO next_steps (id, team_id, deal_id, rep_id, description, scheduled_at, status, booked_at,
                        status_changed_at, nudge_check_at, created_at)
SELECT :first + g, :team, :first_deal + 1 + g % :deals,
       (CAST(:reps AS integer[]))[1 + (1 + g % :deals) % :reps_n], 'Follow-up call',
       CASE WHEN g % 100 < 85 THEN :now - (g % 700) * interval '1 day'
            WHEN g % 100 < 95 THEN :now + (1 + g % 60) * interval '1 day' END,
       CASE WHEN g % 100 < 85 THEN (CASE WHEN g % 2 = 0 THEN 'done' ELSE 'cancelled' END)
            WHEN g % 100 < 95 THEN 'booked' ELSE 'unscheduled' END,
       CASE WHEN g % 100 < 95 THEN :now - (g % 700 + 7) * interval '1 day' END,
       :now - (CASE WHEN g % 100 < 85 THEN g % 700 ELSE 1 END) * interval '1 day',
       CASE WHEN g % 100 < 85 THEN NULL
            WHEN g % 100 < 95 THEN :now + (g % 60) * interval '1 day' + interval '9 hours'
            ELSE :now + (1 + g % 5) * interval '1 day' END,
       :now - (g % 700 + 7) * interval '1 day'
FROM generate_series(1, :count) AS g
"""

# The nudges a history leaves: one sent (and answered) for two in five done or cancelled steps.
NUDGES_SQL = """
INSERT INTO nudges (team_id, kind, rep_id, next_step_id, deal_id, subject_key, window_key, due_at,
                    claimed_at, claimed_by, sent_at, attempts, channel_id, message_ts, answer, answered_at)
SELECT s.team_id, 'unscheduled', s.rep_id, s.id, s.deal_id, 'step:' || s.id,
       floor(extract(epoch FROM s.status_changed_at))::bigint || '\\:1',
       s.status_changed_at - interval '2 days', s.status_changed_at - interval '2 days', 'history',
       s.status_changed_at - interval '2 days', 1, 'D' || s.rep_id, s.id || '.000100', 'logged',
       s.status_changed_at
FROM next_steps s
WHERE s.status IN ('done', 'cancelled') AND s.id % 5 < 2
"""


@dataclass
class History:
    label: str
    total: int
    url: str
    engine: Engine
    due_ids: list[int]
    clock: StatementClock
    seconds_to_seed: float = 0.0
    plan_times: list[float] = field(default_factory=list)
    query_times: list[float] = field(default_factory=list)


def seed_history(databases: Databases, label: str, total: int, due: int) -> History:
    started = time.perf_counter()
    url = databases.create(label)
    engine = make_engine(url)
    with engine.begin() as conn:
        add_workspaces(conn, [TEAM])
        reps = add_reps_with_due_unscheduled_steps(conn, TEAM, due)
        rep_ids = [r.rep_id for r in reps]
        account_of = dict(conn.execute(text("SELECT created_by_rep_id, id FROM accounts")).all())
        first_deal = conn.scalar(text("SELECT max(id) FROM deals"))
        first_step = conn.scalar(text("SELECT max(id) FROM next_steps"))
        history = total - due
        deals = max(1, history // 4)
        common = {"team": TEAM, "now": SWEEP_AT, "reps": rep_ids, "reps_n": len(rep_ids)}
        conn.execute(
            text(DEALS_SQL),
            common | {"first": first_deal, "count": deals, "accounts": [account_of[r] for r in rep_ids]},
        )
        conn.execute(
            text(STEPS_SQL),
            common | {"first": first_step, "first_deal": first_deal, "deals": deals, "count": history},
        )
        for table in ("deals", "next_steps"):
            conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    vacuum_analyze(engine)
    clock = StatementClock(engine, keep={"candidates": is_candidate_query, "history": is_history_query})
    return History(label, total, url, engine, [r.step_id for r in reps], clock, time.perf_counter() - started)


def add_nudge_history(history: History) -> int:
    started = time.perf_counter()
    with history.engine.begin() as conn:
        added = conn.execute(text(NUDGES_SQL)).rowcount
    vacuum_analyze(history.engine)
    history.seconds_to_seed += time.perf_counter() - started
    history.clock.kept.pop("history", None)
    return int(added or 0)


def reset_claims(history: History) -> None:
    """Back to the seeded state: no claim of this benchmark's, the due steps due again."""
    with history.engine.begin() as conn:
        conn.execute(text("DELETE FROM nudges WHERE claimed_by = :w"), {"w": WORKER})
        conn.execute(
            text("UPDATE next_steps SET nudge_check_at = status_changed_at WHERE id = ANY(:ids)"),
            {"ids": history.due_ids},
        )


def time_plan_and_claim(history: History, *, profile: bool = False) -> float:
    reset_claims(history)
    report = SweepReport()
    history.clock.active = profile
    started = time.perf_counter()
    plan_and_claim(make_session_factory(history.engine), now=SWEEP_AT, worker=WORKER, report=report)
    spent = time.perf_counter() - started
    history.clock.active = False
    if report.claimed != len(history.due_ids):
        raise BenchmarkFailed(
            f"{history.label}: plan_and_claim claimed {report.claimed}, expected {len(history.due_ids)}"
        )
    return spent


def time_candidate_query(history: History, repeats: int = 20) -> list[float]:
    reset_claims(history)
    statement, parameters = history.clock.kept["candidates"]
    times = []
    with history.engine.connect() as conn:
        for _ in range(repeats):
            started = time.perf_counter()
            rows = conn.exec_driver_sql(statement, parameters).all()
            times.append(time.perf_counter() - started)
        conn.rollback()
    if len(rows) != len(history.due_ids):
        raise BenchmarkFailed(f"{history.label}: the candidate query found {len(rows)} rows")
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def measure_selection(histories: list[History], repeats: int, title: str) -> None:
    for h in histories:
        # The first run warms caches and prepared plans, and is the one profiled; a slow one
        # counts as a sample (warming is lost in it) and spares the time of another.
        h.clock.reset()
        first = time_plan_and_claim(h, profile=True)
        h.plan_times = [first] if first > SLOW_RUN else []
    for _ in range(repeats):
        for h in histories:  # alternate, so drift in the machine hits both
            if len(h.plan_times) < repeats and sum(h.plan_times) < TIME_PER_FIGURE:
                h.plan_times.append(time_plan_and_claim(h))
    for h in histories:
        h.query_times = time_candidate_query(h)

    small, big = histories[0], histories[-1]
    print(f"\n{title}")
    print(
        f"{'history (next steps)':<24}{'nudges':>10}{'plan_and_claim median':>24}{'(min-max)':>22}"
        f"{'runs':>6}{'candidate query median':>25}"
    )
    for h in histories:
        with h.engine.connect() as conn:
            nudges = conn.scalar(text("SELECT count(*) FROM nudges WHERE claimed_by <> :w"), {"w": WORKER})
        spread = f"({min(h.plan_times):.2f} - {max(h.plan_times):.2f} s)"
        print(
            f"{h.total:<24,}{nudges:>10,}{statistics.median(h.plan_times):>22.2f} s{spread:>22}"
            f"{len(h.plan_times):>6}{ms(statistics.median(h.query_times)):>25}"
        )
    ratio = statistics.median(big.plan_times) / statistics.median(small.plan_times)
    query_ratio = statistics.median(big.query_times) / statistics.median(small.query_times)
    verdict = "PASS" if ratio <= SELECTION_GOAL else "MISS"
    print(
        f"ratio {big.total:,} / {small.total:,}: plan_and_claim {ratio:.2f}x, candidate query "
        f"{query_ratio:.2f}x  (goal <= {SELECTION_GOAL:.0f}x: {verdict}); "
        f"{len(small.due_ids)} claimed per run"
    )
    print("where plan_and_claim's time goes (one profiled run; database driver time by query shape):")
    keys = sorted(set(small.clock.totals) | set(big.clock.totals), key=lambda k: -big.clock.totals.get(k, 0))
    print(f"  {'query':<100}{'calls':>7}{small.total:>12,}{big.total:>12,}")
    for key in keys[:8]:
        print(
            f"  {key[:100]:<100}{big.clock.counts.get(key, 0):>7}"
            f"{ms(small.clock.totals.get(key, 0)):>12}{ms(big.clock.totals.get(key, 0)):>12}"
        )
    print(f"  {'all statements':<100}{'':>7}{ms(small.clock.total):>12}{ms(big.clock.total):>12}")


def print_explains(histories: list[History], name: str) -> None:
    for h in histories:
        if name not in h.clock.kept:
            continue
        if name == "candidates":
            reset_claims(h)
        statement, parameters = h.clock.kept[name]
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the {name} query, history of {h.total:,} next steps:")
        print("  " + " ".join(statement.split())[:300])
        for line in explain(h.engine, statement, parameters):
            print("    " + line)


# An experiment, not the schema: what an index serving ``_history``'s lookup would change.
HISTORY_INDEX = "CREATE INDEX bench_nudges_team_subject ON nudges (team_id, subject_key)"


def run_selection(
    databases: Databases, sizes: list[int], due: int, repeats: int, nudge_history: bool, try_index: bool
) -> None:
    print(f"== (a) due-nudge selection vs history size: {due} due, as of {SWEEP_AT.isoformat()} ==")
    histories = []
    for total in sizes:
        h = seed_history(databases, f"h{total}", total, due)
        print(f"seeded {total:,} next steps in {h.seconds_to_seed:.1f} s")
        histories.append(h)
    try:
        measure_selection(histories, repeats, "(a1) next steps only")
        print_explains(histories, "candidates")
        if nudge_history:
            for h in histories:
                added = add_nudge_history(h)
                print(f"added {added:,} sent nudges to the {h.total:,} history")
            measure_selection(histories, repeats, "(a2) with the nudge history those steps left")
            print_explains(histories, "history")
        if nudge_history and try_index:
            for h in histories:
                with h.engine.begin() as conn:
                    conn.execute(text(HISTORY_INDEX))
                vacuum_analyze(h.engine)
                h.clock.kept.pop("history", None)
            measure_selection(
                histories, repeats, f"(a3) as (a2), with an index this run adds: {HISTORY_INDEX}"
            )
            print_explains(histories, "history")
    finally:
        for h in histories:
            h.engine.dispose()


# ---------------------------------------------------------------------- (b) delivery under limits


def token_of(team_id: str) -> str:
    return f"xoxb-{team_id}"


def team_ids(count: int) -> list[str]:
    return [f"T{n:02d}" for n in range(1, count + 1)]


class TeamTokens(TokenSource):
    """One bot token per workspace, as the installation store gives them in OAuth mode."""

    def __init__(self) -> None:
        super().__init__(None, None)

    def bot_token(self, team_id: str) -> str | None:
        return token_of(team_id)


def _fake_stats(fake: Any, started_rate_limited: int, teams: list[str]) -> dict[str, Any]:
    calls = fake.calls_to("chat.postMessage")
    ok = [c for c in calls if c.status == 200 and c.response is not None and c.response.get("ok")]
    recipients = Counter((c.token, c.params.get("channel")) for c in ok)
    arrivals: dict[str, list[float]] = defaultdict(list)
    for c in ok:
        arrivals[c.token or ""].append(c.at)
    busiest_second = 0
    for times in arrivals.values():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            busiest_second = max(busiest_second, end - start + 1)
    # A refused DM goes again after Retry-After: how soon after it does the workspace's next one arrive?
    refused = Counter(c.token or "" for c in calls if c.status == 429)
    refused_before: set[tuple[str | None, Any]] = set()
    accepted = {id(c) for c in ok}
    last_retry: dict[str, float] = {}
    gaps_after_retry: list[float] = []
    for c in sorted(calls, key=lambda c: c.at):
        key = (c.token, c.params.get("channel"))
        if c.status == 429:
            refused_before.add(key)
        elif id(c) in accepted:
            team = c.token or ""
            if team in last_retry:
                gaps_after_retry.append(c.at - last_retry.pop(team))
            if key in refused_before:
                last_retry[team] = c.at
    return {
        "refused_by_workspace": {t: refused.get(token_of(t), 0) for t in teams},
        "gaps_after_retry": sorted(gaps_after_retry),
        "accepted": len(ok),
        "refused_429": sum(1 for c in calls if c.status == 429),
        "other_failures": len(calls) - len(ok) - sum(1 for c in calls if c.status == 429),
        "recipients": len(recipients),
        "max_per_recipient": max(recipients.values(), default=0),
        "busiest_second": busiest_second,
        "rate_limited_count": fake.rate_limited_count - started_rate_limited,
        "internal_errors": len(fake.internal_errors),
        "cpu_seconds": time.process_time(),
    }


def fake_process(pipe: Pipe, teams: list[str], reps_per_team: int) -> None:
    """The sandbox fake in its own process (its own GIL), driven over a pipe."""
    from bot.slackfake.fake import FakeSlack

    fake = FakeSlack().start()
    for team in teams:
        fake.add_workspace(team, f"Workspace {team}", bot_token=token_of(team))
        for n in range(reps_per_team):
            fake.add_user(team, user_id_of(team, n), f"rep{n}", tz="UTC")
    pipe.send(fake.api_url)
    baseline = 0
    while True:
        command, *args = pipe.recv()
        if command == "limits":
            fake.enforce_rate_limits(*args)
            pipe.send("ok")
        elif command == "no_limits":
            fake.stop_enforcing_rate_limits()
            pipe.send("ok")
        elif command == "reset":
            fake.clear_calls()
            baseline = fake.rate_limited_count
            pipe.send("ok")
        elif command == "stats":
            pipe.send(_fake_stats(fake, baseline, teams))
        else:
            fake.stop()
            pipe.send("stopped")
            return


class FakeInProcess:
    def __init__(self, teams: list[str], reps_per_team: int):
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self.process = context.Process(target=fake_process, args=(child, teams, reps_per_team), daemon=True)
        self.process.start()
        if not self._pipe.poll(120):
            raise BenchmarkFailed("the fake did not start")
        self.api_url: str = self._pipe.recv()

    def ask(self, *command: Any) -> Any:
        self._pipe.send(command)
        if not self._pipe.poll(60):
            raise BenchmarkFailed(f"the fake did not answer {command[0]}")
        return self._pipe.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            with suppress(BenchmarkFailed, OSError):
                self.ask("stop")
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()


class TimedOutbox:
    """The real SlackOutbox, with the time each worker spends inside post_dm (pacing, HTTP, 429 retries)."""

    def __init__(self, inner: SlackOutbox):
        self._inner = inner
        self._lock = threading.Lock()
        self.post_seconds = 0.0
        self.finished: dict[str, float] = {}  # perf_counter of each workspace's last DM

    def post_dm(self, team_id: str, user_id: str, text: str, blocks: list[dict[str, Any]]) -> tuple[str, str]:
        started = time.perf_counter()
        try:
            return self._inner.post_dm(team_id, user_id, text, blocks)
        finally:
            now = time.perf_counter()
            with self._lock:
                self.post_seconds += now - started
                self.finished[team_id] = now

    def profile(self, team_id: str, user_id: str) -> SlackProfile:
        return self._inner.profile(team_id, user_id)

    def update(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._inner.update(team_id, channel, ts, text, blocks)


def sample_dm() -> tuple[str, list[dict[str, Any]]]:
    item = NudgeItem(
        nudge_id=1,
        kind=NudgeKind.UNSCHEDULED,
        account_name="Account UT01X00001",
        deal_name="Platform rollout",
        description="Security review with their IT lead",
    )
    return nudge_message([item], ZoneInfo("UTC"))


def fake_raw_throughput(fake: FakeInProcess, teams: list[str], per_team: int) -> float:
    """chat.postMessage/s the fake answers to one slack_sdk client thread per workspace, unpaced."""
    body, blocks = sample_dm()

    def post(team: str) -> None:
        client = WebClient(base_url=fake.api_url, token=token_of(team))
        for n in range(per_team):
            client.chat_postMessage(channel=user_id_of(team, n), text=body, blocks=blocks)

    fake.ask("reset")
    started = time.perf_counter()
    with ThreadPoolExecutor(len(teams)) as pool:
        list(pool.map(post, teams))
    spent = time.perf_counter() - started
    stats = fake.ask("stats")
    if stats["accepted"] != len(teams) * per_team:
        raise BenchmarkFailed(f"the fake accepted {stats['accepted']} of {len(teams) * per_team} raw posts")
    return len(teams) * per_team / spent


@dataclass
class DeliveryRun:
    started: float
    delivered_seconds: float
    report: SweepReport
    outbox: TimedOutbox
    db_seconds: float
    cpu_seconds: float
    fake: dict[str, Any]
    sent_rows: int
    statements: int = 0
    by_shape: Counter[str] = field(default_factory=Counter)
    commits: int = 0


def seed_delivery(databases: Databases, label: str, teams: list[str], reps_per_team: int) -> str:
    """Reps with their first nudge claimed, as plan_and_claim leaves them ((a) times that part)."""
    url = databases.create(label)
    engine = make_engine(url)
    with engine.begin() as conn:
        add_workspaces(conn, teams)
        for team in teams:
            add_claimed_nudges(conn, add_reps_with_due_unscheduled_steps(conn, team, reps_per_team))
    vacuum_analyze(engine)
    engine.dispose()
    return url


def run_delivery(url: str, fake: FakeInProcess, limits: Limits, workers: int) -> DeliveryRun:
    engine = make_engine(url)
    clock = StatementClock(engine)
    factory = make_session_factory(engine)
    outbox = TimedOutbox(SlackOutbox(fake.api_url, TeamTokens(), limits))
    fake.ask("reset")
    try:
        report = SweepReport()
        clock.active = True
        cpu = time.process_time()
        started = time.perf_counter()
        deliver(factory, outbox, now=SWEEP_AT, report=report, max_workers=workers)
        delivered = time.perf_counter() - started
        cpu = time.process_time() - cpu
        clock.active = False
        with engine.connect() as conn:
            sent = conn.scalar(text("SELECT count(*) FROM nudges WHERE sent_at IS NOT NULL"))
    finally:
        engine.dispose()
    return DeliveryRun(
        started,
        delivered,
        report,
        outbox,
        clock.total,
        cpu,
        fake.ask("stats"),
        int(sent or 0),
        sum(clock.counts.values()),
        Counter(clock.counts),
        clock.commits,
    )


def run_delivery_benchmark(
    databases: Databases,
    workspaces: int,
    reps_per_team: int,
    cap: int | None,
    workers: int,
    app_factor: float,
) -> None:
    teams = team_ids(workspaces)
    messages = workspaces * reps_per_team
    print(
        f"\n== (b) delivering {messages:,} nudges, {workspaces} workspaces x {reps_per_team} reps, "
        f"one DM each, under Slack's limits =="
    )
    fake = FakeInProcess(teams, reps_per_team)
    try:
        raw = fake_raw_throughput(fake, teams, min(reps_per_team, 100))
        print(
            f"the fake alone (own process; {workspaces} slack_sdk client threads, unpaced): {raw:,.0f} msgs/s"
        )
        probe = seed_delivery(databases, "probe", teams, min(reps_per_team, 100))
        unpaced = run_delivery(probe, fake, Limits(per_workspace_per_second=1000.0), workers)
        capacity = unpaced.fake["accepted"] / unpaced.delivered_seconds
        print(
            f"app + PostgreSQL + fake, unpaced ({unpaced.fake['accepted']:,} DMs, {workers} workers): "
            f"{capacity:,.0f} msgs/s, app process CPU {unpaced.cpu_seconds / unpaced.delivered_seconds:.0%} of a core"
        )
        ceiling = HEADROOM * min(raw, capacity)
        if cap is None:
            # Slack's real cap, never lowered to fit the machine: where the machine cannot serve
            # it, the ratio to the floor says so, and the app's own time per nudge (below) is the
            # figure to judge.
            cap = PREFERRED_CAP
            if workspaces * cap > ceiling:
                print(
                    f"cap {cap}/s per workspace: {workspaces} x {cap}/s = {workspaces * cap}/s is more than "
                    f"{HEADROOM:.0%} of what this machine serves ({min(raw, capacity):,.0f}/s): the floor "
                    "below is out of this machine's reach; judge by the app's time per nudge"
                )
            else:
                print(
                    f"cap {cap}/s per workspace: {workspaces} x {cap}/s = {workspaces * cap}/s is within "
                    f"{HEADROOM:.0%} of what this machine serves ({min(raw, capacity):,.0f}/s)"
                )
        else:
            print(f"cap {cap}/s per workspace (given); {workspaces} x {cap}/s = {workspaces * cap}/s")

        url = seed_delivery(databases, "delivery", teams, reps_per_team)
        fake.ask("limits", 1.0, float(cap))
        app_rate = cap * app_factor
        if app_factor != 1.0:
            print(
                f"the app paces at {app_rate:g}/s per workspace ({app_factor:g} x the cap the fake enforces)"
            )
        run = run_delivery(
            url, fake, Limits(per_channel_interval=1.0, per_workspace_per_second=app_rate), workers
        )
        fake.ask("no_limits")
        print_delivery(run, messages, reps_per_team, cap, workspaces)
    finally:
        fake.stop()


def print_delivery(run: DeliveryRun, messages: int, reps_per_team: int, cap: int, workspaces: int) -> None:
    floor = reps_per_team / cap
    ratio = run.delivered_seconds / floor
    f = run.fake
    print(f"\n{'delivery':<44}{'figure':>14}")
    rows = [
        ("messages due", f"{messages:,}"),
        ("delivery (deliver), total", f"{run.delivered_seconds:.1f} s"),
        (f"floor: {reps_per_team} msgs / {cap} per s", f"{floor:.1f} s"),
        ("ratio delivery / floor", f"{ratio:.2f}x"),
        ("429s answered by the fake", f"{f['refused_429']:,}"),
        ("msgs/s (accepted / delivery time)", f"{f['accepted'] / run.delivered_seconds:.1f}"),
        ("busiest workspace second (fake's clock)", f"{f['busiest_second']}"),
    ]
    for name, value in rows:
        print(f"{name:<44}{value:>14}")
    verdict = "PASS" if ratio <= DELIVERY_GOAL else "MISS"
    print(f"goal: delivery <= {DELIVERY_GOAL}x the floor: {verdict}")
    exact = f["accepted"] == messages and f["recipients"] == messages and f["max_per_recipient"] == 1
    print(
        f"exactly once: Slack took {f['accepted']:,} DMs for {f['recipients']:,} reps (at most "
        f"{f['max_per_recipient']} each); {run.sent_rows:,} rows marked sent; sweep report: sent "
        f"{run.report.sent:,} in {run.report.messages:,} DMs, failed {run.report.failed}, gave up "
        f"{run.report.gave_up} -> {'OK' if exact and run.sent_rows == messages else 'NOT EXACTLY ONCE'}"
    )
    done = sorted(at - run.started for at in run.outbox.finished.values())
    busy = sum(done) / workspaces
    print(
        f"where a workspace's {busy:.1f} s go (averages over {workspaces} workers, each until its last DM): "
        f"inside post_dm {run.outbox.post_seconds / workspaces:.1f} s (pacing, HTTP, and the 429 retries: "
        f"the outbox holds the workspace for Retry-After, about {f['refused_429'] * 1.0 / workspaces:.1f} s here), "
        f"database statements {run.db_seconds / workspaces:.1f} s, the rest (ORM, blocks, commits, "
        f"waiting for the GIL) {busy - (run.outbox.post_seconds + run.db_seconds) / workspaces:.1f} s; "
        f"app process CPU {run.cpu_seconds / run.delivered_seconds:.0%} of a core"
    )
    sent = max(1, run.report.sent)
    print(
        f"the app's own time per nudge delivered: {max(0.0, sum(done) - run.outbox.post_seconds) / sent * 1000:.1f} ms "
        f"(database {run.db_seconds / sent * 1000:.1f} ms), {run.statements / sent:.1f} statements per nudge "
        f"(goal at most 3); app CPU {run.cpu_seconds / sent * 1000:.2f} ms per nudge"
    )
    print(
        f"statements counted: every SELECT, UPDATE and INSERT the app's engine sends during deliver "
        f"(an executemany is one); not counted: {run.commits:,} commits ({run.commits / sent:.1f} per nudge) "
        "and the pool's pre-pings, which are no statements. By shape, per nudge delivered:"
    )
    for shape, count in run.by_shape.most_common(8):
        print(f"  {count:>7,} ({count / sent:.2f})  {shape}")
    if ratio > DELIVERY_GOAL:
        interval = 1000 / cap
        own = max(0.0, sum(done) - run.outbox.post_seconds) / sent * 1000
        print(
            f"not reached on this machine (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
            f"{os.cpu_count()} cores): a worker's own time per nudge is {own:.1f} ms of the {interval:.0f} ms "
            f"the cap leaves between two DMs to a workspace ({own / interval:.2f} of it); judge the goal by that ratio"
        )
    if done:
        print(f"workspaces sent their last DM {done[0]:.1f} to {done[-1]:.1f} s after delivery began")
    refused: dict[str, int] = f["refused_by_workspace"]
    finished = {t: at - run.started for t, at in run.outbox.finished.items()}
    clean = [finished[t] for t, n in refused.items() if n == 0 and t in finished]
    hit = [finished[t] for t, n in refused.items() if n > 0 and t in finished]
    groups = [
        f"the {len(times)} {name} finished in {statistics.mean(times):.1f} s on average"
        for name, times in (("without a 429", clean), ("with some", hit))
        if times
    ]
    print(f"429s per workspace: {sorted(refused.values())}; " + ", ".join(groups))
    gaps = f["gaps_after_retry"]
    if gaps:
        close = sum(1 for g in gaps if g < 0.5 / cap)
        print(
            f"after a refused DM went through on retry, the workspace's next DM arrived {statistics.median(gaps) * 1000:.0f} ms "
            f"later (median; {close} of {len(gaps)} sooner than half the pacing interval of {1000 / cap:.0f} ms)"
        )
    if f["internal_errors"] or f["other_failures"]:
        print(f"the fake: {f['internal_errors']} internal errors, {f['other_failures']} other failed calls")


# ---------------------------------------------------------------------- main


@contextmanager
def throwaway(url: str) -> Iterator[Databases]:
    databases = Databases(url)
    try:
        yield databases
    finally:
        databases.drop_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server (a database on it)")
    parser.add_argument("--only", choices=["selection", "delivery"])
    parser.add_argument("--sizes", default="10000,1000000", help="history sizes for (a), in next steps")
    parser.add_argument("--due", type=int, default=500, help="(a): nudges due in every history")
    parser.add_argument("--repeats", type=int, default=5, help="(a): timed runs per history")
    parser.add_argument("--no-nudge-history", action="store_true", help="(a): skip (a2)")
    parser.add_argument(
        "--try-history-index",
        action="store_true",
        help="(a): then (a3): (a2) again with an index on nudges (team_id, subject_key), created by this run",
    )
    parser.add_argument("--workspaces", type=int, default=20)
    parser.add_argument("--reps", type=int, default=500, help="(b): reps per workspace, one DM each")
    parser.add_argument(
        "--cap",
        type=int,
        help="(b): messages/s per workspace (default: Slack's 10, never lowered to fit the machine)",
    )
    parser.add_argument("--workers", type=int, default=24, help="(b): deliver's max_workers")
    parser.add_argument(
        "--app-rate-factor",
        type=float,
        default=1.0,
        help="(b): the app's Limits.per_workspace_per_second as a share of the cap (default 1: the same)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    try:
        with throwaway(args.database_url) as databases:
            if args.only in (None, "selection"):
                sizes = [int(s) for s in args.sizes.split(",")]
                run_selection(
                    databases,
                    sizes,
                    args.due,
                    args.repeats,
                    not args.no_nudge_history,
                    args.try_history_index,
                )
            if args.only in (None, "delivery"):
                run_delivery_benchmark(
                    databases, args.workspaces, args.reps, args.cap, args.workers, args.app_rate_factor
                )
    except BenchmarkFailed as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print(
        f"\n(whole run: {time.perf_counter() - started:.0f} s; load average at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
