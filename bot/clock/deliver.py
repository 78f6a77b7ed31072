"""The sweep's second half: group claimed nudges into one DM per rep and send them, workspaces in parallel (see bot.clock.sweep)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock.departures import rep_left, workspace_dead
from bot.clock.report import Outbox, SweepReport, stopping
from bot.domain.nudge_kinds import kind_row
from bot.domain.vocabulary import RepStatus
from bot.services.nudge_context import (
    calendar_of,
    holidays_of,
    is_paused,
    nudge_item,
    nudge_subject,
    subject_state,
    window_of,
)
from bot.services.reps import apply_profile, profile_is_stale
from bot.slack.blocks.nudge_dm import nudge_message
from bot.slack.outbox import DeliveryError
from models import Account, Deal, NextStep, Nudge, Rep, Workspace

log = logging.getLogger("nextstep.sweep")

# SQLite only: how long a clock's take of a rep's nudges keeps other clocks off them.
DELIVERY_LEASE = timedelta(minutes=1)
MAX_ATTEMPTS = 5


def _pending(now: datetime) -> Any:
    return (
        Nudge.sent_at.is_(None),
        Nudge.gave_up_at.is_(None),
        or_(Nudge.next_attempt_at.is_(None), Nudge.next_attempt_at <= now),
    )


class Workspaces:
    """Each workspace's settings and holidays, read once per sweep for all its reps (both halves).

    The rows are read in a session of their own and kept detached (plain values, thread-safe to
    share); a workspace whose token dies during the sweep is forgotten, so it is read again.
    """

    def __init__(self, session_factory: sessionmaker[Session]):
        self._session_factory = session_factory
        self._known: dict[str, tuple[Workspace | None, frozenset[date]]] = {}
        self._lock = threading.Lock()

    def get(self, team_id: str) -> tuple[Workspace | None, frozenset[date]]:
        with self._lock:
            found = self._known.get(team_id)
        if found is None:
            with self._session_factory() as session:
                found = (session.get(Workspace, team_id), holidays_of(session, team_id))
            with self._lock:
                self._known[team_id] = found
        return found

    def forget(self, team_id: str) -> None:
        with self._lock:
            self._known.pop(team_id, None)


def deliver(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    *,
    now: datetime,
    report: SweepReport,
    max_workers: int = 8,
    worker: str = "clock",
    stop: threading.Event | None = None,
    known: Workspaces | None = None,
) -> None:
    with session_factory() as session:
        groups = session.execute(select(Nudge.team_id, Nudge.rep_id).where(*_pending(now)).distinct()).all()
    by_team: dict[str, list[int]] = defaultdict(list)
    for team_id, rep_id in groups:
        by_team[team_id].append(rep_id)
    if not by_team:
        return
    known = known or Workspaces(session_factory)
    with ThreadPoolExecutor(max_workers=min(max_workers, len(by_team))) as pool:
        futures = [
            pool.submit(
                _deliver_team, session_factory, outbox, known, team_id, sorted(reps), now, worker, stop
            )
            for team_id, reps in by_team.items()
        ]
        for future in futures:
            try:
                report.add(future.result())
            except Exception:
                log.exception("delivery failed for a workspace")


def _deliver_team(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    known: Workspaces,
    team_id: str,
    rep_ids: list[int],
    now: datetime,
    worker: str,
    stop: threading.Event | None = None,
) -> SweepReport:
    report = SweepReport()
    workspace, holidays = known.get(team_id)  # read once for all its reps in this sweep
    if workspace is None:
        return report  # removed since the nudges were planned (their rows went with it)
    with _one_connection(session_factory) as sessions:
        for rep_id in rep_ids:
            if stopping(stop, report):
                break
            try:
                _deliver_rep(sessions, outbox, workspace, holidays, rep_id, now, report, worker, stop)
            except DeliveryError as error:
                if error.kind != "dead_token":
                    raise
                workspace_dead(session_factory, team_id, error.reason, now, report)
                known.forget(team_id)
                break
            except Exception:
                log.exception("delivery failed team=%s rep=%s", team_id, rep_id)
    return report


@contextmanager
def _one_connection(session_factory: sessionmaker[Session]) -> Iterator[Callable[[], Session]]:
    """Sessions on one connection for a worker's whole run: a rep's transaction does not check a
    connection out of the pool (and ping it, pool_pre_ping) again. Each session still begins and
    commits its own transaction on it."""
    engine = session_factory.kw.get("bind")
    if not isinstance(engine, Engine):
        yield session_factory
        return
    with engine.connect() as connection:
        yield partial(session_factory, bind=connection)


def _deliver_rep(
    session_factory: Callable[[], Session],
    outbox: Outbox,
    workspace: Workspace,
    holidays: frozenset[date],
    rep_id: int,
    now: datetime,
    report: SweepReport,
    worker: str = "clock",
    stop: threading.Event | None = None,
) -> None:
    token = f"{worker}:{uuid.uuid4().hex[:8]}"[:64]
    team_id = workspace.team_id
    with session_factory() as session:
        # PostgreSQL: one statement takes the rows and reads all the DM needs (the rep, each
        # nudge's step, deal and account): SELECT ... FOR UPDATE OF nudges SKIP LOCKED holds
        # their row locks until the commit after the send (another clock skips them); a process
        # that dies rolls the take back at once.
        # SQLite has one writer for the whole database: holding it through a Slack call would
        # stall the web app's writes, so there the take is a one-minute lease, an UPDATE committed
        # at once (next_attempt_at hides the rows from other clocks; a dead clock's rows come
        # back after), then the same read of the rows that lease took.
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            session.execute(
                _LEASE,
                {
                    "of_team": team_id,
                    "of_rep": rep_id,
                    "now": now,
                    "token": token,
                    "until": now + DELIVERY_LEASE,
                },
            )
            session.commit()
            rows = session.execute(_LEASED, {"token": token}).all()
        else:
            rows = session.execute(_TAKE, {"of_team": team_id, "of_rep": rep_id, "now": now}).all()
        if not rows:
            session.rollback()
            return  # delivered meanwhile, or another clock is sending them now
        nudges: list[Nudge] = [row[0] for row in rows]
        rep: Rep = rows[0][1]
        if rep.status == RepStatus.LEFT:
            rep_left(session, rep, nudges, "already left", now, report)
            session.commit()
            return
        if profile_is_stale(rep, now):
            try:
                profile = outbox.profile(team_id, rep.user_id)
            except DeliveryError as error:
                if error.kind == "user_gone":
                    rep_left(session, rep, nudges, error.reason, now, report)
                    session.commit()
                    return
                raise
            if profile.deleted:
                rep_left(session, rep, nudges, "deactivated", now, report)
                session.commit()
                return
            apply_profile(session, team_id, profile, now)
        cal = calendar_of(session, workspace, rep, holidays)
        later = None
        if is_paused(rep, cal, now):
            assert rep.paused_until is not None
            later = cal.next_working_moment(cal.at_local(rep.paused_until + timedelta(days=1), time(0)))
        elif not cal.is_working(now):
            # Never outside the rep's working hours, whatever was planned (a zone that changed,
            # a clock catching up at night): hold the DM until their next working moment.
            later = cal.next_working_moment(now)
        if later is not None:
            for nudge in nudges:
                nudge.next_attempt_at = later
            session.commit()
            return
        stale = [n for n in nudges if not _still_wanted(session, n)]
        for nudge in stale:  # booked, rescheduled, logged or closed since it was claimed
            nudge.gave_up_at, nudge.last_error = now, "no longer needed"
        nudges = [n for n in nudges if n not in stale]
        if not nudges:
            session.commit()
            return
        try:
            items = [nudge_item(session, nudge, workspace, now) for nudge in nudges]
            order = sorted(
                range(len(items)), key=lambda i: (kind_row(items[i].kind).priority, nudges[i].due_at)
            )
            text, blocks = nudge_message([items[i] for i in order], cal.tz)
        except Exception as error:
            # A message we cannot build must not be retried every minute forever.
            log.exception("nudge DM for %s/%s could not be built", team_id, rep.user_id)
            _failed(nudges, type(error).__name__, now, report)
            session.commit()
            return
        if stopping(stop, report):
            # Stopping before this DM left: give its rows back (PostgreSQL: the rollback frees
            # their locks; SQLite: the lease is lifted) so the next sweep sends it at once.
            session.rollback()
            if sqlite:
                session.execute(
                    update(Nudge)
                    .where(Nudge.claimed_by == token, Nudge.sent_at.is_(None), Nudge.gave_up_at.is_(None))
                    .values(next_attempt_at=None)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
            report.released += len(nudges)
            return
        try:
            channel, ts = outbox.post_dm(team_id, rep.user_id, text, blocks)
        except DeliveryError as error:
            if error.kind == "user_gone":
                rep_left(session, rep, nudges, error.reason, now, report)
                session.commit()
                return
            if error.kind == "dead_token":
                session.rollback()
                raise
            _failed(nudges, error.reason, now, report)
            log.warning(
                "nudge DM to %s/%s failed (%s); attempt %d",
                team_id,
                rep.user_id,
                error.reason,
                nudges[0].attempts,
            )
            session.commit()
            return
        # One UPDATE for the rep's rows, whatever their number (the ORM would write one per row).
        session.execute(
            _MARK_SENT,
            {"ids": [n.id for n in nudges], "sent_at_": now, "channel_id_": channel, "message_ts_": ts},
        )
        session.commit()
        report.sent += len(nudges)
        report.messages += 1


def _with_context(*where: Any) -> Any:
    """The nudges, each with its rep, step, deal and account: one query loads the session's identity
    map, so ``nudge_subject`` and ``nudge_item`` read them from there without a statement of their own."""
    return (
        select(Nudge, Rep, NextStep, Deal, Account)
        .join(Rep, Rep.id == Nudge.rep_id)
        .outerjoin(NextStep, NextStep.id == Nudge.next_step_id)
        .outerjoin(Deal, Deal.id == func.coalesce(Nudge.deal_id, NextStep.deal_id))
        .outerjoin(Account, Account.id == Deal.account_id)
        .where(*where)
        .order_by(Nudge.due_at, Nudge.id)
    )


# The statements a rep's delivery runs, built once (their cache keys too): parameters by name.
_UNSENT = (Nudge.sent_at.is_(None), Nudge.gave_up_at.is_(None))
_DUE = or_(Nudge.next_attempt_at.is_(None), Nudge.next_attempt_at <= bindparam("now"))
_THE_REP = (Nudge.team_id == bindparam("of_team"), Nudge.rep_id == bindparam("of_rep"))
_TAKE = _with_context(*_THE_REP, *_UNSENT, _DUE).with_for_update(of=Nudge, skip_locked=True)
_LEASE = (
    update(Nudge)
    .where(Nudge.id.in_(select(Nudge.id).where(*_THE_REP, *_UNSENT, _DUE).scalar_subquery()))
    .values(
        claimed_by=bindparam("token"), next_attempt_at=bindparam("until", type_=Nudge.next_attempt_at.type)
    )
    .execution_options(synchronize_session=False)
)
_LEASED = _with_context(Nudge.claimed_by == bindparam("token"), *_UNSENT)
_nudges = cast(Table, Nudge.__table__)
_MARK_SENT = (
    update(_nudges)
    .where(_nudges.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        sent_at=bindparam("sent_at_", type_=_nudges.c.sent_at.type),
        channel_id=bindparam("channel_id_", type_=_nudges.c.channel_id.type),
        message_ts=bindparam("message_ts_", type_=_nudges.c.message_ts.type),
        next_attempt_at=None,
        attempts=_nudges.c.attempts + 1,
        last_error=None,
    )
)


def _still_wanted(session: Session, nudge: Nudge) -> bool:
    """Does the nudge still say something true about its step or deal?"""
    subject = nudge_subject(session, nudge)
    return subject is not None and kind_row(nudge.kind).still_true(subject_state(subject), window_of(nudge))


def _failed(nudges: list[Nudge], reason: str, now: datetime, report: SweepReport) -> None:
    """One more failed attempt: back off (2, 4, 8, 16 minutes), then give up with the reason."""
    for nudge in nudges:
        nudge.attempts += 1
        nudge.last_error = reason[:255]
        if nudge.attempts >= MAX_ATTEMPTS:
            nudge.gave_up_at = now
            report.gave_up += 1
        else:
            nudge.next_attempt_at = now + timedelta(minutes=2**nudge.attempts)
    report.failed += len(nudges)
