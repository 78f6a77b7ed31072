"""When Slack says a workspace's token is dead or a rep has left: stop nudging them, and say so in the report."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock.report import SweepReport
from bot.domain.vocabulary import RepStatus
from models import Nudge, Rep, Workspace

log = logging.getLogger("nextstep.sweep")


def workspace_dead(
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


def rep_left(
    session: Session, rep: Rep, nudges: list[Nudge], reason: str, now: datetime, report: SweepReport
) -> None:
    """users.info says they are gone: no more nudges; their open deals show up for their manager."""
    rep.status = RepStatus.LEFT
    rep.left_at = rep.left_at or now
    for nudge in nudges:
        nudge.gave_up_at, nudge.last_error = now, f"rep_left: {reason}"[:255]
    report.gave_up += len(nudges)
    log.info("rep %s of %s left the workspace (%s)", rep.user_id, rep.team_id, reason)
