"""The override modal's Save: a manager's chance for the deal, kept with the reason; the deal
history is shown again with it beside the learned figure."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.outlook import override_from_form
from bot.slack import ids
from handlers.deal_access import history_view, is_admin
from handlers.guard import FAILED, guarded, submission


@guarded
def override_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(
        ack,
        body,
        context,
        ids.OVERRIDE_MODAL_VERSION,
        lambda s: (s.text(ids.OVERRIDE_PROBABILITY), s.text(ids.OVERRIDE_REASON)),
        key="deal_id",
        prefer=ids.OVERRIDE_REASON,
    )
    if found is None:
        return
    sub, (probability, reason) = found
    deps, team_id, user, deal_id = sub.deps, sub.team_id, body["user"], sub.meta["deal_id"]
    admin = is_admin(client, deps, team_id, user["id"])

    def store() -> None:
        override_from_form(
            deps.session_factory,
            team_id=team_id,
            deal_id=deal_id,
            user_id=user["id"],
            admin=admin,
            probability_text=probability,
            reason_text=reason,
            now=deps.clock(),
            name=str(user.get("name") or ""),
        )

    if sub.save(store) is FAILED:
        return
    refreshed = history_view(deps, team_id, user["id"], deal_id)
    if refreshed is None:
        ack()
        return
    ack(response_action="update", view=refreshed)


def register(app: App) -> None:
    app.view(ids.OVERRIDE_MODAL)(override_submitted)
