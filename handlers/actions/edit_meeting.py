"""The last meeting's "Edit it" (coaching DM or Home tab): the edit modal, within 7 days."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import UserFacingError
from bot.services.deal_edits import editable_meeting
from bot.slack import ids
from bot.slack.blocks.deal_modals import edit_meeting_modal
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal
from models import Account, Deal


@guarded
def edit_meeting_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """ "Edit it" on the last meeting (coaching DM or Home tab): the edit modal, within 7 days."""
    ack()
    deps: Deps = context["deps"]
    try:
        with deps.session() as session:
            meeting = editable_meeting(
                session,
                team_id=context["team_id"],
                user_id=body["user"]["id"],
                meeting_id=ids.parse_row_id(button_value(body)) or 0,
                now=deps.clock(),
            )
            deal = session.get(Deal, meeting.deal_id)
            account = session.get(Account, deal.account_id) if deal else None
            view = edit_meeting_modal(meeting, account.name if account else "", deal.name if deal else "")
    except UserFacingError as error:
        tell(client, body, context, str(error))
        return
    open_modal(client, body, context, view)


def register(app: App) -> None:
    app.block_action(ids.EDIT_MEETING)(edit_meeting_clicked)
