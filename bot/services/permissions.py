"""Who may see and change what: admins, managers, a deal's owner. One workspace's rows only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.errors import NotAllowed
from bot.domain.vocabulary import RepStatus
from models import Deal, NextStep, Rep, SalesTeam, Workspace

if TYPE_CHECKING:
    from bot.services.reps import SlackProfile


@dataclass(frozen=True)
class Admins:
    """Who is an admin: Slack's workspace admins and owners, and besides them whoever installed
    the app through OAuth, or in single-workspace mode the users in NEXTSTEP_ADMINS. Never
    anyone for being the first to use the app."""

    listed: frozenset[str] = frozenset()
    oauth: bool = False

    @classmethod
    def of(cls, config: Config) -> Admins:
        return cls(listed=config.admins, oauth=config.multi_workspace)

    def by_record(self, user_id: str, workspace: Workspace | None) -> bool:
        """An admin whatever Slack says: listed in NEXTSTEP_ADMINS, or the OAuth installer."""
        if user_id in self.listed:
            return True
        return self.oauth and workspace is not None and workspace.installer_user_id == user_id

    def include(self, profile: SlackProfile, workspace: Workspace | None) -> bool:
        return profile.is_admin or profile.is_owner or self.by_record(profile.user_id, workspace)

    def among(self, workspace: Workspace, members: Iterable[SlackProfile]) -> list[str]:
        """The admins among ``members`` (users.list), with the listed ones and the OAuth installer first."""
        first = sorted(self.listed)
        if self.oauth and workspace.installer_user_id:
            first.append(workspace.installer_user_id)
        found = [m.user_id for m in members if not m.deleted and self.include(m, workspace)]
        return list(dict.fromkeys(first + found))

    def to_tell(self, session: Session, workspace: Workspace) -> list[str]:
        """Who hears of a fault nobody in particular owns (a leaderboard channel nobody chose).

        OAuth mode: the installer, else the Slack admins the app knows. Single-workspace mode:
        NEXTSTEP_ADMINS and the Slack admins the app knows (from their last users.info).
        """
        if self.oauth and workspace.installer_user_id:
            return [workspace.installer_user_id]
        known = session.scalars(
            select(Rep.user_id).where(
                Rep.team_id == workspace.team_id, Rep.slack_admin.is_(True), Rep.status != RepStatus.LEFT
            )
        )
        return sorted(self.listed | set(known))


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


# ---------------------------------------------------------------- a rep's own rows

# One wording per thing, whichever button or form asked: nothing is said about whose it is.
STEP_NOT_YOURS = "That next step isn't one of yours, so I left it as it was."
DEAL_NOT_YOURS = "That deal isn't one of yours, so I left it as it was."


def _rep_of(session: Session, team_id: str, user_id: str) -> Rep | None:
    return session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))


def own_step(session: Session, team_id: str, user_id: str, step_id: int | None) -> NextStep:
    """The next step when this person's rep owns it in this workspace; else NotAllowed."""
    step = session.get(NextStep, step_id) if step_id else None
    rep = _rep_of(session, team_id, user_id)
    if step is None or rep is None or step.team_id != team_id or step.rep_id != rep.id:
        raise NotAllowed(STEP_NOT_YOURS)
    return step


def own_deal(session: Session, team_id: str, user_id: str, deal_id: int | None) -> Deal:
    """The deal when this person's rep owns it in this workspace; else NotAllowed."""
    deal = session.get(Deal, deal_id) if deal_id else None
    rep = _rep_of(session, team_id, user_id)
    if deal is None or rep is None or deal.team_id != team_id or deal.owner_rep_id != rep.id:
        raise NotAllowed(DEAL_NOT_YOURS)
    return deal


def manages_owner(session: Session, deal: Deal, user_id: str) -> bool:
    """This person manages the team of the deal's owner."""
    owner = session.get(Rep, deal.owner_rep_id)
    return owner is not None and manager_of(session, owner) == user_id


# ---------------------------------------------------------------- admins and who sees a deal, per request

# How a service asks Slack about a person (users.info) without knowing Slack: None when Slack
# would not say (a refusal, already logged by the caller).
ProfileLookup = Callable[[], "SlackProfile | None"]


def is_admin(
    session_factory: Callable[[], Session], admins: Admins, team_id: str, user_id: str, profile: ProfileLookup
) -> bool:
    """In NEXTSTEP_ADMINS, the OAuth installer, or a Slack admin or owner (``profile`` is asked only then)."""
    with session_factory() as session:
        workspace = session.get(Workspace, team_id)
        if admins.by_record(user_id, workspace):
            return True
    found = profile()
    return found is not None and admins.include(found, workspace)


def may_see(
    session_factory: Callable[[], Session],
    admins: Admins,
    team_id: str,
    user_id: str,
    deal_id: int | None,
    profile: ProfileLookup,
) -> bool:
    """The deal's owner, their manager, or an admin; Slack is asked about admin only for a deal of this workspace."""
    if deal_id is None:
        return False
    with session_factory() as session:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.team_id != team_id:
            return False
        if may_see_deal(session, deal, team_id, user_id, admin=False):
            return True
    return is_admin(session_factory, admins, team_id, user_id, profile)
