"""Throughput under load: signed `/meeting` submissions from N closed-loop clients, ours next to a bare Bolt app.

    python benchmarks/load.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
                              [--clients 1,8,32,64] [--seconds 10] [--workers 2] [--threads 8]

Ours is served by the Procfile's ``web:`` line (``nextstep serve``: gunicorn gthread,
``WEB_CONCURRENCY`` workers x ``GUNICORN_THREADS`` threads); the bare app
(``bare_app.py`` with ``BARE_APP_DM=1``: Bolt with ``process_before_response=True``, one row
stored and committed, ack, one DM sent from a thread pool) by gunicorn with the same worker
class, workers and threads. Both on the same throwaway PostgreSQL database and the same sandbox
fake, which runs in a process of its own (its own GIL), away from the clients.

For each N, each app gets ``--seconds`` of load in two halves, in the order ours, bare, bare,
ours, so drift in the machine hits both alike. A client is one person (their own user and
filled modal) who sends a submission, waits for its HTTP answer and sends the next. Between
halves the app's after-ack work is waited out (every acked submission has its DM) and that
catch-up time is printed. Per app and N: requests/s, p50/p95/p99 ack, acks over 2.5 s and over
3 s (Slack's deadline), submission -> DM at the fake p95, CPU per submission (the gunicorn
processes, after-ack work included) and database statements per submission (counted by a
SQLAlchemy cursor hook loaded into both apps through ``sitecustomize``; pool pre-pings are not
statements). Then the goals of issue 16, PASS or MISS. Exits nonzero only when it could not
measure (a request refused, a meeting not stored, a process dying).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCHMARKS)]

import ack_latency as common  # noqa: E402
import bare_app  # noqa: E402
from ack_latency import BenchmarkFailed, Server, cpu_seconds, post_signed, stop_gunicorn, wait_ready  # noqa: E402

from bot.runtime.migrate import upgrade  # noqa: E402

SECRET = common.SECRET
TEAM = common.TEAM
TOKEN = common.TOKEN
SLOW = 2.5  # our own warning line
DEADLINE = 3.0  # Slack's
CATCH_UP_LIMIT = float(os.environ.get("LOAD_CATCH_UP_LIMIT", 300))

# Loaded into both apps' processes (PYTHONPATH): counts the statements SQLAlchemy sends, per
# process, written every 0.2 s to $STATEMENT_COUNT_DIR/<pid>.
SITECUSTOMIZE = """
import os, threading, time

_dir = os.environ.get("STATEMENT_COUNT_DIR")
if _dir:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _count = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _counted(*_args, **_kwargs):
        _count[0] += 1

    def _writer():
        path = os.path.join(_dir, str(os.getpid()))
        while True:
            with open(path + ".tmp", "w") as out:
                out.write(str(_count[0]))
            os.replace(path + ".tmp", path)
            time.sleep(0.2)

    def _start():
        _count[0] = 0
        threading.Thread(target=_writer, daemon=True).start()

    os.register_at_fork(after_in_child=_start)
    _start()
