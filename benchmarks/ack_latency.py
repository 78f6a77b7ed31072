"""How fast Next Step answers Slack, next to a bare slack_bolt app, behind the same gunicorn and fake.

    python benchmarks/ack_latency.py [--requests 500] [--database-url postgresql://postgres@127.0.0.1:5432/test]

Two figures, for our app and for ``benchmarks/bare_app.py`` (ack + a one-block ``views.open``;
commit one row, then ack), measured in the same run, one request at a time, the two apps'
requests interleaved so drift in the machine hits both alike:

(a) ``/meeting`` → ``views.open``: from sending the signed slash command to the sandbox fake
    recording the app's ``views.open`` (``Call.at``, stamped with ``fake.wall_clock``; the send
    time is read from the same clock). What the person waits for before the modal shows.
(b) a valid ``/meeting`` submission → its HTTP ack: our app validates and commits the meeting
    before it acks (the coaching DM after the ack is awaited between requests, not timed).

Both apps run as gunicorn subprocesses on 127.0.0.1 the way the Procfile runs ours (gthread,
1 worker x 8 threads unless told otherwise); the fake runs in this process. SQLite by default
(throwaway files in a temp dir); with ``--database-url`` naming a PostgreSQL server a throwaway
database is created on it and dropped at the end. ``--concurrency N`` adds a run with N clients
at once. Prints a table and a PASS/MISS line per goal; exits 0 whatever the figures, nonzero
when the benchmark itself fails (a request refused, a meeting not stored, a process dying).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import http.client
import itertools
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCHMARKS)]

import bare_app  # noqa: E402

from bot.config import normalize_database_url  # noqa: E402
from bot.domain.vocabulary import AskType, Reaction  # noqa: E402
from bot.runtime.migrate import upgrade  # noqa: E402
from bot.slack import ids  # noqa: E402
from bot.slackfake.fake import Call, FakeSlack  # noqa: E402
from bot.slackfake.user import SlackUser  # noqa: E402

SECRET = "bench-signing-secret"
TEAM = "T1"
TOKEN = "xoxb-bench"
WARMUP = 20
# Between sequential requests: the fake quiet this long, so the app's work after the ack
# (profile refresh, coaching DM) is over before the next request is sent.
SETTLE = 0.01
GOAL_RATIO = 1.5
GOAL_MS = 300.0
COMMAND = "(a) /meeting -> views.open"
SUBMISSION = "(b) submission -> ack"


class BenchmarkFailed(Exception):
    """The benchmark could not measure what it claims to (not a slow figure: a wrong one)."""


# ---------------------------------------------------------------------- the two servers


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    name: str, target: str, env: dict[str, str], workers: int, threads: int, log_dir: Path
) -> Server:
    """gunicorn as the Procfile starts it (gthread), on a free port of 127.0.0.1."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        target,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--workers",
        str(workers),
        "--pythonpath",
        f"{ROOT},{BENCHMARKS}",
    ]
    base = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=base | env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, port, process, log_path)


