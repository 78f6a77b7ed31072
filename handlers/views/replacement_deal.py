"""The replacement deal's Save: a new deal on the chosen account, linked to the one it replaces."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.deals import Replacement, replace_prospect
from bot.slack import ids
from bot.slack.blocks.confirmations import replacement_confirmation
from handlers.guard import FAILED, guarded, submission


@guarded
def replacement_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(
        ack,
        body,
        context,
        ids.REPLACEMENT_MODAL_VERSION,
        lambda s: (s.option(ids.ACCOUNT), s.text(ids.NEW_DEAL_NAME)),
        key="replaces",
        prefer=ids.ACCOUNT,
    )
    if found is None:
        return
    sub, (account_value, deal_name) = found
    deps, user_id = sub.deps, body["user"]["id"]

    def add() -> Replacement:
        return replace_prospect(
            deps.session_factory,
            team_id=sub.team_id,
            user_id=user_id,
            replaces_deal_id=sub.meta["replaces"],
            account_value=account_value,
            deal_name=deal_name,
            now=deps.clock(),
        )

    added = sub.save(add)
    if added is FAILED:
        return
    ack()
    text, blocks = replacement_confirmation(
        account_name=added.account_name, deal_name=added.deal_name, replaces_account=added.replaces_account
    )
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def register(app: App) -> None:
    app.view(ids.REPLACEMENT_MODAL)(replacement_submitted)
