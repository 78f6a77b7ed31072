"""The edit-deal modal's Save: name, amount, stage, expected close."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.deal_edits import DealDetails, edit_deal
from bot.services.store import run
from bot.slack import ids
from bot.slack.view_state import ViewState
from handlers.events.app_home import refresh_home
from handlers.guard import guarded, submission


def _details(state: ViewState) -> DealDetails:
    return DealDetails(
        state.text(ids.DEAL_NAME),
        state.text(ids.DEAL_AMOUNT),
        state.text(ids.DEAL_STAGE),
        state.day(ids.DEAL_CLOSE),
    )


@guarded
def edit_deal_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(ack, body, context, ids.EDIT_DEAL_MODAL_VERSION, _details, key="deal_id")
    if found is None:
        return
    sub, details = found
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]

    def store() -> None:
        run(
            deps.session_factory,
            edit_deal,
            team_id=team_id,
            user_id=user_id,
            deal_id=sub.meta["deal_id"],
            details=details,
            now=deps.clock(),
        )

    if sub.saved(store):
        refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(ids.EDIT_DEAL_MODAL)(edit_deal_submitted)
