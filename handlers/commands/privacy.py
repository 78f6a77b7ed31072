"""`/nextsteps privacy [on|off]`: off the leaderboard by name, or back on it."""

from __future__ import annotations

from slack_bolt import Ack

from bot.services.settings import choose_privacy
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
    with FIRST_USE:  # the workspace's row may be made here: not while the welcome makes it
        opted_out = choose_privacy(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user_id"],
            now=deps.clock(),
            opt_out=choice,
        )
    ack(text=OPTED_OUT if opted_out else OPTED_IN)
