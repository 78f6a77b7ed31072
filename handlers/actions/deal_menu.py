"""The deal's overflow menu on the Home tab: edit the deal, mark it won, mark it lost."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed, UserFacingError
from bot.services.deal_edits import deal_of_rep, win_deal
from bot.slack import ids
from bot.slack.blocks.deal_modals import deal_lost_modal, edit_deal_modal
from handlers.clicks import tell
from handlers.deps import Deps
from handlers.events.app_home import publish_home
from handlers.guard import guarded
from handlers.meeting_flow import refresh_nudge_messages
from handlers.modals import open_modal


@guarded
def home_deal_menu(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The deal's overflow menu: edit the deal, mark it won, mark it lost."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    option = (body.get("actions") or [{}])[0].get("selected_option") or {}
    choice, _, raw = str(option.get("value") or "").partition(":")
    deal_id = ids.parse_row_id(raw) or 0
    view = None
    try:
        if choice == "won":
            messages = win_deal(
                deps.session_factory, team_id=team_id, user_id=user_id, deal_id=deal_id, now=deps.clock()
            )
        else:
            deal = deal_of_rep(deps.session_factory, team_id, user_id, deal_id)
            if choice == "edit":
                view = edit_deal_modal(
                    deal.deal_id, deal.account_name, deal.name, deal.amount, deal.stage, deal.expected_close
                )
            elif choice == "lost":
                view = deal_lost_modal(deal.deal_id, deal.account_name, deal.name)
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
