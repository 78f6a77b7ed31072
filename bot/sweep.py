"""The clock's sweep: what is due comes from the database, is claimed there, then delivered.

1. Plan and claim. Candidates are the next steps and deals whose check time has passed
   (``ix_next_steps_nudge_check_at``, ``ix_deals_stall_check_at``), so the cost follows
   what is due, not the size of the history. Per rep, under a row lock taken with SKIP
   LOCKED (a second clock skips that rep), the rules of ``bot.nudges`` decide what is due;
   each due nudge is inserted under its unique key (team, kind, subject, window): the claim.
2. Deliver. Claimed, unsent nudges are grouped into one DM per rep and sent, workspaces in
   parallel, each paced to Slack's limits. The nudge rows are locked (SKIP LOCKED) while
   their DM is sent and marked sent in the same transaction.

Two windows for a duplicate, both kept as small as the design allows:
- the process dies after Slack accepted the message and before that transaction commits:
  the rows stay unsent and go out again on the next sweep (the commit follows the send
  directly, so the window is one round trip to the database);
- a post times out after Slack accepted it: it is not retried on the spot (a timeout is
  only retried for reads), but the sweep retries it after its backoff.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.nudge_dm import NudgeItem, nudge_message
from bot.delivery import DeliveryError
from bot.nudges import NudgeSettings, PastNudge, Plan, plan_booked, plan_stalled, plan_unscheduled
from bot.purge import purge_uninstalled
from bot.reps import SlackProfile, apply_profile, profile_is_stale, zone
from bot.vocabulary import DealStatus, NextStepStatus, NudgeKind, RepStatus
from bot.weekly import post_due_leaderboards
from bot.worktime import NoWorkingTime, WorkCalendar, parse_days
from models import Account, ClockSweep, Deal, Holiday, NextStep, Nudge, Rep, Workspace

log = logging.getLogger("nextstep.sweep")

BATCH = 2000
# When something is due for a rep, what falls due in the next few minutes joins the same DM.
GROUP_WINDOW = timedelta(minutes=15)
# SQLite only: how long a clock's take of a rep's nudges keeps other clocks off them.
DELIVERY_LEASE = timedelta(minutes=1)
MAX_ATTEMPTS = 5
PRIORITY = {NudgeKind.OVERDUE: 0, NudgeKind.UNSCHEDULED: 1, NudgeKind.STALLED: 2, NudgeKind.PREP: 3}


class Outbox(Protocol):
    def post_dm(
        self, team_id: str, user_id: str, text: str, blocks: list[dict[str, Any]]
    ) -> tuple[str, str]: ...

    def profile(self, team_id: str, user_id: str) -> SlackProfile: ...


@dataclass
class SweepReport:
    claimed: int = 0
    escalated: int = 0
    sent: int = 0
    messages: int = 0
    failed: int = 0
    gave_up: int = 0
    # A stop was asked for (SIGTERM): nudges taken for a DM that was not sent yet went back.
    released: int = 0
    stopped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return any((self.claimed, self.escalated, self.sent, self.failed, self.gave_up, self.released))

    def add(self, other: SweepReport) -> None:
        self.stopped = self.stopped or other.stopped
        for name in ("claimed", "escalated", "sent", "messages", "failed", "gave_up", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes


def settings_of(workspace: Workspace) -> NudgeSettings:
    return NudgeSettings(
        first_after=timedelta(minutes=workspace.unscheduled_first_after_minutes),
        every_working_days=workspace.unscheduled_every_working_days,
        max_nudges=workspace.unscheduled_max_nudges,
        overdue_after=timedelta(minutes=workspace.overdue_after_minutes),
        stalled_after=timedelta(days=workspace.stalled_after_days),
    )


def calendar_of(session: Session, workspace: Workspace, rep: Rep) -> WorkCalendar:
    holidays = session.scalars(select(Holiday.day).where(Holiday.team_id == workspace.team_id)).all()
    return WorkCalendar(
        tz=zone(rep.timezone),
        start=workspace.work_start,
        end=workspace.work_end,
        days=parse_days(workspace.work_days),
        holidays=frozenset(holidays),
    )


def resume_floor(rep: Rep, cal: WorkCalendar) -> datetime | None:
    """Nothing is due before the end of the rep's last pause."""
    floors = [rep.resumed_at] if rep.resumed_at else []
    if rep.paused_until is not None:
        floors.append(cal.at_local(rep.paused_until + timedelta(days=1), time(0)))
    return max(floors) if floors else None


