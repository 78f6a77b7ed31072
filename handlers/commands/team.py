"""`/nextsteps team`: the pipelines and hygiene of the manager's reps."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.domain.pipeline import hygiene
from bot.domain.vocabulary import RepStatus
from bot.services.permissions import reps_managed_by
from bot.services.pipeline import load_pipeline
from bot.slack.blocks.team_pipeline import NOT_A_MANAGER, team_message
from handlers.deps import Deps


def team_command(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """`/nextsteps team`: the pipelines and hygiene of the manager's reps."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    now = deps.clock()
    with deps.session() as session:
        reps = reps_managed_by(session, team_id, user_id)
        if not reps:
            ack(text=NOT_A_MANAGER)
            return
        rows = [
            hygiene(r.display_name, r.status == RepStatus.LEFT, load_pipeline(session, team_id, r, now), now)
            for r in reps
        ]
    text, blocks = team_message(rows)
    ack(text=text, blocks=blocks)
