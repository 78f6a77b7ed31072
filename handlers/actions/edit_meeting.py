"""The last meeting's "Edit it" (coaching DM or Home tab): the edit modal, within 7 days."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import UserFacingError
from bot.services.deal_edits import meeting_to_edit
from bot.slack import ids
from bot.slack.blocks.deal_modals import edit_meeting_modal
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal


@guarded
def edit_meeting_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """ "Edit it" on the last meeting (coaching DM or Home tab): the edit modal, within 7 days."""
    ack()
    deps: Deps = context["deps"]
    try:
        meeting = meeting_to_edit(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user"]["id"],
            meeting_id=ids.parse_row_id(button_value(body)) or 0,
            now=deps.clock(),
        )
    except UserFacingError as error:
        tell(client, body, context, str(error))
        return
    open_modal(client, body, context, edit_meeting_modal(meeting, meeting.account_name, meeting.deal_name))


def register(app: App) -> None:
    app.block_action(ids.EDIT_MEETING)(edit_meeting_clicked)
