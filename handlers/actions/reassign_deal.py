"""The deal history's "Reassign": the reassign modal, for the owner's manager or an admin."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.permissions import manager_of
from bot.slack import ids
from bot.slack.blocks.deal_modals import reassign_modal
from handlers.clicks import button_value, tell
from handlers.deal_access import is_admin
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal
from models import Account, Deal, Rep


def reassign_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Open the reassign modal for a manager or an admin (the button appears in the deal history)."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    deal_id = ids.parse_row_id(button_value(body))
    with deps.session() as session:
        deal = session.get(Deal, deal_id) if deal_id else None
        owner = session.get(Rep, deal.owner_rep_id) if deal else None
        allowed = (
            deal is not None
            and owner is not None
            and deal.team_id == team_id
            and manager_of(session, owner) == user_id
        )
        names = (
            (session.get(Account, deal.account_id), deal.name, owner.display_name) if deal and owner else None
        )
    if not allowed and not (
        deal is not None and deal.team_id == team_id and is_admin(client, deps, team_id, user_id)
    ):
        tell(client, body, context, "Only the rep's manager or an admin can reassign a deal.")
        return
    assert names is not None and deal_id is not None
    account, name, owner_name = names
    open_modal(
        client, body, context, reassign_modal(deal_id, account.name if account else "", name, owner_name)
    )


def register(app: App) -> None:
    app.block_action(ids.REASSIGN_DEAL)(guarded(reassign_clicked))
