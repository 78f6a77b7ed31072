"""The clock process: one sweep a minute with APScheduler 3, or one sweep as of an instant (`tick`).

APScheduler only says *when* to sweep; *what* is due, and what was missed while the clock
was down, comes from the database. Its job store is in memory and never shared, so two
clock processes (or a restarted one) cannot double-run a job: the sweep's claims decide.

SIGTERM (Heroku sends it on every deploy and daily restart, then waits 30 s) stops the
sweep from claiming or sending more; the DM in flight finishes or times out (10 s), what
was sent is recorded, what was claimed and not sent is left for the next sweep, one line
says so, and the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.clock.deliver import _pending
from bot.clock.report import SweepReport
from bot.clock.sweep import sweep
from bot.config import Config
from bot.runtime.readiness import require_database
from bot.services.permissions import Admins
from bot.slack.outbox import Limits, SlackOutbox
from bot.slack.tokens import token_source
from models import Nudge, make_engine, make_session_factory

log = logging.getLogger("nextstep.clock")

# An idle clock says it is alive this often (a sweep that did something says so itself).
HEARTBEAT = timedelta(hours=1)
# How long a stopping clock waits for the sweep in progress (the Slack call in flight times
# out after 10 s); Heroku kills the process 30 s after SIGTERM.
STOP_GRACE_SECONDS = 20


def utcnow() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def summary(report: SweepReport) -> str:
    return (
        f"claimed {report.claimed}, sent {report.sent} in {report.messages} DMs, failed {report.failed}, "
        f"gave up {report.gave_up}, escalated {report.escalated}"
    )


def run_sweep(
    config: Config, engine: Engine, now: datetime, stop: threading.Event | None = None
) -> SweepReport:
    outbox = SlackOutbox(
        config.slack_api_url,
        token_source(config, engine),
        Limits(per_workspace_per_second=config.workspace_rate),
        stop=stop,
    )
    report = sweep(
        make_session_factory(engine),
        outbox,
        now=now,
        worker=worker_name(),
        wall_clock=utcnow,
        admins=Admins.of(config),
        stop=stop,
    )
    if report.did_something:  # an idle sweep is silent at INFO
        log.info("sweep as of %s: %s", now.isoformat(), summary(report))
    else:
        log.debug("sweep as of %s: nothing due", now.isoformat())
    return report


def left_for_next_sweep(engine: Engine, now: datetime) -> int:
    with make_session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Nudge).where(*_pending(now))) or 0)


def log_stopped(engine: Engine, report: SweepReport, now: datetime, signame: str) -> None:
    try:
        left = str(left_for_next_sweep(engine, now))
    except SQLAlchemyError:
        left = "unknown"
    log.info(
        "stopped on %s: sent %d nudges in %d DMs and recorded them; released %d taken for a DM not sent; "
        "%s claimed nudges left for the next sweep",
        signame,
        report.sent,
        report.messages,
        report.released,
        left,
    )


@contextmanager
def stop_on_signals(stop: threading.Event, received: list[str]) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` instead of killing the process (main thread only)."""

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def tick(config: Config, at: datetime) -> SweepReport:
    """One sweep as of ``at`` (operators catch up with it; tests drive time with it)."""
    engine = make_engine(config.database_url)
    stop, received = threading.Event(), list[str]()
    try:
        require_database(engine)
        with stop_on_signals(stop, received):
            report = run_sweep(config, engine, at, stop)
            if report.stopped:
                log_stopped(engine, report, at, received[0] if received else "stop")
            return report
    finally:
        engine.dispose()


class _ClockJob:
    """The minute's sweep: failures logged once (not a traceback a minute), an hourly heartbeat."""

    def __init__(self, config: Config, engine: Engine, stop: threading.Event):
        self.config, self.engine, self.stop = config, engine, stop
        self.idle = threading.Event()
        self.idle.set()
        self.failing: str | None = None
        self.last_heartbeat = utcnow()
        self.sweeps = 0
        self.last: SweepReport | None = None
        self.last_at: datetime | None = None

    def __call__(self) -> None:
        if self.stop.is_set():
            return
        self.idle.clear()
        try:
            now = utcnow()
            self.last = run_sweep(self.config, self.engine, now, self.stop)
            self.last_at = now
            self.sweeps += 1
            if self.failing is not None:
                log.info("sweeps resumed after: %s", self.failing)
                self.failing = None
            if now - self.last_heartbeat >= HEARTBEAT:
                log.info("clock alive: %d sweeps in the last hour", self.sweeps)
                self.last_heartbeat, self.sweeps = now, 0
        except SQLAlchemyError as error:
            reason = f"database error ({type(error).__name__})"
            if reason != self.failing:
                log.error("sweep failed: %s; the next sweep starts from the database again", reason)
            self.failing = reason
        except Exception as error:
            reason = type(error).__name__
            if reason != self.failing:
                log.exception("sweep failed; the next one starts from the database again")
            self.failing = reason
        finally:
            self.idle.set()


def run_clock(config: Config) -> None:
    """Sweep every minute until SIGTERM; a sweep still running when the next is due is not doubled."""
    engine = make_engine(config.database_url)
    try:
        require_database(engine)  # one line and exit, not a traceback a minute
        stop, received = threading.Event(), list[str]()
        job = _ClockJob(config, engine, stop)
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            job,
            IntervalTrigger(minutes=1),
            id="sweep",
            coalesce=True,
            max_instances=1,
            next_run_time=utcnow(),
            misfire_grace_time=30,
        )
        with stop_on_signals(stop, received):
            log.info("clock started (%s)", config.redacted())
            scheduler.start()
            while not stop.wait(1):
                pass
            scheduler.shutdown(wait=False)
            finished = job.idle.wait(STOP_GRACE_SECONDS)
        report = job.last or SweepReport()
        if not finished:
            log.warning("stopped on %s with a sweep still running after %ss", received[0], STOP_GRACE_SECONDS)
        elif report.stopped:
            log_stopped(engine, report, job.last_at or utcnow(), received[0])
        else:
            log.info("stopped on %s between sweeps; nothing was in progress", received[0])
    finally:
        engine.dispose()
