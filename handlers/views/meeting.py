"""Modal submissions: validated in the app, errors next to the field, stored before the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import DuplicateSubmission
from bot.domain.vocabulary import LostReason
from bot.services.deals import add_replacement_deal
from bot.services.meetings import (
    LoggedMeeting,
    book_next_step,
    log_meeting,
    read_meeting_form,
    replacement_accounts,
)
from bot.services.nudge_answers import Answered, answer_booked, mark_lost
from bot.services.reps import zone
from bot.slack import ids
from bot.slack.blocks.confirmations import booked_confirmation, replacement_confirmation
from bot.slack.blocks.mark_lost_modal import replacement_offer
from bot.slack.view_state import ViewState
from handlers.deps import Deps
from handlers.events.app_home import publish_home
from handlers.guard import (
    FAILED,
    REOPEN,
    errors_for_view,
    guarded,
    modal_error,
    save,
    view_metadata,
)
from handlers.meeting_flow import refresh_nudge_messages, send_coaching
from models import Account, Deal, Rep

log = logging.getLogger("nextstep")


@guarded
def meeting_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    view = body["view"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    if view_metadata(view, ids.MEETING_MODAL_VERSION) is None:
        modal_error(ack, view, REOPEN, prefer=ids.ACCOUNT)
        return
    state = ViewState.parse(view.get("state"))
    form = read_meeting_form(state)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return
    block_of = {action_id: block_id for action_id, (block_id, _) in state.values.items()}
    now = deps.clock()

    def store() -> LoggedMeeting:
        with deps.session() as session:
            return log_meeting(
                session,
                team_id=team_id,
                user_id=user_id,
                form=form,
                view_id=view.get("id"),
                now=now,
                block_of=block_of,
            )

    try:
        logged = save(ack, context, view, state, store, prefer=ids.ACCOUNT)
    except DuplicateSubmission as dup:
        log.info("duplicate submission team=%s view=%s meeting=%s", team_id, view.get("id"), dup.meeting_id)
        ack()
        return
    if logged is FAILED:
        return
    ack()
    try:
        send_coaching(client, deps, team_id=team_id, user_id=user_id, logged=logged)
        publish_home(client, deps, team_id=team_id, user_id=user_id)  # the deal moved in their pipeline
    finally:
        # The meeting answered the deal's open nudges: their DMs say so, in place.
        refresh_nudge_messages(client, deps, team_id=team_id, messages=logged.answered_messages)


@guarded
def booked_it_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    view = body["view"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    meta = view_metadata(view, ids.BOOKED_IT_MODAL_VERSION)
    if meta is None or not isinstance(meta.get("next_step_id"), int):
        modal_error(ack, view, REOPEN, prefer=ids.NEXT_STEP_AT)
        return
    state = ViewState.parse(view.get("state"))
    at, description = state.instant(ids.NEXT_STEP_AT), state.text(ids.NEXT_STEP)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return
    if isinstance(meta.get("nudge_id"), int):
        _booked_from_nudge(ack, client, context, view=view, meta=meta, state=state, user_id=user_id)
        return

    def book() -> tuple[str, list[dict[str, Any]], tuple[tuple[str, str], ...]]:
        with deps.session() as session:
            step, reminders = book_next_step(
                session,
                team_id=team_id,
                user_id=user_id,
                next_step_id=meta["next_step_id"],
                at=at,
                description=description,
                now=deps.clock(),
            )
            deal = session.get(Deal, step.deal_id)
            rep = session.get(Rep, step.rep_id)
            assert deal is not None and rep is not None and step.scheduled_at is not None
            text, blocks = booked_confirmation(
                deal_name=deal.name, description=step.description, at=step.scheduled_at, tz=zone(rep.timezone)
            )
            return text, blocks, reminders

    booked = save(ack, context, view, state, book, prefer=ids.NEXT_STEP_AT)
    if booked is FAILED:
        return
    text, blocks, reminders = booked
    ack()
    message = meta.get("message") or {}
    if message.get("channel") and message.get("ts"):
        # The coaching DM's buttons are spent: say what was done, in place.
        client.chat_update(channel=message["channel"], ts=message["ts"], text=text, blocks=blocks)
    else:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    # The reminders about this step say it is booked, and lose their buttons.
    refresh_nudge_messages(client, deps, team_id=team_id, messages=reminders)
    publish_home(client, deps, team_id=team_id, user_id=user_id)  # the step is booked there too


def _message_of(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The message a modal was opened from, as carried in its private metadata."""
    message = meta.get("message")
    if not isinstance(message, dict):
        return []
    channel, ts = message.get("channel"), message.get("ts")
    return [(channel, ts)] if isinstance(channel, str) and isinstance(ts, str) and channel and ts else []


def _booked_from_nudge(
    ack: Ack,
    client: WebClient,
    context: dict,
    *,
    view: dict[str, Any],
    meta: dict[str, Any],
    state: ViewState,
    user_id: str,
) -> None:
    """The booked-it modal opened from a nudge: book (or move) the step, answer the nudge, update its DM."""
    deps: Deps = context["deps"]
    team_id = context["team_id"]

    def book() -> Answered:
        with deps.session() as session:
            return answer_booked(
                session,
                team_id=team_id,
                user_id=user_id,
                nudge_id=meta["nudge_id"],
                at=state.instant(ids.NEXT_STEP_AT),
                description=state.text(ids.NEXT_STEP),
                rescheduled=meta.get("rescheduled") is True,
                now=deps.clock(),
            )

    done = save(ack, context, view, state, book, prefer=ids.NEXT_STEP_AT)
    if done is FAILED:
        return
    ack()
    refresh_nudge_messages(client, deps, team_id=team_id, messages=[*done.messages, *_message_of(meta)])
    publish_home(client, deps, team_id=team_id, user_id=user_id)  # the step is booked there too


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
    refresh_nudge_messages(client, deps, team_id=team_id, messages=[*done.messages, *_message_of(meta)])
    publish_home(client, deps, team_id=team_id, user_id=user_id)  # the deal leaves their pipeline
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


@guarded
def replacement_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    view = body["view"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    meta = view_metadata(view, ids.REPLACEMENT_MODAL_VERSION)
    if meta is None or not isinstance(meta.get("replaces"), int):
        modal_error(ack, view, REOPEN, prefer=ids.ACCOUNT)
        return
    state = ViewState.parse(view.get("state"))
    account_value, deal_name = state.option(ids.ACCOUNT), state.text(ids.NEW_DEAL_NAME)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return

    def add() -> tuple[str, list[dict[str, Any]]]:
        with deps.session() as session:
            deal = add_replacement_deal(
                session,
                team_id=team_id,
                user_id=user_id,
                replaces_deal_id=meta["replaces"],
                account_value=account_value,
                deal_name=deal_name,
                now=deps.clock(),
            )
            replaced = session.get(Deal, meta["replaces"])
            return replacement_confirmation(
                account_name=deal.account.name,
                deal_name=deal.name,
                replaces_account=replaced.account.name if replaced else "",
            )

    confirmation = save(ack, context, view, state, add, prefer=ids.ACCOUNT)
    if confirmation is FAILED:
        return
    text, blocks = confirmation
    ack()
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def register(app: App) -> None:
    app.view(ids.MEETING_MODAL)(meeting_submitted)
    app.view(ids.BOOKED_IT_MODAL)(booked_it_submitted)
    app.view(ids.REPLACEMENT_MODAL)(replacement_submitted)
    app.view(ids.MARK_LOST_MODAL)(mark_lost_submitted)
