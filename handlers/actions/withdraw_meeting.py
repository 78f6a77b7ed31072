"""The last meeting's "Withdraw it": out of the metrics, still in the deal's history."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import UserFacingError
from bot.services.deal_edits import withdraw_last_meeting
from bot.slack import ids
from bot.slack.blocks.coaching_dm import WITHDRAWN_NOTE, withdrawn_in_place
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.events.app_home import refresh_home
from handlers.guard import guarded


@guarded
def withdraw_meeting_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """ "Withdraw it": out of the metrics, still in the deal's history."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    try:
        withdraw_last_meeting(
            deps.session_factory,
            team_id=team_id,
            user_id=user_id,
            meeting_id=ids.parse_row_id(button_value(body)) or 0,
            now=deps.clock(),
        )
    except UserFacingError as error:
        tell(client, body, context, str(error))
        return
    tell(client, body, context, WITHDRAWN_NOTE, redraw_home=False)  # published below
    message, container = body.get("message"), body.get("container") or {}
    if isinstance(message, dict) and container.get("type") == "message" and message.get("blocks"):
        # the coaching DM it came from loses its Edit/Withdraw buttons and says what was done
        client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=str(message.get("text") or WITHDRAWN_NOTE),
            blocks=withdrawn_in_place(message["blocks"]),
        )
    refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.block_action(ids.WITHDRAW_MEETING)(withdraw_meeting_clicked)
