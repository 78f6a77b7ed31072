"""The replacement deal's Save: a new deal on the chosen account, linked to the one it replaces."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.deals import add_replacement_deal
from bot.slack import ids
from bot.slack.blocks.confirmations import replacement_confirmation
from bot.slack.view_state import ViewState
from handlers.deps import Deps
from handlers.guard import FAILED, REOPEN, errors_for_view, guarded, modal_error, save, view_metadata
from models import Deal


@guarded
def replacement_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    view = body["view"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    meta = view_metadata(view, ids.REPLACEMENT_MODAL_VERSION)
    if meta is None or not isinstance(meta.get("replaces"), int):
        modal_error(ack, view, REOPEN, prefer=ids.ACCOUNT)
        return
    state = ViewState.parse(view.get("state"))
    account_value, deal_name = state.option(ids.ACCOUNT), state.text(ids.NEW_DEAL_NAME)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return

    def add() -> tuple[str, list[dict[str, Any]]]:
        with deps.session() as session:
            deal = add_replacement_deal(
                session,
                team_id=team_id,
                user_id=user_id,
                replaces_deal_id=meta["replaces"],
                account_value=account_value,
                deal_name=deal_name,
                now=deps.clock(),
            )
            replaced = session.get(Deal, meta["replaces"])
            return replacement_confirmation(
                account_name=deal.account.name,
                deal_name=deal.name,
                replaces_account=replaced.account.name if replaced else "",
            )

    confirmation = save(ack, context, view, state, add, prefer=ids.ACCOUNT)
    if confirmation is FAILED:
        return
    text, blocks = confirmation
    ack()
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def register(app: App) -> None:
    app.view(ids.REPLACEMENT_MODAL)(replacement_submitted)
