"""`/nextsteps pause [until]` and `/nextsteps resume`: no nudges for a while, then nudges again."""

from __future__ import annotations

from slack_bolt import Ack

from bot.domain.errors import UserFacingError
from bot.services.pauses import pause_nudges, resume_nudges
from bot.slack.blocks.help import NOT_PAUSED, RESUMED, paused_text
from handlers.deps import Deps


def pause_command(ack: Ack, body: dict, context: dict, words: list[str]) -> None:
    """Pause the asker's nudges until the day named in ``words`` (read in their timezone)."""
    deps: Deps = context["deps"]
    try:
        until = pause_nudges(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user_id"],
            text=" ".join(words),
            now=deps.clock(),
        )
    except UserFacingError as error:
        ack(text=str(error))
        return
    ack(text=paused_text(until))


def resume_command(ack: Ack, body: dict, context: dict) -> None:
    """End the asker's pause, if they have one."""
    deps: Deps = context["deps"]
    resumed = resume_nudges(
        deps.session_factory, team_id=context["team_id"], user_id=body["user_id"], now=deps.clock()
    )
    ack(text=RESUMED if resumed else NOT_PAUSED)
