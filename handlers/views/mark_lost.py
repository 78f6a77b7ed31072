"""The nudge's "Mark lost" saved: the deal closed with its reason, then an offer to replace the prospect."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.vocabulary import LostReason
from bot.services.deals import lost_deal
from bot.services.nudge_answers import Answered, mark_lost
from bot.services.store import run
from bot.slack import ids
from bot.slack.blocks.mark_lost_modal import replacement_offer
from bot.slack.view_state import ViewState
from handlers.events.app_home import refresh_home
from handlers.guard import FAILED, guarded, opened_from, submission
from handlers.meeting_flow import refresh_nudge_messages


def _reason(state: ViewState) -> LostReason | None:
    raw = state.option(ids.LOST_REASON)
    try:
        return LostReason(raw or "")
    except ValueError:
        if not state.errors:
            message = (
                "Pick why the deal was lost."
                if not raw
                else "That reason isn't offered any more. Pick again."
            )
            state.errors[state.block_id(ids.LOST_REASON)] = message
        return None


@guarded
def mark_lost_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Why the deal was lost: close it, update its nudge DMs in place, offer to replace the prospect."""
    found = submission(
        ack, body, context, ids.MARK_LOST_MODAL_VERSION, _reason, key="nudge_id", prefer=ids.LOST_REASON
    )
    if found is None:
        return
    sub, reason = found
    assert reason is not None
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]

    def close() -> Answered:
        return run(
            deps.session_factory,
            mark_lost,
            team_id=team_id,
            user_id=user_id,
            nudge_id=sub.meta["nudge_id"],
            reason=reason,
            now=deps.clock(),
        )

    done = sub.save(close)
    if done is FAILED:
        return
    ack()
    refresh_nudge_messages(client, deps, team_id=team_id, messages=[*done.messages, *opened_from(sub.meta)])
    refresh_home(client, deps, team_id=team_id, user_id=user_id)  # the deal leaves their pipeline
    if not done.repeat and done.deal_id:
        lost = lost_deal(deps.session_factory, team_id, done.deal_id)
        if (
            lost is not None
        ):  # the lost deal's DM: replace the prospect, with the rep's accounts in that territory
            text, blocks = replacement_offer(
                deal_id=lost.deal_id,
                account_name=lost.account_name,
                deal_name=lost.deal_name,
                territory=lost.territory,
                accounts=lost.accounts,
            )
            client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def register(app: App) -> None:
    app.view(ids.MARK_LOST_MODAL)(mark_lost_submitted)
