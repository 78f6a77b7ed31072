"""Options for external selects: the account typeahead (accounts.py).

Each module has register(app); this package's register(app) wires them in order. Handlers import
bot.services, bot.domain, bot.slack and bot.config; never models, sqlalchemy, bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.options import accounts


def register(app: App) -> None:
    accounts.register(app)
