"""Where a `/meeting` submission's ack time goes, in our app and in the bare one.

    python benchmarks/ack_breakdown.py [--requests 200] [--database-url postgresql://postgres@127.0.0.1:5432/test]

``ack_latency.py`` says how long the ack takes; this says why. Both apps run in this process
(no gunicorn, no HTTP: the WSGI callable is called directly, one request at a time) with
timing hooks around the steps of the request, so each submission is split into:

- before the listener: our signature + payload-shape check in ``handlers/web.py``, then Bolt
  (signature again, body parsing, middleware, listener matching, handing over to its thread pool);
- the listener up to the database work (private_metadata, ViewState, reading the form);
- the database work (``log_meeting`` for ours, one INSERT + COMMIT for bare): round trips
  (statements, pool pre-ping, commit) and the ORM/Python time between them;
- ack() → response: Bolt's request thread polls for the ack every 10 ms.

The absolute figures include the hooks' own cost and differ from ``ack_latency.py``'s (no
gunicorn, no HTTP); compare the rows, not the totals. Exits 0 unless the run itself fails.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ack_latency as bench
import bare_app
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, event

from bot.config import Config
from bot.runtime.migrate import upgrade
from bot.runtime.server import BackgroundServer
from bot.slack import payloads
from bot.slackfake.fake import FakeSlack
from handlers.app import create_app
from handlers.commands import meeting as commands_module
from handlers.views import meeting as views_module
from handlers.web import make_wsgi_app
from models import make_engine


@dataclass
class Span:
    name: str
    thread: int
    start: float
    end: float


@dataclass
class Recorder:
    """Spans from every thread, appended under a lock; read between requests."""

    spans: list[Span] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, start: float, end: float) -> None:
        with self.lock:
            self.spans.append(Span(name, threading.get_ident(), start, end))

    def take(self) -> list[Span]:
        with self.lock:
            spans, self.spans = self.spans, []
        return spans

    def wait_for(self, *names: str, timeout: float = 5.0) -> list[Span]:
        """Take the spans recorded so far once one of each name is among them."""
        deadline = time.monotonic() + timeout
        spans: list[Span] = []
        while True:
            spans += self.take()
            if all(any(s.name == name for s in spans) for name in names):
                return spans
            if time.monotonic() > deadline:
                raise bench.BenchmarkFailed(f"no {' and '.join(names)} recorded within {timeout:.0f} s")
            time.sleep(0.001)

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, start, time.perf_counter())

        return wrapper


def hook_engine(engine: Engine, rec: Recorder) -> None:
    """Statements, pre-pings and commits as spans (they are the database round trips)."""
    starts: dict[int, float] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(*_args: Any) -> None:
        starts[threading.get_ident()] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        start = starts.pop(threading.get_ident(), None)
        if start is not None:
            rec.add("sql " + statement.split(None, 1)[0].upper(), start, time.perf_counter())

    dialect = engine.dialect
    dialect.do_ping = rec.timed("sql ping", dialect.do_ping)  # type: ignore[method-assign]
    dialect.do_commit = rec.timed("sql COMMIT", dialect.do_commit)  # type: ignore[method-assign]


@contextmanager
def hooked(rec: Recorder, profiler: cProfile.Profile | None = None) -> Iterator[None]:
    """Time the steps that are module-level names (so the apps find the wrapped ones).

    With ``profiler``, each ``log_meeting`` call also runs under cProfile.
    """
    saved = [
        (payloads, "parse", payloads.parse),
        (SignatureVerifier, "is_valid", SignatureVerifier.is_valid),
        (hmac, "new", hmac.new),
        (views_module, "submission", views_module.submission),
        (views_module, "log_meeting", views_module.log_meeting),
        (WebClient, "views_open", WebClient.views_open),
        (commands_module, "refresh_profile", commands_module.refresh_profile),
    ]
    WebClient.views_open = rec.timed("views.open", WebClient.views_open)  # type: ignore[method-assign]
    commands_module.refresh_profile = rec.timed("profile refresh", commands_module.refresh_profile)
    payloads.parse = rec.timed("payload shape check", payloads.parse)  # type: ignore[assignment]
    # Bolt's check (the bare app) is SignatureVerifier; ours (handlers/web.py) is hmac.new on the
    # raw bytes. Bolt's also calls hmac.new: counted once, as Bolt's.
    in_bolt = threading.local()
    bolt_is_valid, plain_new = SignatureVerifier.is_valid, hmac.new

    def bolt_check(*args: Any, **kwargs: Any) -> Any:
        in_bolt.on = True
        try:
            return bolt_is_valid(*args, **kwargs)
        finally:
            in_bolt.on = False

    timed_new = rec.timed("signature check", plain_new)
    SignatureVerifier.is_valid = rec.timed("signature check", bolt_check)  # type: ignore[method-assign]
    hmac.new = lambda *a, **k: plain_new(*a, **k) if getattr(in_bolt, "on", False) else timed_new(*a, **k)  # type: ignore[assignment]
    views_module.submission = rec.timed("listener start", views_module.submission)  # type: ignore[assignment]
    original = views_module.log_meeting

    def profiled(*args: Any, **kwargs: Any) -> Any:
        assert profiler is not None
        profiler.enable()
        try:
            return original(*args, **kwargs)
        finally:
            profiler.disable()

    views_module.log_meeting = rec.timed("db work", original if profiler is None else profiled)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


class TimedEngine:
    """What the bare app's listener sees as its engine: marks the listener's start."""

    def __init__(self, engine: Engine, rec: Recorder):
        self._engine, self._rec = engine, rec

    @contextmanager
    def begin(self) -> Iterator[Any]:
        start = time.perf_counter()
        self._rec.add("listener start", start, start)
        with self._engine.begin() as conn:
            yield conn
        self._rec.add("db work", start, time.perf_counter())


def call_wsgi(wsgi: Callable[..., Any], body: bytes) -> tuple[str, bytes]:
    ts = str(int(time.time()))
    digest = hmac.new(bench.SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
        "HTTP_X_SLACK_SIGNATURE": f"v0={digest}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    status: list[str] = []

    def start_response(s: str, _headers: list[Any], _exc: Any = None) -> None:
        status.append(s)

    answer = b"".join(wsgi(environ, start_response))
    return status[0], answer


def split(spans: list[Span], t0: float, t_end: float, request_thread: int) -> dict[str, Any]:
    """One request's steps in milliseconds (counts as numbers; ``statements`` the round trips in order)."""
    listener_start = next(s for s in spans if s.name == "listener start")
    db = next(s for s in spans if s.name == "db work")
    in_db = [
        s
        for s in spans
        if s.name.startswith("sql ") and s.thread == listener_start.thread and db.start <= s.start <= db.end
    ]
    checks = [s for s in spans if s.thread == request_thread and s.name == "signature check"]
    shape = [s for s in spans if s.thread == request_thread and s.name == "payload shape check"]

    def ms(seconds: float) -> float:
        return seconds * 1000.0

    def took(group: list[Span]) -> float:
        return sum(s.end - s.start for s in group)

    return {
        "total": ms(t_end - t0),
        "request thread: signature checks": ms(took(checks)),
        "  number of signature checks": len(checks),
        "request thread: payload shape check (web.py)": ms(took(shape)),
        "request thread: rest until the listener runs": ms(
            listener_start.start - t0 - took(checks) - took(shape)
        ),
        "listener before the database": ms(db.start - listener_start.start),
        "database work": ms(db.end - db.start),
        "  round trips (statements, ping, commit)": ms(took(in_db)),
        "  ORM / Python between them": ms(db.end - db.start - took(in_db)),
        "  number of round trips": len(in_db),
        "ack() -> response (Bolt's 10 ms ack poll)": ms(t_end - db.end),
        "statements": [s.name[len("sql ") :] for s in in_db],
    }


