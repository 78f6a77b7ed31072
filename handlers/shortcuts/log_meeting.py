"""The "Log a meeting" shortcuts: the `/meeting` modal where slash commands don't reach.

Slash commands do not work in threads, and the app's Messages tab is read-only, so a rep on a
phone opens the modal from the shortcuts menu, or from a message (a thread's summary of the
call, say), whose text becomes the notes.
"""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.meetings import MAX_NOTES
from bot.slack import ids
from bot.slack.message_text import plain_message_text
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal, refresh_profile


@guarded
def log_meeting_shortcut(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The global shortcut: the `/meeting` modal, empty."""
    ack()
    if open_meeting_modal(client, body, context, account=None, channel_id=None):
        refresh_profile(client, context["deps"], team_id=context["team_id"], user_id=body["user"]["id"])


@guarded
def log_meeting_from_message(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The message shortcut: the `/meeting` modal with the message's words in the notes."""
    ack()
    message = body.get("message") or {}
    notes = plain_message_text(
        message.get("text") if isinstance(message.get("text"), str) else None, MAX_NOTES
    )
    channel = (body.get("channel") or {}).get("id")
    if open_meeting_modal(client, body, context, account=None, channel_id=channel, notes=notes or None):
        refresh_profile(client, context["deps"], team_id=context["team_id"], user_id=body["user"]["id"])


def register(app: App) -> None:
    app.global_shortcut(ids.LOG_MEETING_SHORTCUT)(log_meeting_shortcut)
    app.message_shortcut(ids.LOG_MEETING_FROM_MESSAGE)(log_meeting_from_message)