"""


# ---------------------------------------------------------------------- the fake, in its own process


def fake_process(pipe: Pipe, users: list[str]) -> None:
    from bot.slackfake.fake import FakeSlack
    from bot.slackfake.user import SlackUser

    fake = FakeSlack().start()
    fake.add_workspace(team_id=TEAM, name="Acme Sales", bot_token=TOKEN, bot_user_id="UBOT", domain="acme")
    for user_id in users:
        fake.add_user(TEAM, user_id, user_id.lower(), tz="Europe/Berlin")
    pipe.send((fake.api_url, fake.app_id))
    while True:
        command, *args = pipe.recv()
        if command == "fill":
            events_url, user_id, account = args
            try:
                pipe.send(_fill(fake, SlackUser, events_url, user_id, account))
            except Exception as error:  # the benchmark says why, not the fake's process
                pipe.send(f"error: {type(error).__name__}: {error}")
        elif command == "dms":  # chat.postMessage calls from index on: (channel, at, ok)
            (start,) = args
            calls = list(fake.calls)
            pipe.send(
                (
                    len(calls),
                    [
                        (str(c.params.get("channel")), c.at, bool(c.response and c.response.get("ok")))
                        for c in calls[start:]
                        if c.method == "chat.postMessage"
                    ],
                    [
                        f"{c.method} {c.response}"
                        for c in calls[start:]
                        if c.response and not c.response.get("ok")
                    ],
                    len(fake.internal_errors),
                )
            )
        else:
            fake.stop()
            pipe.send("stopped")
            return


def _fill(fake: Any, user_class: Any, events_url: str, user_id: str, account: str) -> dict[str, Any]:
    """A `/meeting` modal our app opened, filled in as a rep would (new account, ask, agreed, no date)."""
    from bot.domain.vocabulary import AskType, Reaction
    from bot.slack import ids

    user = user_class(fake, events_url, SECRET, TEAM, user_id, team_domain="acme")
    answer = user.slash("/meeting")
    if answer.status != 200:
        raise RuntimeError(f"/meeting answered {answer.status}")
    fake.wait_until(lambda: user.view)
    options = user.suggest(ids.ACCOUNT, account)
    new = next(o for o in options if o["value"] == f"{ids.NEW_ACCOUNT_PREFIX}{account}")
    user.fill(ids.ACCOUNT, new["value"])
    fake.wait_until(
        lambda: user.view and any(b.get("block_id") == ids.NEW_DEAL_NAME for b in user.view["blocks"])
    )
    user.fill(ids.ASK, "Can we book Tuesday at 2pm for the demo with your ops lead?")
    user.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    user.fill(ids.REACTION, Reaction.AGREED_UNSCHEDULED.value)
    fake.wait_idle(quiet=0.05)
    return dict(user.view)


class Fake:
    def __init__(self, users: list[str]):
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._lock = threading.Lock()
        self.process = context.Process(target=fake_process, args=(child, users), daemon=True)
        self.process.start()
        if not self._pipe.poll(120):
            raise BenchmarkFailed("the fake did not start")
        self.api_url, self.app_id = self._pipe.recv()
        self.seen = 0

    def ask(self, *command: Any, timeout: float = 60) -> Any:
        with self._lock:
            self._pipe.send(command)
            if not self._pipe.poll(timeout):
                raise BenchmarkFailed(f"the fake did not answer {command[0]}")
            return self._pipe.recv()

    def new_dms(self) -> tuple[list[tuple[str, float, bool]], list[str], int]:
        total, dms, refused, errors = self.ask("dms", self.seen)
        self.seen = total
        return dms, refused, errors

    def stop(self) -> None:
        if self.process.is_alive():
            with suppress(BenchmarkFailed, OSError):
                self.ask("stop")
        self.process.join(5)


# ---------------------------------------------------------------------- the two apps


def start_ours(env: dict[str, str], workers: int, threads: int, log_dir: Path) -> Server:
    """The Procfile's web: line, `nextstep serve`, on a free port (it binds 0.0.0.0:$PORT)."""
    import subprocess

    port = common.free_port()
    log_path = log_dir / "ours.log"
    base = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_CMD_ARGS",)}
    settings = {"PORT": str(port), "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
    nextstep = Path(sys.executable).parent / "nextstep"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(nextstep), "serve"],
            cwd=ROOT,
            env=base | env | settings,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server("ours", port, process, log_path)


# ---------------------------------------------------------------------- the load


def submission_body(app_id: str, user_id: str, view: dict[str, Any], n: int) -> bytes:
    view = dict(view)
    view["id"] = f"VLOAD{user_id}{n:07d}"
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM},
        "api_app_id": app_id,
        "token": "fake-verification-token",
        "trigger_id": f"{n}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}",  # Slack's shape (bot.slack.ids)
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


_SERIAL = [0]


@dataclass
class Phase:
    """One app under N clients for a while: what the clients and the fake saw."""

    acks: list[float] = field(default_factory=list)
    sent: dict[str, list[float]] = field(default_factory=dict)  # user -> wall-clock send times
    seconds: float = 0.0
    cpu: float = 0.0
    statements: int = 0
    catch_up: float = 0.0
    dm_latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run_phase(
    fake: Fake,
    server: Server,
    users: list[str],
    views: dict[str, dict[str, Any]],
    seconds: float,
    counts: Path,
) -> Phase:
    phase = Phase(sent={u: [] for u in users})
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    serial = _SERIAL  # view ids never repeat within a run: a repeated one is a duplicate Save

    def client(user_id: str) -> None:
        while time.monotonic() < stop_at:
            with lock:
                serial[0] += 1
                n = serial[0]
            body = submission_body(fake.app_id, user_id, views[user_id], n)
            sent = time.time()
            started = time.perf_counter()
            try:
                status, answer = post_signed(server.port, body, "application/x-www-form-urlencoded")
            except OSError as error:
                with lock:
                    phase.failures.append(f"{type(error).__name__}: {error}")
                return
            elapsed = time.perf_counter() - started
            with lock:
                if status != 200 or answer.strip():
                    phase.failures.append(f"answered {status}: {answer[:200]}")
                    return
                phase.acks.append(elapsed)
                phase.sent[user_id].append(sent)

    fake.new_dms()  # forget what came before
    statements_before = count_statements(counts, server)
    cpu_before = cpu_seconds(server) or 0.0
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        list(pool.map(client, users))
    phase.seconds = time.monotonic() - began
    # catch up: every acked submission gets its DM (the after-ack work drains)
    dms: list[tuple[str, float, bool]] = []
    expected = len(phase.acks)
    deadline = time.monotonic() + CATCH_UP_LIMIT
    while True:
        got, refused, errors = fake.new_dms()
        dms += got
        phase.failures += refused
        if errors:
            phase.failures.append(f"the fake had {errors} internal errors")
        if len(dms) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    phase.catch_up = max(0.0, time.monotonic() - began - phase.seconds)
    if len(dms) < expected:
        phase.failures.append(
            f"{server.name}: {len(dms)} DMs for {expected} acked submissions after {CATCH_UP_LIMIT:.0f} s"
        )
    time.sleep(0.5)  # the statement counters are written every 0.2 s
    phase.cpu = (cpu_seconds(server) or 0.0) - cpu_before
    phase.statements = count_statements(counts, server) - statements_before
    by_user: dict[str, list[float]] = {}
    for channel, at, _ok in dms:
        by_user.setdefault(channel, []).append(at)
    for user_id, sent_times in phase.sent.items():
        arrived = sorted(by_user.get(user_id, []))
        phase.dm_latencies += [a - s for s, a in zip(sent_times, arrived, strict=False)]
    return phase


