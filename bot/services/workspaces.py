"""A workspace's life with Slack: installed, its tokens gone or refused, its events seen once, its health.

The rule of an install and an uninstall lives here, once: an uninstall keeps the data for 30 days
(the purge, ``bot.services.purge``); a reinstall within them, or Slack accepting the token again,
calls the purge off.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.services.reps import ensure_workspace, token_accepted, token_refused
from bot.services.store import Sessions
from models import ClockSweep, ProcessedEvent, Workspace

log = logging.getLogger("nextstep")


def installed(
    sessions: Sessions, team_id: str, installer_user_id: str | None, name: str, now: datetime
) -> None:
    """The OAuth install finished: the installer is an admin, and a pending purge is off."""
    with sessions() as session:
        token_accepted(session, team_id, now, name)
        workspace = ensure_workspace(session, team_id, now, name)
        workspace.installer_user_id = installer_user_id
        session.commit()


def started_with_token(sessions: Sessions, team_id: str, name: str, now: datetime) -> None:
    """Slack accepted the static token at start-up: a workspace once marked dead is live again."""
    with sessions() as session:
        token_accepted(session, team_id, now, name)
        session.commit()


def tokens_gone(sessions: Sessions, team_id: str, now: datetime, *, uninstalled: bool) -> None:
    """tokens_revoked / app_uninstalled: the clock stops sending; an uninstall starts the 30 days."""
    with sessions() as session:
        workspace = ensure_workspace(session, team_id, now)
        workspace.tokens_revoked_at = now
        if uninstalled:
            workspace.uninstalled_at = now
        session.commit()


def mark_token_refused(sessions: Sessions, team_id: str, now: datetime) -> None:
    """Slack refused the token while answering a request; a database fault here is logged, not raised."""
    try:
        with sessions() as session:
            token_refused(session, team_id, now)
            session.commit()
    except SQLAlchemyError as error:
        log.warning("team=%s: token refusal not recorded: %s", team_id, type(error).__name__)


class EventSeen(enum.Enum):
    FIRST = "first"
    AGAIN = "again"  # a retry of an event already handled
    UNKNOWN = "unknown"  # not recorded (the database failed): better handled twice than dropped


# An event handled once (handlers.events.tokens.ONCE) is recorded: one INSERT, built once (a
# second one of the same id fails on the key).
_RECORD_EVENT = insert(cast(Table, ProcessedEvent.__table__))  # Core: no ORM bulk-insert path


def record_event(sessions: Sessions, event_id: str, team_id: str, now: datetime) -> EventSeen:
    """Record an Events API event_id once."""
    try:
        with sessions() as session:
            session.connection().execute(
                _RECORD_EVENT, {"event_id": event_id[:64], "team_id": team_id[:32], "received_at": now}
            )
            session.commit()
    except IntegrityError:
        return EventSeen.AGAIN
    except SQLAlchemyError as error:
        log.warning("event %s not recorded: %s", event_id, type(error).__name__)
        return EventSeen.UNKNOWN
    return EventSeen.FIRST


def last_sweep_finished(sessions: Sessions) -> datetime | None:
    """When the clock last finished a sweep (any workspace); raises when the database is unreachable."""
    with sessions() as session:
        return session.scalar(select(func.max(ClockSweep.finished_at)))


def welcome_owed(sessions: Sessions, team_id: str) -> tuple[bool, str | None]:
    """Whether the workspace's welcome DM is still owed, and its OAuth installer (if any)."""
    with sessions() as session:
        workspace = session.get(Workspace, team_id)
        if workspace is not None and workspace.welcomed_at is not None:
            return False, None
        return True, workspace.installer_user_id if workspace is not None else None


def ensure_workspace_row(sessions: Sessions, team_id: str, now: datetime) -> None:
    with sessions() as session:
        ensure_workspace(session, team_id, now)
        session.commit()
