"""The "Add to calendar" links (Google, Outlook): URL buttons still send an action to acknowledge."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack import ids


def ack_only(ack: Ack) -> None:
    """URL buttons (calendar links) still send an action; Slack wants it acknowledged."""
    ack()


def register(app: App) -> None:
    app.block_action(ids.CALENDAR_GOOGLE)(ack_only)
    app.block_action(ids.CALENDAR_OUTLOOK)(ack_only)
