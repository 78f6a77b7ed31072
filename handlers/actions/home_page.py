"""The Home tab's "Next"/"Previous": another page of the rep's deals."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import ids
from handlers.clicks import button_value
from handlers.events.app_home import publish_home
from handlers.guard import guarded


@guarded
def home_page(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    ack()
    start = ids.parse_row_id(button_value(body)) or 0
    publish_home(
        client, context["deps"], team_id=context["team_id"], user_id=body["user"]["id"], page_start=start
    )


def register(app: App) -> None:
    app.block_action(ids.HOME_PAGE)(home_page)
