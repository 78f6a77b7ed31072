"""The nudge's "Mark lost" saved: the deal closed with its reason, then an offer to replace the prospect."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.vocabulary import LostReason
from bot.services.meetings import replacement_accounts
from bot.services.nudge_answers import Answered, mark_lost
from bot.slack import ids
from bot.slack.blocks.mark_lost_modal import replacement_offer
from bot.slack.view_state import ViewState
from handlers.deps import Deps
from handlers.events.app_home import refresh_home
from handlers.guard import (
    FAILED,
    REOPEN,
    errors_for_view,
    guarded,
    modal_error,
    opened_from,
    save,
    view_metadata,
)
from handlers.meeting_flow import refresh_nudge_messages
from models import Account, Deal


@guarded
def mark_lost_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Why the deal was lost: close it, update its nudge DMs in place, offer to replace the prospect."""
    deps: Deps = context["deps"]
    view = body["view"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    meta = view_metadata(view, ids.MARK_LOST_MODAL_VERSION)
    if meta is None or not isinstance(meta.get("nudge_id"), int):
        modal_error(ack, view, REOPEN, prefer=ids.LOST_REASON)
        return
    state = ViewState.parse(view.get("state"))
    raw = state.option(ids.LOST_REASON)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return
    try:
        reason = LostReason(raw or "")
    except ValueError:
        message = (
            "Pick why the deal was lost." if not raw else "That reason isn't offered any more. Pick again."
        )
        ack(response_action="errors", errors=errors_for_view(view, {ids.LOST_REASON: message}, state))
        return

    def close() -> Answered:
        with deps.session() as session:
            return mark_lost(
                session,
                team_id=team_id,
                user_id=user_id,
                nudge_id=meta["nudge_id"],
                reason=reason,
                now=deps.clock(),
            )

    done = save(ack, context, view, state, close, prefer=ids.LOST_REASON)
    if done is FAILED:
        return
    ack()
    refresh_nudge_messages(client, deps, team_id=team_id, messages=[*done.messages, *opened_from(meta)])
    refresh_home(client, deps, team_id=team_id, user_id=user_id)  # the deal leaves their pipeline
    if not done.repeat:
        _offer_replacement(client, deps, team_id=team_id, user_id=user_id, done=done)


def _offer_replacement(client: WebClient, deps: Deps, *, team_id: str, user_id: str, done: Answered) -> None:
    """The lost deal's DM: replace the prospect, with the rep's accounts in that territory."""
    with deps.session() as session:
        deal = session.get(Deal, done.deal_id) if done.deal_id else None
        account = session.get(Account, deal.account_id) if deal else None
        if deal is None or account is None:
            return
        text, blocks = replacement_offer(
            deal_id=deal.id,
            account_name=account.name,
            deal_name=deal.name,
            territory=account.territory,
            accounts=replacement_accounts(session, team_id, deal.owner_rep_id, account.id),
        )
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def register(app: App) -> None:
    app.view(ids.MARK_LOST_MODAL)(mark_lost_submitted)
