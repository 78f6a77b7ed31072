"""The clock process: one sweep a minute with APScheduler 3, or one sweep as of an instant (`tick`).

APScheduler only says *when* to sweep; *what* is due, and what was missed while the clock
was down, comes from the database. Its job store is in memory and never shared, so two
clock processes (or a restarted one) cannot double-run a job: the sweep's claims decide.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot.clock.report import SweepReport
from bot.clock.sweep import sweep
from bot.config import Config
from bot.services.permissions import Admins
from bot.slack.outbox import Limits, SlackOutbox
from bot.slack.tokens import token_source
from models import make_engine, make_session_factory

log = logging.getLogger("nextstep.clock")


def utcnow() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_sweep(config: Config, engine: Engine, now: datetime) -> SweepReport:
    outbox = SlackOutbox(
        config.slack_api_url,
        token_source(config, engine),
        Limits(per_workspace_per_second=config.workspace_rate),
    )
    report = sweep(
        make_session_factory(engine),
        outbox,
        now=now,
        worker=worker_name(),
        wall_clock=utcnow,
        admins=Admins.of(config),
    )
    log.info(
        "sweep as of %s: claimed %d, sent %d in %d DMs, failed %d, gave up %d, escalated %d",
        now.isoformat(),
        report.claimed,
        report.sent,
        report.messages,
        report.failed,
        report.gave_up,
        report.escalated,
    )
    return report


def tick(config: Config, at: datetime) -> SweepReport:
    """One sweep as of ``at`` (operators catch up with it; tests drive time with it)."""
    engine = make_engine(config.database_url)
    try:
        return run_sweep(config, engine, at)
    finally:
        engine.dispose()


def run_clock(config: Config) -> None:
    """Sweep every minute until stopped; a sweep still running when the next is due is not doubled."""
    engine = make_engine(config.database_url)
    scheduler = BlockingScheduler(timezone=UTC)

    def job() -> None:
        try:
            run_sweep(config, engine, utcnow())
        except Exception:
            log.exception("sweep failed; the next one starts from the database again")

    scheduler.add_job(
        job,
        IntervalTrigger(minutes=1),
        id="sweep",
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
        misfire_grace_time=30,
    )
    log.info("clock started (%s)", config.redacted())
    try:
        scheduler.start()
    finally:
        engine.dispose()