def cpu_seconds(server: Server) -> float | None:
    """User + system CPU of the gunicorn master and its workers so far (Linux /proc), else None."""
    pids = [server.process.pid]
    try:
        for task in Path(f"/proc/{server.process.pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    except (OSError, ValueError, IndexError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def stop_gunicorn(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def wait_ready(server: Server, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkFailed(f"{server.name} exited at start-up:\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchmarkFailed(f"{server.name} not ready on {path} after {timeout:.0f} s:\n{server.log_tail()}")


# ---------------------------------------------------------------------- what Slack sends


def post_signed(port: int, body: bytes, content_type: str) -> tuple[int, str]:
    """One signed POST to /slack/events on a fresh connection, as Slack's servers send it."""
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Connection": "close",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read().decode("utf-8", errors="replace")
    finally:
        conn.close()


@dataclass
class Persona:
    """One person sending requests: their user id and, for (b), the filled modal they submit."""

    user_id: str
    view: dict[str, Any]


_view_ids = itertools.count(1)


def slash_body(fake: FakeSlack, user_id: str) -> tuple[bytes, str]:
    trigger = fake.issue_trigger(TEAM, user_id)
    form = {
        "token": "fake-verification-token",
        "team_id": TEAM,
        "team_domain": "acme",
        "channel_id": "C_GENERAL",
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/meeting",
        "text": "",
        "api_app_id": fake.app_id,
        "is_enterprise_install": "false",
        "response_url": fake.new_response_url(TEAM, user_id, "C_GENERAL"),
        "trigger_id": trigger,
    }
    return urlencode(form).encode(), trigger


def submission_body(fake: FakeSlack, persona: Persona) -> bytes:
    """The form Slack posts on Save: the persona's filled modal under a view id never seen before."""
    view = copy.deepcopy(persona.view)
    view["id"] = f"VBENCH{next(_view_ids):06d}"
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": persona.user_id, "username": persona.user_id.lower(), "team_id": TEAM},
        "api_app_id": fake.app_id,
        "token": "fake-verification-token",
        "trigger_id": fake.issue_trigger(TEAM, persona.user_id),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


# ---------------------------------------------------------------------- one request, timed


def views_open_for(fake: FakeSlack, trigger: str, timeout: float = 5.0) -> Call:
    deadline = time.monotonic() + timeout
    while True:
        for call in reversed(fake.calls):
            if call.method == "views.open" and call.params.get("trigger_id") == trigger:
                if call.response is not None:
                    return call
                break
        if time.monotonic() > deadline:
            raise BenchmarkFailed(f"no views.open for trigger {trigger[:12]}… within {timeout:.0f} s")
        time.sleep(0.0005)  # sleeping lets the fake's threads have the GIL


def time_command(fake: FakeSlack, server: Server, persona: Persona) -> float:
    """(a) seconds from sending `/meeting` to the fake receiving the app's views.open."""
    body, trigger = slash_body(fake, persona.user_id)
    sent = fake.wall_clock()  # the clock Call.at is stamped with
    status, answer = post_signed(server.port, body, "application/x-www-form-urlencoded")
    if status != 200:
        raise BenchmarkFailed(f"{server.name}: /meeting answered {status}: {answer[:200]}")
    call = views_open_for(fake, trigger)
    if not (call.response or {}).get("ok"):
        raise BenchmarkFailed(f"{server.name}: views.open refused: {call.response}")
    return call.at - sent


def time_submission(fake: FakeSlack, server: Server, persona: Persona) -> float:
    """(b) seconds from sending a valid view_submission to its ack arriving."""
    body = submission_body(fake, persona)
    started = time.perf_counter()
    status, answer = post_signed(server.port, body, "application/x-www-form-urlencoded")
    elapsed = time.perf_counter() - started
    if status != 200 or answer.strip():  # a stored meeting is acked with an empty body
        raise BenchmarkFailed(f"{server.name}: submission answered {status}: {answer[:300]}")
    return elapsed


def dms_sent(fake: FakeSlack) -> int:
    return sum(
        1
        for c in fake.calls
        if c.method == "chat.postMessage" and c.response is not None and c.response.get("ok")
    )


@dataclass
class Target:
    """One app under test and what it leaves behind after a submission's ack."""

    server: Server
    personas: list[Persona]
    sends_dm: bool
    submitted: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {COMMAND: [], SUBMISSION: []})
    cpu_per_request: dict[str, float | None] = field(default_factory=dict)

    def settle(self, fake: FakeSlack) -> None:
        if self.sends_dm:
            fake.wait_until(lambda: dms_sent(fake) >= self.submitted, timeout=10)
        fake.wait_idle(quiet=SETTLE, timeout=10)

    def run_one(self, fake: FakeSlack, kind: str) -> float:
        if kind == COMMAND:
            return time_command(fake, self.server, self.personas[0])
        self.submitted += 1
        return time_submission(fake, self.server, self.personas[0])


def measure_sequential(fake: FakeSlack, targets: list[Target], requests: int, warmup: int) -> None:
    """One request at a time, alternating between the apps, waiting out each one's after-ack work."""
    for kind in (COMMAND, SUBMISSION):
        cpu_before = [cpu_seconds(target.server) for target in targets]
        for i in range(warmup + requests):
            order = targets if i % 2 == 0 else targets[::-1]
            for target in order:
                latency = target.run_one(fake, kind)
                target.settle(fake)
                if i >= warmup:
                    target.latencies[kind].append(latency)
        for target, before in zip(targets, cpu_before, strict=True):
            after = cpu_seconds(target.server)
            spent = None if before is None or after is None else after - before
            target.cpu_per_request[kind] = None if spent is None else spent / (warmup + requests)


