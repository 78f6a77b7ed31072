"""`/nextsteps …`: Slack sends one command; this dispatches each subcommand to its module."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.blocks.help import help_blocks
from handlers.commands.deal import deal_command
from handlers.commands.export import export_command
from handlers.commands.forecast import forecast_command
from handlers.commands.leaderboard import leaderboard_command
from handlers.commands.pause import pause_command, resume_command
from handlers.commands.privacy import privacy_command
from handlers.commands.settings import settings_command
from handlers.commands.team import team_command
from handlers.commands.welcome import welcome_on_first_use
from handlers.deps import Deps
from handlers.guard import guarded


@guarded
def nextsteps(ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict) -> None:
    words = (body.get("text") or "").split()
    sub = words[0].lower() if words else "help"
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    welcome_on_first_use(client, deps, team_id, user_id)
    if sub == "settings":
        settings_command(ack, body, client, context, " ".join(words[1:]))
        return
    if sub == "privacy":
        privacy_command(ack, body, context, words[1:])
        return
    if sub == "leaderboard":
        leaderboard_command(ack, body, context, words[1:])
        return
    if sub == "deal":
        deal_command(ack, body, client, respond, context, " ".join(words[1:]))
        return
    if sub == "team":
        team_command(ack, body, client, context)
        return
    if sub == "forecast":
        forecast_command(ack, body, client, context, words[1:])
        return
    if sub == "export":
        export_command(ack, body, client, respond, context, words[1:])
        return
    if sub == "pause":
        pause_command(ack, body, context, words[1:])
        return
    if sub == "resume":
        resume_command(ack, body, context)
        return
    text, blocks = help_blocks(unknown=None if sub == "help" else sub, oauth=deps.config.multi_workspace)
    ack(text=text, blocks=blocks)


def register(app: App) -> None:
    app.command("/nextsteps")(nextsteps)