def split_command(spans: list[Span], sent: float, at_fake: float) -> dict[str, Any]:
    """One `/meeting`: milliseconds from sending it (``sent``, perf_counter) to views.open at the fake."""
    views_open = next(s for s in spans if s.name == "views.open")
    refresh = [s for s in spans if s.name == "profile refresh"]
    in_refresh = [
        s
        for s in spans
        if s.name.startswith("sql ")
        and any(r.thread == s.thread and r.start <= s.start <= r.end for r in refresh)
    ]
    return {
        "total (send -> views.open at the fake)": (at_fake - sent) * 1000,
        "app work before views.open is called": (views_open.start - sent) * 1000,
        "views.open: client + HTTP until the fake has it": (at_fake - views_open.start) * 1000,
        "after views.open: profile refresh": sum(r.end - r.start for r in refresh) * 1000,
        "  number of round trips in it": len(in_refresh),
    }


def print_rows(title: str, results: dict[str, list[dict[str, Any]]]) -> None:
    print(title)
    print(f"{'':52}{'ours':>16}{'bare':>16}")
    for step in results["ours"][0]:
        if step == "statements":
            continue
        cells = []
        for name in ("ours", "bare"):
            values = sorted(r[step] for r in results[name])
            if step.startswith("  number"):
                cells.append(f"{statistics.median(values):16.0f}")
            else:
                p95 = bench.percentile(values, 95)
                cells.append(f"{statistics.median(values):9.2f} ({p95:5.1f})")
        print(f"{step:52}{cells[0]}{cells[1]}")


