"""`/nextsteps leaderboard [this|last]`: the asker's team's board, only for them."""

from __future__ import annotations

from slack_bolt import Ack

from bot.services.leaderboard import (
    compute_board,
    post_moment,
    reported_week,
    scope_of_user,
    week_containing,
    workspace_zone,
)
from bot.services.reps import ensure_workspace
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
    now = deps.clock()
    with FIRST_USE, deps.session() as session:
        workspace = ensure_workspace(session, context["team_id"], now)
        session.commit()
        tz = workspace_zone(workspace)
        scope = scope_of_user(session, workspace, body["user_id"])
        if which == "this":
            board = compute_board(
                session, workspace, scope, week_containing(now, tz), as_of=now, in_progress=True
            )
        else:
            week = reported_week(now, tz)
            board = compute_board(
                session, workspace, scope, week, as_of=min(now, post_moment(workspace, week))
            )
    text, blocks = leaderboard_message(board)
    ack(text=text, blocks=blocks)
