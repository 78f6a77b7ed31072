"""The deal history's "Reassign": the reassign modal, for the owner's manager or an admin."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed
from bot.services.deal_edits import reassign_form
from bot.slack import ids
from bot.slack.blocks.deal_modals import reassign_modal
from handlers.clicks import button_value, tell
from handlers.deal_access import is_admin
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal


def reassign_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Open the reassign modal for a manager or an admin (the button appears in the deal history)."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    try:
        form = reassign_form(
            deps.session_factory,
            team_id=team_id,
            user_id=user_id,
            deal_id=ids.parse_row_id(button_value(body)),
            admin=lambda: is_admin(client, deps, team_id, user_id),
        )
    except NotAllowed as error:
        tell(client, body, context, str(error))
        return
    view = reassign_modal(form.deal_id, form.account_name, form.deal_name, form.owner_name)
    open_modal(client, body, context, view)


def register(app: App) -> None:
    app.block_action(ids.REASSIGN_DEAL)(guarded(reassign_clicked))
