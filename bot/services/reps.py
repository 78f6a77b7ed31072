"""Workspaces and reps as the app first meets them: created on first use, refreshed from Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.services.permissions import Admins
from models import Base, Rep, Workspace

# Slack timezones change when people travel; refresh at most daily.
PROFILE_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class SlackProfile:
    """What ``users.info`` tells about a person, as plain values."""

    user_id: str
    display_name: str
    timezone: str
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False

    @classmethod
    def from_users_info(cls, user: dict) -> SlackProfile:
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )
        return cls(
            user_id=user["id"],
            display_name=str(name or user["id"]),
            timezone=user.get("tz") or "UTC",
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner")),
            deleted=bool(user.get("deleted")),
        )


def zone(name: str | None) -> ZoneInfo:
    """The named zone, or UTC when Slack gave none or one this machine does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _insert_unless_there(session: Session, model: type[Base], keys: list[str], **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING: two first requests at once (a rep's first command while
    the Home tab opens) both go on, instead of one failing on the unique key."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))


def ensure_workspace(session: Session, team_id: str, now: datetime, name: str = "") -> Workspace:
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        _insert_unless_there(session, Workspace, ["team_id"], team_id=team_id, name=name, created_at=now)
        workspace = session.get(Workspace, team_id, populate_existing=True)
        assert workspace is not None
    return workspace


def token_accepted(session: Session, team_id: str, now: datetime, name: str = "") -> None:
    """Slack accepted the workspace's token (an install, or the static token at start-up): it is live again."""
    workspace = ensure_workspace(session, team_id, now, name)
    workspace.tokens_revoked_at = None
    workspace.uninstalled_at = None  # reinstalled within 30 days: the purge is off


def ensure_rep(session: Session, team_id: str, user_id: str, now: datetime, display_name: str = "") -> Rep:
    mine = select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id)
    rep = session.scalar(mine)
    if rep is None:
        _insert_unless_there(
            session,
            Rep,
            ["team_id", "user_id"],
            team_id=team_id,
            user_id=user_id,
            display_name=display_name or user_id,
            created_at=now,
        )
        rep = session.scalars(mine).one()
    return rep


def known_slack_admin(session: Session, team_id: str, user_id: str) -> bool:
    """Whether Slack said this person is a workspace admin or owner, at their last users.info."""
    return bool(session.scalar(select(Rep.slack_admin).where(Rep.team_id == team_id, Rep.user_id == user_id)))


def profile_is_stale(rep: Rep | None, now: datetime) -> bool:
    return (
        rep is None or rep.timezone_refreshed_at is None or now - rep.timezone_refreshed_at > PROFILE_MAX_AGE
    )


def apply_profile(
    session: Session, team_id: str, profile: SlackProfile, now: datetime, admins: Admins | None = None
) -> Rep:
    """Store what Slack says of a rep: name, timezone, whether a Slack admin.

    A workspace whose timezone nobody chose yet takes its first admin's (PRODUCT.md's default).
    Nobody becomes an admin here: ``admins`` only says who already is one (by default Slack's
    admins and owners alone).
    """
    workspace = ensure_workspace(session, team_id, now)
    rep = ensure_rep(session, team_id, profile.user_id, now, profile.display_name)
    rep.display_name = profile.display_name
    rep.timezone = zone(profile.timezone).key
    rep.timezone_refreshed_at = now
    rep.slack_admin = profile.is_admin or profile.is_owner
    if workspace.timezone_chosen_by is None and (admins or Admins()).include(profile, workspace):
        workspace.timezone = rep.timezone
        workspace.timezone_chosen_by = profile.user_id
    return rep


def token_refused(session: Session, team_id: str, now: datetime) -> None:
    """Slack no longer accepts the workspace's token: the clock stops sending there until a reinstall
    (``token_accepted``). The workspace's data is kept."""
    workspace = session.get(Workspace, team_id)
    if workspace is not None and workspace.tokens_revoked_at is None:
        workspace.tokens_revoked_at = now


# The entry points the Slack shell calls: each opens its session and owns its commit.


def is_rep(sessions: sessionmaker[Session], team_id: str, user_id: str) -> bool:
    """Whether the app has a row for this person in this workspace."""
    with sessions() as session:
        return (
            session.scalar(select(Rep.id).where(Rep.team_id == team_id, Rep.user_id == user_id)) is not None
        )


def profile_fresh_until(
    sessions: sessionmaker[Session], team_id: str, user_id: str, now: datetime
) -> datetime | None:
    """Until when the stored Slack profile is fresh, or None when it is stale (or there is none)."""
    with sessions() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        if profile_is_stale(rep, now):
            return None
        assert rep is not None and rep.timezone_refreshed_at is not None
        return rep.timezone_refreshed_at + PROFILE_MAX_AGE


def store_profile(
    sessions: sessionmaker[Session], team_id: str, profile: SlackProfile, now: datetime, admins: Admins
) -> None:
    """``apply_profile``, committed."""
    with sessions() as session:
        apply_profile(session, team_id, profile, now, admins)
        session.commit()
