"""The edit-deal modal's Save: name, amount, stage, expected close."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.deal_edits import DealDetails, edit_deal
from bot.slack import ids
from handlers.deps import Deps
from handlers.events.app_home import refresh_home
from handlers.guard import guarded, saved, submitted


@guarded
def edit_deal_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = submitted(ack, body, ids.EDIT_DEAL_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    raw_close = ((state.values.get(ids.DEAL_CLOSE) or ("", {}))[1]).get("selected_date")
    try:
        close = date.fromisoformat(raw_close) if isinstance(raw_close, str) else None
    except ValueError:
        close = None
    details = DealDetails(
        state.text(ids.DEAL_NAME), state.text(ids.DEAL_AMOUNT), state.text(ids.DEAL_STAGE), close
    )
    team_id, user_id = context["team_id"], body["user"]["id"]

    def save() -> None:
        with deps.session() as session:
            edit_deal(
                session, team_id=team_id, user_id=user_id, deal_id=deal_id, details=details, now=deps.clock()
            )

    if saved(ack, context, view, state, save):
        refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(ids.EDIT_DEAL_MODAL)(edit_deal_submitted)