def is_paused(rep: Rep, cal: WorkCalendar, now: datetime) -> bool:
    return rep.paused_until is not None and cal.local_date(now) <= rep.paused_until


def _stopping(stop: threading.Event | None, report: SweepReport) -> bool:
    if stop is not None and stop.is_set():
        report.stopped = True
    return report.stopped


def sweep(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    *,
    now: datetime,
    worker: str,
    wall_clock: Callable[[], datetime],
    max_workers: int = 8,
    stop: threading.Event | None = None,
) -> SweepReport:
    """One sweep as of ``now``: claim what is due, deliver what is claimed, record the sweep.

    When ``stop`` is set (SIGTERM) the sweep claims no more reps and takes no more DMs; a DM
    in flight finishes (or times out) and is recorded; what was claimed and not sent stays
    claimed for the next sweep, with nothing held.
    """
    started = wall_clock()
    report = SweepReport()
    plan_and_claim(session_factory, now=now, worker=worker, report=report, outbox=outbox, stop=stop)
    if not _stopping(stop, report):
        deliver(
            session_factory, outbox, now=now, report=report, max_workers=max_workers, worker=worker, stop=stop
        )
    if not _stopping(stop, report):
        # The weekly leaderboards and digests that are due (claimed once, like nudges).
        post_due_leaderboards(session_factory, outbox, now=now)
        purge_uninstalled(session_factory, now)
    with session_factory() as session:
        session.add(
            ClockSweep(
                worker=worker[:64],
                as_of=now,
                started_at=started,
                finished_at=wall_clock(),
                claimed=report.claimed,
                sent=report.sent,
                failed=report.failed,
            )
        )
        session.commit()
    return report


# ---------------------------------------------------------------- plan and claim