def measure_concurrent(
    fake: FakeSlack, target: Target, requests: int, clients: int
) -> dict[str, list[float]]:
    """``clients`` people at once (each their own user and modal), one app at a time."""
    results: dict[str, list[float]] = {COMMAND: [], SUBMISSION: []}
    for kind in (COMMAND, SUBMISSION):
        if kind == SUBMISSION:
            target.submitted += requests
        shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
        with ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [
                pool.submit(_client, fake, target, kind, target.personas[i], shares[i])
                for i in range(clients)
            ]
            for future in futures:
                results[kind].extend(future.result())
        target.settle(fake)
    return results


def _client(fake: FakeSlack, target: Target, kind: str, persona: Persona, count: int) -> list[float]:
    timer = time_command if kind == COMMAND else time_submission
    return [timer(fake, target.server, persona) for _ in range(count)]


# ---------------------------------------------------------------------- setting up


def filled_meeting_view(fake: FakeSlack, events_url: str, user_id: str, account: str) -> dict[str, Any]:
    """A `/meeting` modal our app opened, filled in as a rep would: new account, ask, agreed (no date)."""
    user = SlackUser(fake, events_url, SECRET, TEAM, user_id, team_domain="acme")
    answer = user.slash("/meeting")
    if answer.status != 200:
        raise BenchmarkFailed(f"setup: /meeting answered {answer.status}: {answer.text[:200]}")
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
    view = user.view
    if view is None:
        raise BenchmarkFailed("setup: the modal closed while being filled")
    return copy.deepcopy(view)


@contextmanager
def databases(url: str | None, tmp: Path) -> Iterator[tuple[str, str, str]]:
    """(label, our database URL, the bare app's database URL): throwaway, removed afterwards."""
    if url is None:
        yield "SQLite", f"sqlite:///{tmp / 'ours.sqlite'}", f"sqlite:///{tmp / 'bare.sqlite'}"
        return
    server_url = make_url(normalize_database_url(url))
    if server_url.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must name a PostgreSQL server (SQLite is the default)")
    name = f"nextstep_bench_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    bench = server_url.set(database=name).render_as_string(hide_password=False)
    try:
        yield "PostgreSQL", bench, bench
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def count_rows(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- reporting


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary_ms(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    return (
        percentile(ordered, 50) * 1000,
        percentile(ordered, 95) * 1000,
        percentile(ordered, 99) * 1000,
        ordered[-1] * 1000,
    )


def print_table(title: str, ours: dict[str, list[float]], bare: dict[str, list[float]]) -> None:
    print(title)
    print(
        f"{'':28}{'ours p50':>9}{'p95':>7}{'p99':>7}{'max':>7} |"
        f"{'bare p50':>9}{'p95':>7}{'p99':>7}{'max':>7} | ours/bare p95"
    )
    for kind in (COMMAND, SUBMISSION):
        o, b = summary_ms(ours[kind]), summary_ms(bare[kind])
        print(
            f"{kind:28}{o[0]:9.1f}{o[1]:7.1f}{o[2]:7.1f}{o[3]:7.1f} |"
            f"{b[0]:9.1f}{b[1]:7.1f}{b[2]:7.1f}{b[3]:7.1f} | {o[1] / b[1]:.2f}x"
        )
    print(f"goal: ours p95 <= {GOAL_RATIO}x bare p95 and < {GOAL_MS:.0f} ms (a tenth of Slack's 3 s)")
    for kind in (COMMAND, SUBMISSION):
        o, b = summary_ms(ours[kind]), summary_ms(bare[kind])
        ratio = o[1] / b[1]
        print(
            f"  {kind:28} {'PASS' if ratio <= GOAL_RATIO else 'MISS'} {ratio:.2f}x bare p95"
            f"   {'PASS' if o[1] < GOAL_MS else 'MISS'} {o[1]:.1f} ms"
        )


def print_cpu(ours: Target, bare: Target) -> None:
    """The apps' CPU per request, work after the ack included: what bounds them under load."""

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 1000:.1f} ms"

    print("app CPU per request (gunicorn processes, after-ack work included):")
    for kind in (COMMAND, SUBMISSION):
        print(
            f"  {kind:28} ours {ms(ours.cpu_per_request.get(kind))}, bare {ms(bare.cpu_per_request.get(kind))}"
        )


# ---------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="nextstep-bench-"))
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        label, ours_url, bare_url = stack.enter_context(databases(args.database_url, tmp))
        upgrade(ours_url)
        engine = bare_app.make_engine(bare_url)  # the bare app's table, made once before its workers start
        bare_app.metadata.create_all(engine)
        engine.dispose()

        fake = stack.enter_context(FakeSlack())
        fake.add_workspace(
            team_id=TEAM, name="Acme Sales", bot_token=TOKEN, bot_user_id="UBOT", domain="acme"
        )
        clients = max(1, args.concurrency)
        ours_users = [f"U{i}" for i in range(1, clients + 1)]
        bare_users = [f"UB{i}" for i in range(1, clients + 1)]
        for user_id in ours_users + bare_users:
            fake.add_user(TEAM, user_id, user_id.lower(), tz="Europe/Berlin")

        env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url}
        servers = [
            start_gunicorn(
                "ours", "app:wsgi_app()", env | {"DATABASE_URL": ours_url}, args.workers, args.threads, tmp
            ),
            start_gunicorn(
                "bare",
                "bare_app:wsgi_app()",
                env | {"DATABASE_URL": bare_url},
                args.workers,
                args.threads,
                tmp,
            ),
        ]
        for server in servers:
            stack.callback(stop_gunicorn, server)
        ours_server, bare_server = servers
        wait_ready(ours_server, "/healthz")
        wait_ready(bare_server, "/ready")

        views = [
            filled_meeting_view(fake, ours_server.events_url, user_id, f"Acme Corp {n}")
            for n, user_id in enumerate(ours_users, 1)
        ]
        ours = Target(ours_server, [Persona(u, v) for u, v in zip(ours_users, views, strict=True)], True)
        bare = Target(bare_server, [Persona(u, v) for u, v in zip(bare_users, views, strict=True)], False)

        measure_sequential(fake, [ours, bare], args.requests, WARMUP)
        workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
        setup = f"gunicorn gthread {workers} x {args.threads} threads, {label}"
        print_table(
            f"ack latency, {args.requests} requests each, sequential, {setup} (ms)",
            ours.latencies,
            bare.latencies,
        )
        print_cpu(ours, bare)
        raw = {"ours": ours.latencies, "bare": bare.latencies}
        if args.concurrency > 1:
            print()
            ours_c = measure_concurrent(fake, ours, args.requests, args.concurrency)
            bare_c = measure_concurrent(fake, bare, args.requests, args.concurrency)
            print_table(
                f"ack latency, {args.requests} requests each, {args.concurrency} clients at once, {setup} (ms)",
                ours_c,
                bare_c,
            )
            raw |= {"ours concurrent": ours_c, "bare concurrent": bare_c}
        if args.dump:
            Path(args.dump).write_text(json.dumps(raw))
        problems = check_everything_stored(fake, ours, bare, ours_url, bare_url)
        for server in servers:
            if server.process.poll() is not None:
                problems.append(f"{server.name} exited during the run:\n{server.log_tail()}")
        print(f"\n{ours.submitted} meetings stored by ours, {bare.submitted} rows by bare; ", end="")
        print(f"took {time.monotonic() - started:.0f} s")
        if problems:
            raise BenchmarkFailed("\n".join(problems))


