"""Slash commands: `/meeting [account]` and `/nextsteps …`."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.accounts import find_account
from bot.blocks.help import help_blocks
from handlers import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal, refresh_profile

log = logging.getLogger("nextstep")


@guarded
def meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    text = (body.get("text") or "").strip()
    account = None
    if text:
        with deps.session() as session:
            account = find_account(session, team_id, text)
    open_meeting_modal(
        client,
        deps,
        team_id=team_id,
        trigger_id=body["trigger_id"],
        account=account,
        channel_id=body.get("channel_id"),
    )
    # After the modal is up: the rep's timezone is fresh by the time they submit.
    refresh_profile(client, deps, team_id=team_id, user_id=user_id)


@guarded
def nextsteps(ack: Ack, body: dict) -> None:
    words = (body.get("text") or "").split()
    sub = words[0].lower() if words else "help"
    if sub == "help":
        text, blocks = help_blocks()
        ack(text=text, blocks=blocks)
        return
    text, blocks = help_blocks(unknown=sub)
    ack(text=text, blocks=blocks)


def register(app: App) -> None:
    app.command("/meeting")(meeting)
    app.command("/nextsteps")(nextsteps)
