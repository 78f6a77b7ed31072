"""The reassign modal's Save: the deal moves to another rep (the owner's manager or an admin)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.deal_edits import reassign_deal
from bot.slack import ids
from handlers.deal_access import is_admin
from handlers.deps import Deps
from handlers.guard import guarded, saved, submitted


@guarded
def reassign_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = submitted(ack, body, ids.REASSIGN_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    to_user = ((state.values.get(ids.REASSIGN_TO) or ("", {}))[1]).get("selected_user")
    team_id, user_id = context["team_id"], body["user"]["id"]
    admin = is_admin(client, deps, team_id, user_id)

    def save() -> None:
        with deps.session() as session:
            reassign_deal(
                session,
                team_id=team_id,
                user_id=user_id,
                admin=admin,
                deal_id=deal_id,
                to_user_id=to_user if isinstance(to_user, str) else "",
                now=deps.clock(),
            )

    saved(ack, context, view, state, save)


def register(app: App) -> None:
    app.view(ids.REASSIGN_MODAL)(reassign_submitted)
