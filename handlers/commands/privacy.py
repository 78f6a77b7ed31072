"""`/nextsteps privacy [on|off]`: off the leaderboard by name, or back on it."""

from __future__ import annotations

from slack_bolt import Ack

from bot.services.reps import ensure_workspace
from bot.services.settings import set_opt_out
from handlers.commands.welcome import FIRST_USE
from handlers.deps import Deps

OPTED_OUT = (
    "You're off the leaderboard: your meetings still count in your team's totals, but your name isn't "
    "shown. `/nextsteps privacy` again to be named."
)
OPTED_IN = "You're on the leaderboard again, named with your numbers. `/nextsteps privacy` to opt out."


def privacy_command(ack: Ack, body: dict, context: dict, words: list[str]) -> None:
    deps: Deps = context["deps"]
    choice = {"on": True, "off": False, "out": True, "in": False}.get(words[0].lower()) if words else None
    with FIRST_USE, deps.session() as session:
        ensure_workspace(session, context["team_id"], deps.clock())
        opted_out = set_opt_out(session, context["team_id"], body["user_id"], deps.clock(), choice)
    ack(text=OPTED_OUT if opted_out else OPTED_IN)
