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

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.clock.deliver import deliver
from bot.clock.plan import plan_and_claim
from bot.clock.report import Outbox, SweepReport
from bot.clock.weekly import post_due_leaderboards
from bot.services.purge import purge_uninstalled
from models import ClockSweep


def sweep(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    *,
    now: datetime,
    worker: str,
    wall_clock: Callable[[], datetime],
    max_workers: int = 8,
) -> SweepReport:
    """One sweep as of ``now``: claim what is due, deliver what is claimed, record the sweep."""
    started = wall_clock()
    report = SweepReport()
    plan_and_claim(session_factory, now=now, worker=worker, report=report, outbox=outbox)
    deliver(session_factory, outbox, now=now, report=report, max_workers=max_workers, worker=worker)
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
