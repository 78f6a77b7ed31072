"""`/nextsteps team`: the pipelines and hygiene of the manager's reps."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.services.pipeline import team_hygiene
from bot.slack.blocks.team_pipeline import NOT_A_MANAGER, team_message
from handlers.deps import Deps


def team_command(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """`/nextsteps team`: the pipelines and hygiene of the manager's reps."""
    deps: Deps = context["deps"]
    rows = team_hygiene(deps.session_factory, context["team_id"], body["user_id"], deps.clock())
    if not rows:
        ack(text=NOT_A_MANAGER)
        return
    text, blocks = team_message(rows)
    ack(text=text, blocks=blocks)
