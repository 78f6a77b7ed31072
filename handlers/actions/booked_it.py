"""The "Booked it" buttons (coaching DM, nudge) and the nudge's "Rescheduled": the date-time modal."""

from __future__ import annotations

import json

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed
from bot.services.next_steps import StepClosed, step_to_book
from bot.slack import ids
from bot.slack.blocks.booked_it_modal import booked_it_modal
from handlers.actions.nudge_clicks import already_answered, message_ref, nudge_subject
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal


def _open_from_message(client: WebClient, body: dict, context: dict, view: dict) -> None:
    """The modal, carrying the message it was opened from (updated in place once saved)."""
    meta = json.loads(view["private_metadata"])
    meta["message"] = message_ref(body)
    view["private_metadata"] = json.dumps(meta)
    open_modal(client, body, context, view)


@guarded
def booked_it(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The coaching DM's "Booked it": a small date-time modal for the unscheduled next step."""
    ack()
    deps: Deps = context["deps"]
    try:
        step = step_to_book(
            deps.session_factory, context["team_id"], body["user"]["id"], ids.parse_row_id(button_value(body))
        )
    except StepClosed as error:
        tell(
            client,
            body,
            context,
            f"That next step is already {error.status}. Log a meeting with /meeting instead.",
        )
        return
    except NotAllowed as error:
        tell(client, body, context, str(error))
        return
    view = booked_it_modal(step.step_id, step.description, step.deal_name, step.scheduled_at)
    _open_from_message(client, body, context, view)


def _open_booking(body: dict, client: WebClient, context: dict, *, rescheduled: bool) -> None:
    subject = nudge_subject(client, body, context, button_value(body))
    if subject is None or already_answered(client, body, context, subject):
        return
    if subject.next_step_id is None or not subject.next_step_open:
        tell(client, body, context, "That next step is closed already. Log a meeting with /meeting instead.")
        return
    view = booked_it_modal(
        subject.next_step_id,
        subject.description,
        subject.deal_name,
        None if rescheduled else subject.scheduled_at,  # the old time has passed: no use as a default
        nudge_id=subject.nudge_id,
        rescheduled=rescheduled,
    )
    _open_from_message(client, body, context, view)


@guarded
def nudge_booked_it(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """An unscheduled nudge's "Booked it": the date-time modal; saving it answers the nudge."""
    ack()
    _open_booking(body, client, context, rescheduled=False)


@guarded
def nudge_rescheduled(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """An overdue nudge's "Rescheduled": the date-time modal for the new time."""
    ack()
    _open_booking(body, client, context, rescheduled=True)


def register(app: App) -> None:
    app.block_action(ids.BOOKED_IT)(booked_it)
    app.block_action(ids.NUDGE_BOOKED_IT)(nudge_booked_it)
    app.block_action(ids.NUDGE_RESCHEDULED)(nudge_rescheduled)