def check_everything_stored(
    fake: FakeSlack, ours: Target, bare: Target, ours_url: str, bare_url: str
) -> list[str]:
    """Every acked submission is a stored row and (ours) a coaching DM; the fake saw no bug."""
    problems: list[str] = []
    ours.settle(fake)
    meetings = count_rows(ours_url, "meetings")  # the set-up fills its modals but never submits them
    if meetings != ours.submitted:
        problems.append(f"ours stored {meetings} meetings for {ours.submitted} acked submissions")
    if dms_sent(fake) != ours.submitted:
        problems.append(f"ours sent {dms_sent(fake)} coaching DMs for {ours.submitted} meetings")
    rows = count_rows(bare_url, bare_app.submissions.name)
    if rows != bare.submitted:
        problems.append(f"bare stored {rows} rows for {bare.submitted} acked submissions")
    problems.extend(f"fake Slack internal error:\n{e}" for e in fake.internal_errors)
    refused = [c for c in fake.calls if c.response is not None and not c.response.get("ok")]
    problems.extend(f"Slack call refused: {c.method} {c.response}" for c in refused)
    for target in (ours, bare):
        log = target.server.log_path.read_text(errors="replace")
        if " ERROR " in log or "Traceback" in log:
            problems.append(f"{target.server.name} logged errors:\n{target.server.log_tail()}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="measured requests per figure and app")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create a throwaway database on (default: SQLite in a temp dir)",
    )
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers for both apps")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker for both apps")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="also measure with this many clients at once"
    )
    parser.add_argument("--dump", metavar="FILE", help="also write every latency (seconds) as JSON")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    try:
        run(args)
    except BenchmarkFailed as error:
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
