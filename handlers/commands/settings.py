"""`/nextsteps settings`: admins get the settings modal. Its Save is handlers/views/settings.py."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.services.reps import SlackProfile
from bot.services.settings import settings_for_admin
from bot.slack.blocks.help import not_admin_text
from bot.slack.blocks.settings_modal import settings_modal
from handlers.commands.welcome import FIRST_USE
from handlers.deps import Deps
from handlers.modals import open_modal


def settings_command(ack: Ack, body: dict, client: WebClient, context: dict, first: str = "") -> None:
    """Admins get the settings modal (the teams named like ``first`` first); anyone else a polite refusal."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    profile = SlackProfile.from_users_info(client.users_info(user=user_id)["user"])
    with FIRST_USE:  # the welcome beside this command may create the same rows
        shown = settings_for_admin(deps.session_factory, team_id, profile, deps.clock(), deps.admins, first)
    if shown is None:
        ack(text=not_admin_text(deps.config.multi_workspace))
        return
    ack()
    open_modal(client, body, context, settings_modal(shown))
