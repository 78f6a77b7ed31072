"""`/nextsteps pause [until]` and `/nextsteps resume`: no nudges for a while, then nudges again."""

from __future__ import annotations

from slack_bolt import Ack
from sqlalchemy import select

from bot.domain.errors import UserFacingError
from bot.services.pauses import parse_day, pause, resume
from bot.services.reps import zone
from bot.slack.blocks.help import NOT_PAUSED, RESUMED, paused_text
from handlers.deps import Deps
from models import Rep


def pause_command(ack: Ack, body: dict, context: dict, words: list[str]) -> None:
    """Pause the asker's nudges until the day named in ``words`` (read in their timezone)."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    now = deps.clock()
    try:
        with deps.session() as session:
            rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
            tz = zone(rep.timezone if rep else None)
            today = now.astimezone(tz).date()
            until = parse_day(" ".join(words), today)
            pause(session, team_id=team_id, user_id=user_id, until=until, today=today, now=now)
    except UserFacingError as error:
        ack(text=str(error))
        return
    ack(text=paused_text(until))


def resume_command(ack: Ack, body: dict, context: dict) -> None:
    """End the asker's pause, if they have one."""
    deps: Deps = context["deps"]
    with deps.session() as session:
        rep = resume(session, team_id=context["team_id"], user_id=body["user_id"], now=deps.clock())
    ack(text=RESUMED if rep else NOT_PAUSED)
