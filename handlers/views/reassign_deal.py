"""The reassign modal's Save: the deal moves to another rep (the owner's manager or an admin)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.deal_edits import reassign_deal
from bot.services.store import run
from bot.slack import ids
from handlers.deal_access import is_admin
from handlers.guard import guarded, submission


@guarded
def reassign_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(
        ack, body, context, ids.REASSIGN_MODAL_VERSION, lambda s: s.user(ids.REASSIGN_TO), key="deal_id"
    )
    if found is None:
        return
    sub, to_user = found
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]
    admin = is_admin(client, deps, team_id, user_id)

    def store() -> None:
        run(
            deps.session_factory,
            reassign_deal,
            team_id=team_id,
            user_id=user_id,
            admin=admin,
            deal_id=sub.meta["deal_id"],
            to_user_id=to_user or "",
            now=deps.clock(),
        )

    sub.saved(store)


def register(app: App) -> None:
    app.view(ids.REASSIGN_MODAL)(reassign_submitted)
