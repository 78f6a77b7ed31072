"""Slash commands: `/meeting` (meeting.py) and `/nextsteps` (nextsteps.py, which dispatches its subcommands).

Slack sends one `/nextsteps` command, so each subcommand's module exports a function the dispatcher
calls rather than a listener: settings.py, privacy.py, leaderboard.py, pause.py (pause and resume),
deal.py, team.py, export.py; welcome.py holds the welcome DM owed on a first `/nextsteps`. Only the
modules that register a Bolt listener (meeting.py, nextsteps.py) have register(app); this package's
register(app) wires them in order. Handlers may import bot.services, bot.domain, bot.slack,
bot.config and models; never bot.clock or bot.runtime, but for the exceptions pyproject.toml lists
(welcome.py sends the welcome through the clock's weekly module).
"""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import meeting, nextsteps


def register(app: App) -> None:
    meeting.register(app)
    nextsteps.register(app)