def count_statements(counts: Path, server: Server) -> int:
    total = 0
    for path in (counts / server.name).glob("*"):
        if path.suffix == ".tmp":
            continue
        with suppress(OSError, ValueError):
            total += int(path.read_text() or 0)
    return total


# ---------------------------------------------------------------------- reporting


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass
class Row:
    requests: int
    per_second: float
    p50: float
    p95: float
    p99: float
    over_slow: int
    over_deadline: int
    dm_p95: float
    cpu_ms: float
    statements: float
    catch_up: float


def row_of(phases: list[Phase]) -> Row:
    acks = [a for p in phases for a in p.acks]
    dms = [d for p in phases for d in p.dm_latencies]
    n = len(acks)
    seconds = sum(p.seconds for p in phases)
    return Row(
        requests=n,
        per_second=n / seconds if seconds else 0.0,
        p50=pct(acks, 50) * 1000,
        p95=pct(acks, 95) * 1000,
        p99=pct(acks, 99) * 1000,
        over_slow=sum(1 for a in acks if a > SLOW),
        over_deadline=sum(1 for a in acks if a > DEADLINE),
        dm_p95=pct(dms, 95) * 1000,
        cpu_ms=sum(p.cpu for p in phases) / n * 1000 if n else float("nan"),
        statements=sum(p.statements for p in phases) / n if n else float("nan"),
        catch_up=max(p.catch_up for p in phases),
    )


HEADER = (
    f"{'N':>3} {'app':5} {'req':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'>2.5s':>6} {'>3s':>5}"
    f" {'DM p95':>8} {'CPU/sub':>8} {'stmts':>6} {'catch-up':>9}"
)


def print_row(n: int, name: str, r: Row) -> None:
    print(
        f"{n:>3} {name:5} {r.requests:>6} {r.per_second:>7.1f} {r.p50:>7.0f} {r.p95:>7.0f} {r.p99:>7.0f}"
        f" {r.over_slow:>6} {r.over_deadline:>5} {r.dm_p95:>8.0f} {r.cpu_ms:>7.1f}m {r.statements:>6.1f}"
        f" {r.catch_up:>8.1f}s",
        flush=True,
    )


def goals(results: dict[int, dict[str, Row]]) -> list[str]:
    lines = []

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    for n, rows in results.items():
        ours, bare = rows["ours"], rows["bare"]
        ratio = ours.per_second / bare.per_second if bare.per_second else float("nan")
        lines.append(f"{verdict(ratio >= 0.5)} N={n}: throughput {ratio:.2f} of bare's (goal >= 0.5)")
    if 32 in results:
        ours = results[32]["ours"]
        lines.append(f"{verdict(ours.p95 < 1000)} N=32: p95 ack {ours.p95:.0f} ms (goal < 1000)")
        lines.append(f"{verdict(ours.over_slow == 0)} N=32: {ours.over_slow} acks over 2.5 s (goal 0)")
    if 64 in results:
        ours = results[64]["ours"]
        lines.append(f"{verdict(ours.over_deadline == 0)} N=64: {ours.over_deadline} acks over 3 s (goal 0)")
    if 8 in results:
        ours = results[8]["ours"]
        lines.append(
            f"{verdict(ours.dm_p95 < 1000)} N=8: submission -> DM p95 {ours.dm_p95:.0f} ms (goal < 1000)"
        )
    return lines


