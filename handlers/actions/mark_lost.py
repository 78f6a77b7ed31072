"""A nudge's "Mark lost": the modal asking why. Its Save is handlers/views/mark_lost.py."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.blocks.mark_lost_modal import mark_lost_modal
from handlers.actions.nudge_clicks import already_answered, message_ref, nudge_subject
from handlers.clicks import button_value
from handlers.guard import guarded
from handlers.modals import open_modal


@guarded
def nudge_mark_lost(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The nudge's "Mark lost": a small modal asks why; saving it closes the deal."""
    ack()
    subject = nudge_subject(client, body, context, button_value(body))
    if subject is None or already_answered(client, body, context, subject):
        return
    view = mark_lost_modal(subject.nudge_id, subject.account_name, subject.deal_name, message_ref(body))
    open_modal(client, body, context, view)


def register(app: App) -> None:
    app.block_action(ids.NUDGE_MARK_LOST)(nudge_mark_lost)
