"""Who may see and change what: admins, managers, a deal's owner. One workspace's rows only."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reps import SlackProfile
from bot.vocabulary import RepStatus
from models import Deal, Rep, SalesTeam, Workspace


def is_admin(profile: SlackProfile, workspace: Workspace | None) -> bool:
    """Slack's workspace admins and owners, and whoever installed the app."""
    installer = workspace.installer_user_id if workspace is not None else None
    return profile.is_admin or profile.is_owner or (installer is not None and profile.user_id == installer)


def managed_teams(session: Session, team_id: str, manager_user_id: str) -> list[SalesTeam]:
    return list(
        session.scalars(
            select(SalesTeam).where(
                SalesTeam.team_id == team_id, SalesTeam.manager_user_id == manager_user_id
            )
        )
    )


def manager_of(session: Session, rep: Rep) -> str | None:
    """The rep's manager: their team's manager (a rep in no team has none)."""
    if rep.sales_team_id is None:
        return None
    team = session.get(SalesTeam, rep.sales_team_id)
    return team.manager_user_id if team is not None and team.team_id == rep.team_id else None


def reps_managed_by(
    session: Session, team_id: str, manager_user_id: str, include_left: bool = True
) -> list[Rep]:
    """The reps of every team this person manages."""
    team_ids = [t.id for t in managed_teams(session, team_id, manager_user_id)]
    if not team_ids:
        return []
    query = select(Rep).where(Rep.team_id == team_id, Rep.sales_team_id.in_(team_ids))
    if not include_left:
        query = query.where(Rep.status != RepStatus.LEFT)
    return list(session.scalars(query.order_by(Rep.display_name)))


def may_see_deal(session: Session, deal: Deal | None, team_id: str, user_id: str, admin: bool) -> bool:
    """The deal's owner, their manager and admins; never across workspaces."""
    if deal is None or deal.team_id != team_id:
        return False
    if admin:
        return True
    owner = session.get(Rep, deal.owner_rep_id)
    if owner is None:
        return False
    return owner.user_id == user_id or manager_of(session, owner) == user_id


def admin_user_ids(workspace: Workspace, members: Iterable[SlackProfile]) -> list[str]:
    """Who the workspace's admins are, among ``members`` (users.list) and whoever installed the app.

    Goes through ``is_admin``: whatever it counts as an admin is who operators' notices reach.
    """
    found = [m.user_id for m in members if not m.deleted and is_admin(m, workspace)]
    installer = workspace.installer_user_id
    if installer is not None and installer not in found:
        found.insert(0, installer)
    return found
