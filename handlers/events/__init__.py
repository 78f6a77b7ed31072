"""Slack events (one file per event): app_home_opened (app_home.py), tokens_revoked and app_uninstalled (tokens.py).

Each module has register(app); this package's register(app) wires them in order. Handlers may import
bot.services, bot.domain, bot.slack, bot.config and models; never bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.events import app_home, tokens


def register(app: App) -> None:
    tokens.register(app)  # first: it holds the event_id de-duplication middleware
    app_home.register(app)
