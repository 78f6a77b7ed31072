"""The override modal's Save: a manager's chance for the deal, kept with the reason; the deal
history is shown again with it beside the learned figure."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import FieldErrors
from bot.domain.outlook import parse_percent
from bot.services.outlook import REASON_NEEDED, set_override
from bot.slack import ids
from handlers.deal_access import history_view, is_admin
from handlers.deps import Deps
from handlers.guard import FAILED, guarded, save, submitted


@guarded
def override_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = submitted(ack, body, ids.OVERRIDE_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    team_id, user = context["team_id"], body["user"]
    admin = is_admin(client, deps, team_id, user["id"])

    def store() -> None:
        try:
            probability = parse_percent(state.text(ids.OVERRIDE_PROBABILITY))
        except ValueError as error:
            raise FieldErrors({ids.OVERRIDE_PROBABILITY: str(error)}) from None
        reason = (state.text(ids.OVERRIDE_REASON) or "").strip()
        if not reason:
            raise FieldErrors({ids.OVERRIDE_REASON: REASON_NEEDED})
        set_override(
            deps.session,
            team_id=team_id,
            deal_id=deal_id,
            user_id=user["id"],
            admin=admin,
            probability=probability,
            reason=reason,
            now=deps.clock(),
            name=str(user.get("name") or ""),
        )

    if save(ack, context, view, state, store, prefer=ids.OVERRIDE_REASON) is FAILED:
        return
    refreshed = history_view(deps, team_id, user["id"], deal_id)
    if refreshed is None:
        ack()
        return
    ack(response_action="update", view=refreshed)


def register(app: App) -> None:
    app.view(ids.OVERRIDE_MODAL)(override_submitted)