# ---------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    clients = [int(c) for c in args.clients.split(",")]
    most = max(clients)
    ours_users = [f"U{i:03d}" for i in range(1, most + 1)]
    bare_users = [f"UB{i:03d}" for i in range(1, most + 1)]
    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="nextstep-load-"))
        if not os.environ.get("LOAD_KEEP_LOGS"):
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        hook = tmp / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
        counts = tmp / "counts"
        label, url, _same = stack.enter_context(common.databases(args.database_url, tmp))
        upgrade(url)
        engine = bare_app.make_engine(url)
        bare_app.metadata.create_all(engine)
        engine.dispose()

        fake = Fake(ours_users + bare_users)
        stack.callback(fake.stop)
        pythonpath = os.pathsep.join(
            [str(hook), str(ROOT), str(BENCHMARKS), os.environ.get("PYTHONPATH", "")]
        )
        env = {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "PYTHONPATH": pythonpath,
            "LOG_LEVEL": "WARNING",
        }
        (counts / "ours").mkdir(parents=True)
        (counts / "bare").mkdir(parents=True)
        ours_server = start_ours(
            env | {"STATEMENT_COUNT_DIR": str(counts / "ours")}, args.workers, args.threads, tmp
        )
        stack.callback(stop_gunicorn, ours_server)
        bare_server = common.start_gunicorn(
            "bare",
            "bare_app:wsgi_app()",
            env | {"STATEMENT_COUNT_DIR": str(counts / "bare"), "BARE_APP_DM": "1"},
            args.workers,
            args.threads,
            tmp,
        )
        stack.callback(stop_gunicorn, bare_server)
        wait_ready(ours_server, "/healthz")
        wait_ready(bare_server, "/ready")

        template = fake.ask("fill", ours_server.events_url, ours_users[0], "Acme Corp 0")
        if isinstance(template, str):
            raise BenchmarkFailed(f"setup: {template}")
        text = json.dumps(template)
        views = {
            u: json.loads(text.replace("Acme Corp 0", f"Acme Corp {i}")) for i, u in enumerate(ours_users)
        }
        views |= {b: views[u] for u, b in zip(ours_users, bare_users, strict=True)}

        servers = {"ours": ours_server, "bare": bare_server}
        users = {"ours": ours_users, "bare": bare_users}
        # warm-up: every worker has its connections and compiled statements
        for name in ("ours", "bare"):
            run_phase(fake, servers[name], users[name][:8], views, 3.0, counts)

        print(
            f"load: signed /meeting submissions, closed-loop clients, {args.seconds:.0f} s per app and N"
            f" (halves ours, bare, bare, ours); ours = `nextstep serve`, bare = bare_app.py;"
            f" gunicorn gthread {args.workers} workers x {args.threads} threads each; {label}; ack times in ms"
        )
        print(HEADER)
        results: dict[int, dict[str, Row]] = {}
        problems: list[str] = []
        for n in clients:
            phases: dict[str, list[Phase]] = {"ours": [], "bare": []}
            for name in ("ours", "bare", "bare", "ours"):
                phase = run_phase(fake, servers[name], users[name][:n], views, args.seconds / 2, counts)
                problems += phase.failures
                phases[name].append(phase)
            results[n] = {name: row_of(p) for name, p in phases.items()}
            for name in ("ours", "bare"):
                print_row(n, name, results[n][name])
        print()
        for line in goals(results):
            print(line)
        for server in servers.values():
            if server.process.poll() is not None:
                problems.append(f"{server.name} exited during the run:\n{server.log_tail()}")
            log = server.log_path.read_text(errors="replace")
            if " ERROR " in log or "Traceback" in log:
                problems.append(f"{server.name} logged errors:\n{server.log_tail()}")
        warnings = [
            line
            for line in ours_server.log_path.read_text(errors="replace").splitlines()
            if "WARNING" in line
        ]
        if warnings:
            print(f"\nours logged {len(warnings)} WARNING lines; the last: {warnings[-1][:300]}")
        print(f"took {time.monotonic() - started:.0f} s")
        if args.dump:
            Path(args.dump).write_text(
                json.dumps({str(n): {k: v.__dict__ for k, v in rows.items()} for n, rows in results.items()})
            )
        if problems:
            raise BenchmarkFailed("\n".join(problems[:20]))


def main(argv: list[str] | None = None) -> int:
    # stopped from outside (timeout, Ctrl-C): the servers, the fake and the database still go
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create a throwaway database on",
    )
    parser.add_argument("--clients", default="1,8,32,64", help="the N to measure, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per app and N")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for both apps")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker for both apps")
    parser.add_argument("--dump", metavar="FILE", help="also write the table as JSON")
    args = parser.parse_args(argv)
    try:
        run(args)
    except BenchmarkFailed as error:
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
