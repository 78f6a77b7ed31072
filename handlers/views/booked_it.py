"""The "Booked it" modal saved (coaching DM, or a nudge's "Booked it" or "Rescheduled"): step booked, DMs updated."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.meetings import book_next_step
from bot.services.nudge_answers import Answered, answer_booked
from bot.services.reps import zone
from bot.slack import ids
from bot.slack.blocks.confirmations import booked_confirmation
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
from models import Deal, Rep


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
    refresh_home(client, deps, team_id=team_id, user_id=user_id)  # the step is booked there too


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
    refresh_nudge_messages(client, deps, team_id=team_id, messages=[*done.messages, *opened_from(meta)])
    refresh_home(client, deps, team_id=team_id, user_id=user_id)  # the step is booked there too


def register(app: App) -> None:
    app.view(ids.BOOKED_IT_MODAL)(booked_it_submitted)
