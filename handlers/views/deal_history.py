"""The deal history modal is read-only: a stray submission just closes it."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack import ids


def close_history(ack: Ack) -> None:
    ack()


def register(app: App) -> None:
    app.view(ids.DEAL_HISTORY_MODAL)(close_history)
