"""The deal menu's "Mark lost" modal: close the deal with its reason, update its nudge DMs."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.vocabulary import LostReason
from bot.services.deal_edits import close_deal
from bot.services.store import run
from bot.slack import ids
from handlers.events.app_home import refresh_home
from handlers.guard import guarded, submission
from handlers.meeting_flow import refresh_nudge_messages


@guarded
def deal_lost_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(
        ack,
        body,
        context,
        ids.DEAL_LOST_MODAL_VERSION,
        lambda s: s.member(ids.LOST_REASON, LostReason),
        key="deal_id",
    )
    if found is None:
        return
    sub, reason = found
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]
    messages: list[tuple[str, str]] = []

    def close() -> None:
        messages.extend(
            run(
                deps.session_factory,
                close_deal,
                team_id=team_id,
                user_id=user_id,
                deal_id=sub.meta["deal_id"],
                won=False,
                reason=reason,
                now=deps.clock(),
            )
        )

    if sub.saved(close):
        refresh_nudge_messages(client, deps, team_id=team_id, messages=messages)
        refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(ids.DEAL_LOST_MODAL)(deal_lost_submitted)
