"""The deal menu's "Mark lost" modal: close the deal with its reason, update its nudge DMs."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.vocabulary import LostReason
from bot.services.deal_edits import close_deal
from bot.slack import ids
from handlers.deps import Deps
from handlers.events.app_home import refresh_home
from handlers.guard import guarded, saved, submitted
from handlers.meeting_flow import refresh_nudge_messages


@guarded
def deal_lost_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = submitted(ack, body, ids.DEAL_LOST_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    raw = state.option(ids.LOST_REASON)
    reason = LostReason(raw) if raw in set(LostReason) else None
    team_id, user_id = context["team_id"], body["user"]["id"]
    messages: list[tuple[str, str]] = []

    def save() -> None:
        with deps.session() as session:
            messages.extend(
                close_deal(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    deal_id=deal_id,
                    won=False,
                    reason=reason,
                    now=deps.clock(),
                )
            )

    if saved(ack, context, view, state, save):
        refresh_nudge_messages(client, deps, team_id=team_id, messages=messages)
        refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(ids.DEAL_LOST_MODAL)(deal_lost_submitted)