def plan_and_claim(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    worker: str,
    report: SweepReport,
    outbox: Outbox | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Claim every nudge due as of ``now``; with an outbox, stale rep profiles are refreshed first."""
    seen_steps: set[int] = set()
    seen_deals: set[int] = set()
    while True:
        with session_factory() as session:
            steps = session.execute(
                select(NextStep.rep_id, NextStep.id)
                .where(NextStep.nudge_check_at <= now + GROUP_WINDOW)
                .order_by(NextStep.nudge_check_at)
                .limit(BATCH)
            ).all()
            deals = session.execute(
                select(Deal.owner_rep_id, Deal.id)
                .where(Deal.stall_check_at <= now + GROUP_WINDOW)
                .order_by(Deal.stall_check_at)
                .limit(BATCH)
            ).all()
        fresh_steps = [(r, i) for r, i in steps if i not in seen_steps]
        fresh_deals = [(r, i) for r, i in deals if i not in seen_deals]
        if not fresh_steps and not fresh_deals:
            return
        by_rep: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for rep_id, step_id in fresh_steps:
            by_rep[rep_id][0].append(step_id)
            seen_steps.add(step_id)
        for rep_id, deal_id in fresh_deals:
            by_rep[rep_id][1].append(deal_id)
            seen_deals.add(deal_id)
        for rep_id, (step_ids, deal_ids) in by_rep.items():
            if _stopping(stop, report):
                return
            try:
                if outbox is not None:
                    _refresh_profile(session_factory, outbox, rep_id, now, report)
                _claim_for_rep(
                    session_factory, rep_id, step_ids, deal_ids, now=now, worker=worker, report=report
                )
            except (IntegrityError, OperationalError) as error:
                # Another clock claimed this rep's nudges first (their unique key), or held the
                # database (SQLite): nothing was written here; the next sweep looks again.
                log.info("rep %s planned by another clock (%s)", rep_id, type(error).__name__)
            except Exception:
                # One rep's bad data must not stop the sweep for the others.
                log.exception("planning failed for rep %s", rep_id)
        if len(steps) < BATCH and len(deals) < BATCH:
            return


def _refresh_profile(
    session_factory: sessionmaker[Session], outbox: Outbox, rep_id: int, now: datetime, report: SweepReport
) -> None:
    """Working hours are the rep's own: know their Slack timezone (refreshed daily) before planning."""
    with session_factory() as session:
        rep = session.get(Rep, rep_id)
        if rep is None or rep.status == RepStatus.LEFT or not profile_is_stale(rep, now):
            return
        workspace = session.get(Workspace, rep.team_id)
        if workspace is None or workspace.tokens_revoked_at is not None:
            return
        try:
            profile = outbox.profile(rep.team_id, rep.user_id)
        except DeliveryError as error:
            if error.kind == "user_gone":
                _rep_left(session, rep, [], error.reason, now, report)
                session.commit()
            elif error.kind == "dead_token":
                session.rollback()
                _workspace_dead(session_factory, rep.team_id, error.reason, now, report)
            # other faults: plan in the zone we last knew; delivery refreshes again
            return
        if profile.deleted:
            _rep_left(session, rep, [], "deactivated", now, report)
        else:
            apply_profile(session, rep.team_id, profile, now)
        session.commit()


def _history(session: Session, team_id: str, subjects: list[str]) -> dict[str, list[tuple[str, PastNudge]]]:
    rows = session.scalars(
        select(Nudge).where(Nudge.team_id == team_id, Nudge.subject_key.in_(subjects))
    ).all()
    found: dict[str, list[tuple[str, PastNudge]]] = defaultdict(list)
    for n in rows:
        found[n.subject_key].append(
            (
                n.kind,
                PastNudge(
                    window_key=n.window_key
                    if n.kind == NudgeKind.UNSCHEDULED
                    else f"{n.kind}:{n.window_key}",
                    claimed_at=n.claimed_at or n.due_at,
                    sent_at=n.sent_at,
                    snoozed_until=n.snoozed_until,
                    escalated_at=n.escalated_at,
                    gave_up=n.gave_up_at is not None,
                ),
            )
        )
    return found


def _claim_for_rep(
    session_factory: sessionmaker[Session],
    rep_id: int,
    step_ids: list[int],
    deal_ids: list[int],
    *,
    now: datetime,
    worker: str,
    report: SweepReport,
) -> None:
    claimed = SweepReport()  # counted once committed: another clock may win the claim
    with session_factory() as session:
        rep = session.scalar(select(Rep).where(Rep.id == rep_id).with_for_update(skip_locked=True))
        if rep is None:
            return  # another clock holds this rep; it plans for them
        steps = session.scalars(
            select(NextStep).where(NextStep.id.in_(step_ids), NextStep.nudge_check_at <= now + GROUP_WINDOW)
        ).all()
        deals = (
            []
            if not deal_ids
            else session.scalars(
                select(Deal).where(Deal.id.in_(deal_ids), Deal.stall_check_at <= now + GROUP_WINDOW)
            ).all()
        )
        workspace = session.get(Workspace, rep.team_id)
        assert workspace is not None

        def push(at: datetime | None) -> None:
            for step in steps:
                step.nudge_check_at = at
            for deal in deals:
                deal.stall_check_at = at

        if workspace.tokens_revoked_at is not None or workspace.uninstalled_at is not None:
            push(now + timedelta(days=1))  # no token: look again tomorrow (a reinstall resets this)
            session.commit()
            return
        if rep.status == RepStatus.LEFT:
            push(None)
            session.commit()
            return
        cal = calendar_of(session, workspace, rep)
        if is_paused(rep, cal, now):
            assert rep.paused_until is not None
            push(cal.at_local(rep.paused_until + timedelta(days=1), time(0)))
            session.commit()
            return
        settings = settings_of(workspace)
        floor = resume_floor(rep, cal)
        subjects = [f"step:{s.id}" for s in steps] + [f"deal:{d.id}" for d in deals]
        history = _history(session, rep.team_id, subjects)
        try:
            booked_ahead = _booked_ahead(session, deals, now)

            def plans(at: datetime) -> list[tuple[NextStep | Deal, Plan | None]]:
                return [
                    (step, _step_plan(step, history.get(f"step:{step.id}", []), cal, settings, floor, at))
                    for step in steps
                ] + [
                    (
                        deal,
                        _deal_plan(
                            deal,
                            booked_ahead.get(deal.id),
                            history.get(f"deal:{deal.id}", []),
                            cal,
                            settings,
                            floor,
                            at,
                        ),
                    )
                    for deal in deals
                ]

            planned = plans(now)
            if any(plan is not None and plan.due for _, plan in planned):
                # Something is due: what falls due in the next minutes joins the same DM.
                for subject, plan in plans(now + GROUP_WINDOW):
                    _apply(session, subject, plan, rep, now, worker, claimed)
            else:
                for subject, plan in planned:
                    check = (
                        subject.nudge_check_at if isinstance(subject, NextStep) else subject.stall_check_at
                    )
                    if check is not None and check <= now:
                        _apply(session, subject, plan, rep, now, worker, claimed)
        except NoWorkingTime:
            log.warning("workspace %s has no working time configured; no nudges", rep.team_id)
            push(now + timedelta(days=1))
        session.commit()
        report.add(claimed)


def _step_plan(
    step: NextStep,
    history: list[tuple[str, PastNudge]],
    cal: WorkCalendar,
    settings: NudgeSettings,
    floor: datetime | None,
    at: datetime,
) -> Plan | None:
    """The rules for one next step as of ``at``; None when it can no longer be nudged."""
    if step.status == NextStepStatus.UNSCHEDULED:
        past = [p for kind, p in history if kind == NudgeKind.UNSCHEDULED]
        return plan_unscheduled(
            episode_start=step.status_changed_at,
            history=past,
            cal=cal,
            settings=settings,
            now=at,
            resumed_at=floor,
        )
    if step.status == NextStepStatus.BOOKED and step.scheduled_at is not None:
        past = [p for kind, p in history if kind in (NudgeKind.PREP, NudgeKind.OVERDUE)]
        return plan_booked(
            scheduled_at=step.scheduled_at,
            booked_at=step.booked_at or step.created_at,
            history=past,
            cal=cal,
            settings=settings,
            now=at,
            resumed_at=floor,
        )
    return None


def _booked_ahead(session: Session, deals: Sequence[Deal], now: datetime) -> dict[int, datetime]:
    """Each deal's earliest booked next step still ahead (a deal with one is not stalled)."""
    if not deals:
        return {}
    rows = session.execute(
        select(NextStep.deal_id, func.min(NextStep.scheduled_at))
        .where(
            NextStep.deal_id.in_([d.id for d in deals]),
            NextStep.status == NextStepStatus.BOOKED,
            NextStep.scheduled_at > now,
        )
        .group_by(NextStep.deal_id)
    ).all()
    return {deal_id: at for deal_id, at in rows if at is not None}


def _deal_plan(
    deal: Deal,
    booked_ahead: datetime | None,
    history: list[tuple[str, PastNudge]],
    cal: WorkCalendar,
    settings: NudgeSettings,
    floor: datetime | None,
    at: datetime,
) -> Plan | None:
    if deal.status != DealStatus.OPEN:
        return None
    past = [p for kind, p in history if kind == NudgeKind.STALLED]
    return plan_stalled(
        last_activity=deal.last_meeting_at or deal.created_at,
        booked_ahead=booked_ahead,
        history=past,
        cal=cal,
        settings=settings,
        now=at,
        resumed_at=floor,
    )


def _apply(
    session: Session,
    subject: NextStep | Deal,
    plan: Plan | None,
    rep: Rep,
    now: datetime,
    worker: str,
    report: SweepReport,
) -> None:
    """Claim (or escalate) what the plan says is due, and set when to look at the subject next."""
    is_step = isinstance(subject, NextStep)
    key = f"{'step' if is_step else 'deal'}:{subject.id}"
    for due in plan.due if plan else ():
        if due.escalate:
            session.execute(
                update(Nudge)
                .where(
                    Nudge.team_id == rep.team_id,
                    Nudge.kind == NudgeKind.UNSCHEDULED,
                    Nudge.subject_key == key,
                    Nudge.window_key == due.window_key,
                )
                .values(escalated_at=now)
            )
            report.escalated += 1
            continue
        # Stored windows carry no kind prefix; the rules' keys for one-shot kinds do.
        window = due.window_key if due.kind is NudgeKind.UNSCHEDULED else due.window_key.split(":", 1)[1]
        session.add(
            Nudge(
                team_id=rep.team_id,
                kind=due.kind,
                rep_id=rep.id,
                next_step_id=subject.id if is_step else None,
                deal_id=subject.deal_id if isinstance(subject, NextStep) else subject.id,
                subject_key=key,
                window_key=window,
                due_at=due.due_at,
                claimed_at=now,
                claimed_by=worker[:64],
            )
        )
        report.claimed += 1
    next_check = plan.next_check if plan else None
    if isinstance(subject, NextStep):
        subject.nudge_check_at = next_check
    else:
        subject.stall_check_at = next_check


# ---------------------------------------------------------------- deliver


def _pending(now: datetime) -> Any:
    return (
        Nudge.sent_at.is_(None),
        Nudge.gave_up_at.is_(None),
        or_(Nudge.next_attempt_at.is_(None), Nudge.next_attempt_at <= now),
    )


def deliver(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    *,
    now: datetime,
    report: SweepReport,
    max_workers: int = 8,
    worker: str = "clock",
    stop: threading.Event | None = None,
) -> None:
    with session_factory() as session:
        groups = session.execute(select(Nudge.team_id, Nudge.rep_id).where(*_pending(now)).distinct()).all()
    by_team: dict[str, list[int]] = defaultdict(list)
    for team_id, rep_id in groups:
        by_team[team_id].append(rep_id)
    if not by_team:
        return
    with ThreadPoolExecutor(max_workers=min(max_workers, len(by_team))) as pool:
        futures = [
            pool.submit(_deliver_team, session_factory, outbox, team_id, sorted(reps), now, worker, stop)
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
    team_id: str,
    rep_ids: list[int],
    now: datetime,
    worker: str,
    stop: threading.Event | None = None,
) -> SweepReport:
    report = SweepReport()
    for rep_id in rep_ids:
        if _stopping(stop, report):
            break
        try:
            _deliver_rep(session_factory, outbox, team_id, rep_id, now, report, worker, stop)
        except DeliveryError as error:
            if error.kind != "dead_token":
                raise
            _workspace_dead(session_factory, team_id, error.reason, now, report)
            break
        except Exception:
            log.exception("delivery failed team=%s rep=%s", team_id, rep_id)
    return report


def _workspace_dead(
    session_factory: sessionmaker[Session], team_id: str, reason: str, now: datetime, report: SweepReport
) -> None:
    with session_factory() as session:
        workspace = session.get(Workspace, team_id)
        if workspace is not None and workspace.tokens_revoked_at is None:
            workspace.tokens_revoked_at = now
            log.warning(
                "workspace %s: Slack says %s; its nudges stop until it is reinstalled", team_id, reason
            )
        result = session.execute(
            update(Nudge)
            .where(Nudge.team_id == team_id, Nudge.sent_at.is_(None), Nudge.gave_up_at.is_(None))
            .values(gave_up_at=now, last_error=reason)
        )
        report.gave_up += result.rowcount or 0  # type: ignore[attr-defined]
        session.commit()


def _rep_left(
    session: Session, rep: Rep, nudges: list[Nudge], reason: str, now: datetime, report: SweepReport
) -> None:
    """users.info says they are gone: no more nudges; their open deals show up for their manager."""
    rep.status = RepStatus.LEFT
    rep.left_at = rep.left_at or now
    for nudge in nudges:
        nudge.gave_up_at, nudge.last_error = now, f"rep_left: {reason}"[:255]
    report.gave_up += len(nudges)
    log.info("rep %s of %s left the workspace (%s)", rep.user_id, rep.team_id, reason)


def _deliver_rep(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    team_id: str,
    rep_id: int,
    now: datetime,
    report: SweepReport,
    worker: str = "clock",
    stop: threading.Event | None = None,
) -> None:
    token = f"{worker}:{uuid.uuid4().hex[:8]}"[:64]
    with session_factory() as session:
        # Take the rows with an UPDATE as this transaction's first statement.
        # PostgreSQL: hold their row locks until the commit after the send (the sub-select skips
        # rows another clock holds); a process that dies rolls the take back at once.
        # SQLite has one writer for the whole database: holding it through a Slack call would
        # stall the web app's writes, so there the take is a one-minute lease, committed at once
        # (next_attempt_at hides the rows from other clocks; a dead clock's rows come back after).
        sqlite = session.get_bind().dialect.name == "sqlite"
        mine = select(Nudge.id).where(Nudge.team_id == team_id, Nudge.rep_id == rep_id, *_pending(now))
        session.execute(
            update(Nudge)
            .where(Nudge.id.in_(mine.with_for_update(skip_locked=True).scalar_subquery()))
            .values(
                claimed_by=token, next_attempt_at=now + DELIVERY_LEASE if sqlite else Nudge.next_attempt_at
            )
            .execution_options(synchronize_session=False)
        )
        if sqlite:
            session.commit()
        nudges = list(
            session.scalars(
                select(Nudge)
                .where(Nudge.claimed_by == token, Nudge.sent_at.is_(None), Nudge.gave_up_at.is_(None))
                .order_by(Nudge.due_at, Nudge.id)
            )
        )
        if not nudges:
            session.rollback()
            return  # delivered meanwhile, or another clock is sending them now
        rep = session.get(Rep, rep_id)
        workspace = session.get(Workspace, team_id)
        assert rep is not None and workspace is not None
        if rep.status == RepStatus.LEFT:
            _rep_left(session, rep, nudges, "already left", now, report)
            session.commit()
            return
        if profile_is_stale(rep, now):
            try:
                profile = outbox.profile(team_id, rep.user_id)
            except DeliveryError as error:
                if error.kind == "user_gone":
                    _rep_left(session, rep, nudges, error.reason, now, report)
                    session.commit()
                    return
                raise
            if profile.deleted:
                _rep_left(session, rep, nudges, "deactivated", now, report)
                session.commit()
                return
            apply_profile(session, team_id, profile, now)
        cal = calendar_of(session, workspace, rep)
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
            order = sorted(range(len(items)), key=lambda i: (PRIORITY[items[i].kind], nudges[i].due_at))
            text, blocks = nudge_message([items[i] for i in order], cal.tz)
        except Exception as error:
            # A message we cannot build must not be retried every minute forever.
            log.exception("nudge DM for %s/%s could not be built", team_id, rep.user_id)
            _failed(nudges, type(error).__name__, now, report)
            session.commit()
            return
        if _stopping(stop, report):
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
                _rep_left(session, rep, nudges, error.reason, now, report)
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
        for nudge in nudges:
            nudge.sent_at, nudge.channel_id, nudge.message_ts = now, channel, ts
            nudge.next_attempt_at = None
            nudge.attempts += 1
            nudge.last_error = None
        session.commit()
        report.sent += len(nudges)
        report.messages += 1


def _still_wanted(session: Session, nudge: Nudge) -> bool:
    """Does the nudge still say something true about its step or deal?"""
    kind = NudgeKind(nudge.kind)
    if kind is NudgeKind.STALLED:
        deal = session.get(Deal, nudge.deal_id) if nudge.deal_id else None
        return deal is not None and deal.status == DealStatus.OPEN
    step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
    if step is None:
        return False
    if kind is NudgeKind.UNSCHEDULED:
        return step.status == NextStepStatus.UNSCHEDULED
    booked_for = nudge.window_key.split(":", 1)[0]
    return (
        step.status == NextStepStatus.BOOKED
        and step.scheduled_at is not None
        and str(int(step.scheduled_at.timestamp())) == booked_for
    )


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


def nudge_item(session: Session, nudge: Nudge, workspace: Workspace, now: datetime) -> NudgeItem:
    """The DM item for one claimed nudge, as the sweep sends it (answer not filled in)."""
    kind = NudgeKind(nudge.kind)
    step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
    deal = session.get(Deal, nudge.deal_id or (step.deal_id if step else 0))
    account = session.get(Account, deal.account_id) if deal else None
    ordinal = int(nudge.window_key.rsplit(":", 1)[-1]) if kind is NudgeKind.UNSCHEDULED else 1
    last = (deal.last_meeting_at or deal.created_at) if deal else now
    return NudgeItem(
        nudge_id=nudge.id,
        kind=kind,
        account_name=account.name if account else "",
        deal_name=deal.name if deal else "",
        description=step.description if step else None,
        scheduled_at=step.scheduled_at if step else None,
        ordinal=ordinal,
        max_nudges=workspace.unscheduled_max_nudges,
        days_quiet=max(0, (now - last).days),
        prep=(
            (
                ("attendees", step.prep_attendees),
                ("agenda", step.prep_agenda),
                ("materials", step.prep_materials),
                ("evaluation", step.prep_evaluation),
                ("step_after", step.prep_step_after),
            )
            if step
            else ()
        ),
    )
