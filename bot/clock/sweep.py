"""The clock's sweep: what is due comes from the database, is claimed there, then delivered.

1. Plan and claim. Candidates are the next steps and deals whose check time has passed
   (``ix_next_steps_nudge_check_at``, ``ix_deals_stall_check_at``), so the cost follows
   what is due, not the size of the history. Per rep, under a row lock taken with SKIP
   LOCKED (a second clock skips that rep), the rules of ``bot.domain.nudges`` decide what is due;
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
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock.deliver import Workspaces, deliver
from bot.clock.departures import rep_left, workspace_dead
from bot.clock.report import Outbox, SweepReport, stopping
from bot.clock.weekly import post_due_leaderboards
from bot.domain.nudge_kinds import Subject, plan_subject
from bot.domain.nudges import PastNudge, Plan, Rules, SubjectState, WindowKey
from bot.domain.vocabulary import NextStepStatus, NudgeKind, RepStatus
from bot.domain.worktime import NoWorkingTime
from bot.services.forecast import fit_due
from bot.services.nudge_context import (
    calendar_of,
    deal_state,
    is_paused,
    resume_floor,
    settings_of,
    step_state,
)
from bot.services.permissions import Admins
from bot.services.purge import purge_uninstalled
from bot.services.reps import apply_profile, profile_is_stale
from bot.services.watching import check_time, watch
from bot.slack.outbox import DeliveryError
from models import ClockSweep, Deal, NextStep, Nudge, Rep

log = logging.getLogger("nextstep.sweep")

BATCH = 2000
# When something is due for a rep, what falls due in the next few minutes joins the same DM.
GROUP_WINDOW = timedelta(minutes=15)


def sweep(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    *,
    now: datetime,
    worker: str,
    wall_clock: Callable[[], datetime],
    max_workers: int = 8,
    admins: Admins | None = None,
    stop: threading.Event | None = None,
) -> SweepReport:
    """One sweep as of ``now``: claim what is due, deliver what is claimed, record the sweep.

    ``admins`` (from the configuration) hear of a leaderboard that can't be posted when nobody
    chose its channel. When ``stop`` is set (SIGTERM) the sweep claims no more reps and takes no
    more DMs; a DM in flight finishes (or times out) and is recorded; what was claimed and not
    sent stays claimed for the next sweep, with nothing held.
    """
    started = wall_clock()
    report = SweepReport()
    known = Workspaces(session_factory)  # each workspace's settings and holidays, read once for both halves
    plan_and_claim(
        session_factory, now=now, worker=worker, report=report, outbox=outbox, stop=stop, known=known
    )
    if not stopping(stop, report):
        deliver(
            session_factory,
            outbox,
            now=now,
            report=report,
            max_workers=max_workers,
            worker=worker,
            stop=stop,
            known=known,
        )
    if not stopping(stop, report):
        # The weekly leaderboards and digests that are due (claimed once, like nudges).
        post_due_leaderboards(session_factory, outbox, now=now, admins=admins)
        purge_uninstalled(session_factory, now)
        fit_forecasts(session_factory, now)
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


def fit_forecasts(session_factory: sessionmaker[Session], now: datetime) -> None:
    """Each workspace's forecast, once per local day (claimed, so two clocks fit it once).

    A fit that fails leaves its claim unfitted: it is logged, and taken over after an hour.
    """
    try:
        fit_due(session_factory, now)
    except Exception:
        log.exception("forecast fit failed; retried within the hour")


# ---------------------------------------------------------------- plan and claim


def plan_and_claim(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    worker: str,
    report: SweepReport,
    outbox: Outbox | None = None,
    stop: threading.Event | None = None,
    known: Workspaces | None = None,
) -> None:
    """Claim every nudge due as of ``now``; with an outbox, stale rep profiles are refreshed first."""
    seen_steps: set[int] = set()
    seen_deals: set[int] = set()
    known = known or Workspaces(session_factory)
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
            if stopping(stop, report):
                return
            try:
                if outbox is not None:
                    _refresh_profile(session_factory, outbox, rep_id, now, report, known)
                _claim_for_rep(
                    session_factory,
                    rep_id,
                    step_ids,
                    deal_ids,
                    now=now,
                    worker=worker,
                    report=report,
                    known=known,
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
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    rep_id: int,
    now: datetime,
    report: SweepReport,
    known: Workspaces,
) -> None:
    """Working hours are the rep's own: know their Slack timezone (refreshed daily) before planning."""
    with session_factory() as session:
        rep = session.get(Rep, rep_id)
        if rep is None or rep.status == RepStatus.LEFT or not profile_is_stale(rep, now):
            return
        workspace, _ = known.get(rep.team_id)
        if workspace is None or workspace.tokens_revoked_at is not None:
            return
        try:
            profile = outbox.profile(rep.team_id, rep.user_id)
        except DeliveryError as error:
            if error.kind == "user_gone":
                rep_left(session, rep, [], error.reason, now, report)
                session.commit()
            elif error.kind == "dead_token":
                session.rollback()
                workspace_dead(session_factory, rep.team_id, error.reason, now, report)
                known.forget(rep.team_id)
            # other faults: plan in the zone we last knew; delivery refreshes again
            return
        if profile.deleted:
            rep_left(session, rep, [], "deactivated", now, report)
        else:
            apply_profile(session, rep.team_id, profile, now)
        session.commit()


