"""`/nextsteps leaderboard [this|last]`: the asker's team's board, only for them."""

from __future__ import annotations

from slack_bolt import Ack

from bot.services.leaderboard import board_for
from bot.slack.blocks.leaderboard import leaderboard_message
from handlers.commands.welcome import FIRST_USE
from handlers.deps import Deps


def leaderboard_command(ack: Ack, body: dict, context: dict, words: list[str]) -> None:
    """The asker's team's board, only for them: `this` week so far, or `last` (the default) week."""
    deps: Deps = context["deps"]
    which = words[0].lower() if words else "last"
    if which not in ("this", "last"):
        ack(
            text="Try `/nextsteps leaderboard last` (last week) or `/nextsteps leaderboard this` (this week so far)."
        )
        return
    with FIRST_USE:  # the workspace's row may be made here: not while the welcome makes it
        board = board_for(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user_id"],
            this_week=which == "this",
            now=deps.clock(),
        )
    text, blocks = leaderboard_message(board)
    ack(text=text, blocks=blocks)
