"""The Home tab's "Log a meeting" on a deal: the `/meeting` modal with its account and deal chosen."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed
from bot.services.accounts import AccountChoice
from bot.services.deal_edits import deal_of_rep
from bot.slack import ids
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal


@guarded
def home_log_meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The Home tab's "Log a meeting": the `/meeting` modal with the deal's account and the deal chosen."""
    ack()
    deps: Deps = context["deps"]
    try:
        deal = deal_of_rep(
            deps.session_factory,
            context["team_id"],
            body["user"]["id"],
            ids.parse_row_id(button_value(body)) or 0,
        )
    except NotAllowed as error:
        tell(client, body, context, str(error))
        return
    account = AccountChoice(f"{ids.ACCOUNT_ID_PREFIX}{deal.account_id}", deal.account_name)
    open_meeting_modal(
        client, body, context, account=account, channel_id=None, deal_id=deal.deal_id if deal.open else None
    )


def register(app: App) -> None:
    app.block_action(ids.HOME_LOG_MEETING)(home_log_meeting)
