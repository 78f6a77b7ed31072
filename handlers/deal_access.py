"""Who may see a deal, and its history modal: shared by the History button and `/nextsteps deal`."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.services.deal_history import load_history
from bot.services.permissions import may_see_deal
from bot.services.reps import SlackProfile, zone
from bot.slack.blocks.deal_history import history_modal
from handlers.deps import Deps
from handlers.refusals import handle_refusal
from models import Deal, Rep, Workspace

log = logging.getLogger("nextstep")

# The same words whether the deal is someone else's, in another workspace or does not exist.
DEAL_REFUSED = (
    "I can't show you that deal. You can see your own deals, those of the reps you manage, "
    "and every deal if you're a workspace admin."
)


def is_admin(client: WebClient, deps: Deps, team_id: str, user_id: str) -> bool:
    """In NEXTSTEP_ADMINS, the OAuth installer, or a Slack admin or owner (users.info)."""
    with deps.session() as session:
        workspace = session.get(Workspace, team_id)
        if deps.admins.by_record(user_id, workspace):
            return True
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if not handle_refusal(error, deps, team_id, "users.info for admin"):
            log.warning("users.info failed team=%s: %s", team_id, error.response.get("error"))
        return False
    return deps.admins.include(SlackProfile.from_users_info(user), workspace)


def may_see(client: WebClient, deps: Deps, team_id: str, user_id: str, deal_id: int | None) -> bool:
    """Owner, their manager, or an admin; Slack is asked about admin only for a deal of this workspace."""
    if deal_id is None:
        return False
    with deps.session() as session:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.team_id != team_id:
            return False
        if may_see_deal(session, deal, team_id, user_id, admin=False):
            return True
    return is_admin(client, deps, team_id, user_id)


def history_view(deps: Deps, team_id: str, user_id: str, deal_id: int) -> dict | None:
    """The history modal; call only once ``may_see`` said yes (a viewer who isn't the owner may reassign)."""
    now = deps.clock()
    with deps.session() as session:
        viewer = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        history = load_history(session, team_id, deal_id, now)
        deal = session.get(Deal, deal_id)
        tz = zone(viewer.timezone if viewer else None)
        owner_is_viewer = deal is not None and viewer is not None and deal.owner_rep_id == viewer.id
    return history_modal(history, now, tz, can_reassign=not owner_is_viewer) if history else None
