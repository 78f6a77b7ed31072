"""Slash commands: `/meeting` and `/nextsteps`, which dispatches its subcommands (nextsteps.py).

The subcommands are functions, not listeners (Slack sends one command): settings, privacy and
leaderboard (settings.py), deal (deal.py), team (team.py), export (export.py).

Each module has register(app); this package's register(app) wires them in order. Handlers may import
bot.services, bot.domain, bot.slack, bot.config and models; never bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import nextsteps


def register(app: App) -> None:
    nextsteps.register(app)
