"""The deal's overflow menu on the Home tab: edit the deal, mark it won, mark it lost."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed, UserFacingError
from bot.services.deal_edits import close_deal, owned_deal
from bot.slack import ids
from bot.slack.blocks.deal_modals import deal_lost_modal, edit_deal_modal
from handlers.clicks import tell
from handlers.deps import Deps
from handlers.events.app_home import publish_home
from handlers.guard import guarded
from handlers.meeting_flow import refresh_nudge_messages
from handlers.modals import open_modal
from models import Account


@guarded
def home_deal_menu(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The deal's overflow menu: edit the deal, mark it won, mark it lost."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    option = (body.get("actions") or [{}])[0].get("selected_option") or {}
    choice, _, raw = str(option.get("value") or "").partition(":")
    deal_id = ids.parse_row_id(raw) or 0
    try:
        with deps.session() as session:
            deal = owned_deal(session, team_id, user_id, deal_id)
            account = session.get(Account, deal.account_id)
            account_name = account.name if account else ""
            if choice == "edit":
                view = edit_deal_modal(
                    deal.id, account_name, deal.name, deal.amount, deal.stage, deal.expected_close
                )
            elif choice == "lost":
                view = deal_lost_modal(deal.id, account_name, deal.name)
            elif choice == "won":
                messages = close_deal(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    deal_id=deal.id,
                    won=True,
                    reason=None,
                    now=deps.clock(),
                )
                view = None
            else:
                raise NotAllowed("That choice isn't offered.")
    except UserFacingError as error:
        tell(client, body, context, str(error))
        return
    if view is not None:
        open_modal(client, body, context, view)
        return
    refresh_nudge_messages(client, deps, team_id=team_id, messages=messages)
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.block_action(ids.HOME_DEAL_MENU)(home_deal_menu)