def run(args: argparse.Namespace) -> None:
    rec = Recorder()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nextstep-breakdown-")))
        label, ours_url, bare_url = stack.enter_context(bench.databases(args.database_url, tmp))
        upgrade(ours_url)
        fake = stack.enter_context(FakeSlack())
        fake.add_workspace(team_id=bench.TEAM, name="Acme Sales", bot_token=bench.TOKEN, bot_user_id="UBOT")
        fake.add_user(bench.TEAM, "U1", "u1", tz="Europe/Berlin")
        fake.add_user(bench.TEAM, "UB1", "ub1", tz="Europe/Berlin")

        ours_engine = make_engine(ours_url)
        stack.callback(ours_engine.dispose)
        hook_engine(ours_engine, rec)
        config = Config(
            signing_secret=bench.SECRET,
            database_url=ours_url,
            slack_api_url=fake.api_url,
            bot_token=bench.TOKEN,
        )
        app, deps = create_app(config, ours_engine)
        ours_wsgi = make_wsgi_app(app, deps)

        bare_engine = bare_app.make_engine(bare_url)
        stack.callback(bare_engine.dispose)
        bare_app.metadata.create_all(bare_engine)
        hook_engine(bare_engine, rec)
        bare_bolt = bare_app.build_app(bench.SECRET, bench.TOKEN, fake.api_url, TimedEngine(bare_engine, rec))  # type: ignore[arg-type]
        bare_wsgi = SlackRequestHandler(bare_bolt)

        # The modal is opened and filled through our app over HTTP, as in ack_latency.py.
        server = BackgroundServer(ours_wsgi).start()
        stack.callback(server.stop)
        view = bench.filled_meeting_view(fake, f"{server.url}/slack/events", "U1", "Acme Corp")
        persona = bench.Persona("U1", view)

        profiler = cProfile.Profile() if args.cprofile else None
        stack.enter_context(hooked(rec, profiler))
        results: dict[str, list[dict[str, float]]] = {"ours": [], "bare": []}
        dms = 0
        for i in range(bench.WARMUP + args.requests):
            for name, wsgi in (("ours", ours_wsgi), ("bare", bare_wsgi)):
                body = bench.submission_body(fake, persona)
                rec.take()
                t0 = time.perf_counter()
                status, answer = call_wsgi(wsgi, body)
                t_end = time.perf_counter()
                if not status.startswith("200") or answer.strip():
                    raise bench.BenchmarkFailed(f"{name}: submission answered {status}: {answer[:300]!r}")
                if name == "ours":
                    dms += 1
                    fake.wait_until(lambda dms=dms: bench.dms_sent(fake) >= dms, timeout=10)
                fake.wait_idle(quiet=bench.SETTLE)
                if i >= bench.WARMUP:
                    results[name].append(split(rec.take(), t0, t_end, threading.get_ident()))
        commands: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
        for i in range(bench.WARMUP + args.requests):
            for name, wsgi, user_id in (("ours", ours_wsgi, "U1"), ("bare", bare_wsgi, "UB1")):
                body, trigger = bench.slash_body(fake, user_id)
                rec.take()
                sent_wall, sent = fake.wall_clock(), time.perf_counter()
                status, answer = call_wsgi(wsgi, body)
                if not status.startswith("200"):
                    raise bench.BenchmarkFailed(f"{name}: /meeting answered {status}: {answer[:300]!r}")
                call = bench.views_open_for(fake, trigger)
                # Ours refreshes the profile after views.open, out of the fake's sight: wait for it too.
                spans = rec.wait_for("views.open", "profile refresh" if name == "ours" else "views.open")
                fake.wait_idle(quiet=bench.SETTLE)
                if i >= bench.WARMUP:
                    commands[name].append(split_command(spans, sent, sent + call.at - sent_wall))

    print_rows(
        f"(b) where a submission's ack time goes, median (p95) over {args.requests}, in-process, {label} (ms)",
        results,
    )
    for name in ("ours", "bare"):
        print(f"{name}'s round trips, in order: {', '.join(results[name][-1]['statements'])}")
    print()
    print_rows(
        f"(a) where /meeting -> views.open goes, median (p95) over {args.requests}, in-process, {label} (ms)",
        commands,
    )
    if profiler is not None:
        print(f"\ncProfile of ours' log_meeting ({args.requests + bench.WARMUP} calls), top {args.cprofile}:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite in a temp dir)")
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        metavar="N",
        help="also print the N costliest calls under log_meeting",
    )
    args = parser.parse_args(argv)
    try:
        run(args)
    except bench.BenchmarkFailed as error:
        print(f"\nbreakdown failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
