"""Choices in the open `/meeting` modal (account, deal, ask type, reaction): the modal re-rendered."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import ids
from handlers.guard import guarded
from handlers.meeting_flow import refresh_meeting_modal


@guarded
def modal_choice(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Account, deal, ask type or reaction chosen in the open `/meeting` modal: re-render it."""
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != ids.MEETING_MODAL:
        return
    refresh_meeting_modal(
        client, context["deps"], team_id=context["team_id"], view=view, user_id=body["user"]["id"]
    )


def register(app: App) -> None:
    for action_id in (ids.ACCOUNT, ids.DEAL, ids.ASK_TYPE, ids.REACTION):
        app.block_action(action_id)(modal_choice)
