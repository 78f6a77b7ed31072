"""Who may see a deal, and its history modal: shared by the History button and `/nextsteps deal`.

The rules are bot.services.permissions'; this module only lends them Slack's word on who is
an admin (users.info), and renders the history.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import permissions
from bot.services.deal_history import history_for
from bot.services.reps import SlackProfile
from bot.slack.blocks.deal_history import history_modal
from handlers.deps import Deps
from handlers.refusals import handle_refusal

log = logging.getLogger("nextstep")

# The same words whether the deal is someone else's, in another workspace or does not exist.
DEAL_REFUSED = (
    "I can't show you that deal. You can see your own deals, those of the reps you manage, "
    "and every deal if you're a workspace admin."
)


def _profile(client: WebClient, deps: Deps, team_id: str, user_id: str) -> SlackProfile | None:
    """users.info for the admin check; None (logged) when Slack refuses."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if not handle_refusal(error, deps, team_id, "users.info for admin"):
            log.warning("users.info failed team=%s: %s", team_id, error.response.get("error"))
        return None
    return SlackProfile.from_users_info(user)


def is_admin(client: WebClient, deps: Deps, team_id: str, user_id: str) -> bool:
    """In NEXTSTEP_ADMINS, the OAuth installer, or a Slack admin or owner (users.info)."""
    return permissions.is_admin(
        deps.session_factory, deps.admins, team_id, user_id, lambda: _profile(client, deps, team_id, user_id)
    )


def may_see(client: WebClient, deps: Deps, team_id: str, user_id: str, deal_id: int | None) -> bool:
    """Owner, their manager, or an admin; Slack is asked about admin only for a deal of this workspace."""
    return permissions.may_see(
        deps.session_factory,
        deps.admins,
        team_id,
        user_id,
        deal_id,
        lambda: _profile(client, deps, team_id, user_id),
    )


def history_view(deps: Deps, team_id: str, user_id: str, deal_id: int) -> dict | None:
    """The history modal; call only once ``may_see`` said yes (a viewer who isn't the owner may reassign)."""
    now = deps.clock()
    shown = history_for(deps.session_factory, team_id, user_id, deal_id, now)
    return history_modal(shown.history, now, shown.tz, can_reassign=shown.can_reassign) if shown else None