def _history(session: Session, team_id: str, subjects: list[str]) -> dict[str, list[PastNudge]]:
    rows = session.scalars(
        select(Nudge).where(Nudge.team_id == team_id, Nudge.subject_key.in_(subjects))
    ).all()
    found: dict[str, list[PastNudge]] = defaultdict(list)
    for n in rows:
        try:
            kind = NudgeKind(n.kind)
            WindowKey.parse(n.window_key)
        except ValueError:
            continue  # not a kind or window the rules wrote: it counts for none of theirs
        found[n.subject_key].append(
            PastNudge(
                window_key=n.window_key,
                kind=kind,
                claimed_at=n.claimed_at or n.due_at,
                sent_at=n.sent_at,
                snoozed_until=n.snoozed_until,
                escalated_at=n.escalated_at,
                gave_up=n.gave_up_at is not None,
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
    known: Workspaces | None = None,
) -> None:
    claimed = SweepReport()  # counted once committed: another clock may win the claim
    known = known or Workspaces(session_factory)
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
        workspace, holidays = known.get(rep.team_id)
        assert workspace is not None

        def push(at: datetime | None) -> None:
            for step in steps:
                watch(step, at)
            for deal in deals:
                watch(deal, at)

        if workspace.tokens_revoked_at is not None or workspace.uninstalled_at is not None:
            push(now + timedelta(days=1))  # no token: look again tomorrow (a reinstall resets this)
            session.commit()
            return
        if rep.status == RepStatus.LEFT:
            push(None)
            session.commit()
            return
        cal = calendar_of(session, workspace, rep, holidays)
        if is_paused(rep, cal, now):
            assert rep.paused_until is not None
            push(cal.at_local(rep.paused_until + timedelta(days=1), time(0)))
            session.commit()
            return
        rules = Rules(cal, settings_of(workspace), resume_floor(rep, cal))
        subjects = [f"step:{s.id}" for s in steps] + [f"deal:{d.id}" for d in deals]
        history = _history(session, rep.team_id, subjects)
        try:
            booked_ahead = _booked_ahead(session, deals, now)
            # Each step and deal, as the rules read it, with its nudges so far.
            candidates: list[tuple[NextStep | Deal, Subject, SubjectState, list[PastNudge]]] = [
                (step, Subject.STEP, step_state(step), history.get(f"step:{step.id}", [])) for step in steps
            ] + [
                (
                    deal,
                    Subject.DEAL,
                    deal_state(deal, booked_ahead.get(deal.id)),
                    history.get(f"deal:{deal.id}", []),
                )
                for deal in deals
            ]

            def plans(at: datetime) -> list[tuple[NextStep | Deal, Plan | None]]:
                return [
                    (row, plan_subject(subject, state, past, rules, at))
                    for row, subject, state, past in candidates
                ]

            planned = plans(now)
            if any(plan is not None and plan.due for _, plan in planned):
                # Something is due: what falls due in the next minutes joins the same DM.
                for subject, plan in plans(now + GROUP_WINDOW):
                    _apply(session, subject, plan, rep, now, worker, claimed)
            else:
                for subject, plan in planned:
                    check = check_time(subject)
                    if check is not None and check <= now:
                        _apply(session, subject, plan, rep, now, worker, claimed)
        except NoWorkingTime:
            log.warning("workspace %s has no working time configured; no nudges", rep.team_id)
            push(now + timedelta(days=1))
        session.commit()
        report.add(claimed)


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
                    Nudge.kind == due.kind,
                    Nudge.subject_key == key,
                    Nudge.window_key == due.window.format(),
                )
                .values(escalated_at=now)
            )
            report.escalated += 1
            continue
        session.add(
            Nudge(
                team_id=rep.team_id,
                kind=due.kind,
                rep_id=rep.id,
                next_step_id=subject.id if is_step else None,
                deal_id=subject.deal_id if isinstance(subject, NextStep) else subject.id,
                subject_key=key,
                window_key=due.window.format(),
                due_at=due.due_at,
                claimed_at=now,
                claimed_by=worker[:64],
            )
        )
        report.claimed += 1
    watch(subject, plan.next_check if plan else None)
