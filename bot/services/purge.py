"""A workspace's data goes 30 days after the app was uninstalled (PRODUCT.md), unless it is reinstalled."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from models import ProcessedEvent, Workspace

log = logging.getLogger("nextstep.purge")

KEEP_AFTER_UNINSTALL = timedelta(days=30)


def purge_uninstalled(session_factory: sessionmaker[Session], now: datetime) -> list[str]:
    """Delete every row of workspaces uninstalled more than 30 days ago; the database cascades."""
    purged = []
    with session_factory() as session:
        team_ids = session.scalars(
            select(Workspace.team_id).where(Workspace.uninstalled_at <= now - KEEP_AFTER_UNINSTALL)
        ).all()
        for team_id in team_ids:
            # Every table's team_id references workspaces ON DELETE CASCADE.
            session.execute(delete(Workspace).where(Workspace.team_id == team_id))
            session.execute(delete(ProcessedEvent).where(ProcessedEvent.team_id == team_id))
            purged.append(team_id)
        session.commit()
    for team_id in purged:
        log.info("purged workspace %s: uninstalled more than 30 days ago", team_id)
    return purged
