"""The Home tab's "Log a meeting" on a deal: the `/meeting` modal with its account and deal chosen."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed
from bot.domain.vocabulary import DealStatus
from bot.services.accounts import AccountChoice
from bot.services.deal_edits import owned_deal
from bot.slack import ids
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal
from models import Account


@guarded
def home_log_meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The Home tab's "Log a meeting": the `/meeting` modal with the deal's account and the deal chosen."""
    ack()
    deps: Deps = context["deps"]
    team_id = context["team_id"]
    try:
        with deps.session() as session:
            deal = owned_deal(session, team_id, body["user"]["id"], ids.parse_row_id(button_value(body)) or 0)
            account = session.get(Account, deal.account_id)
            choice = AccountChoice(
                f"{ids.ACCOUNT_ID_PREFIX}{deal.account_id}", account.name if account else ""
            )
            deal_id = deal.id if deal.status == DealStatus.OPEN else None
    except NotAllowed as error:
        tell(client, body, context, str(error))
        return
    open_meeting_modal(client, body, context, account=choice, channel_id=None, deal_id=deal_id)


def register(app: App) -> None:
    app.block_action(ids.HOME_LOG_MEETING)(home_log_meeting)
