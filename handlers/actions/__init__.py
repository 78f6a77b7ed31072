"""Block actions (buttons, menus): coaching DM and nudge buttons (nudges.py), App Home and the deal menu (deals.py).

Each module has register(app); this package's register(app) wires them in order. Handlers may import
bot.services, bot.domain, bot.slack, bot.config and models; never bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import deals, nudges


def register(app: App) -> None:
    nudges.register(app)
    deals.register(app)
