"""Modal submissions: /meeting, booked it, mark lost, replacement (meeting.py); the catch-all for unknown modals (unknown.py), registered last here.

Each module has register(app); this package's register(app) wires them in order. Handlers may import
bot.services, bot.domain, bot.slack, bot.config and models; never bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.views import meeting, unknown


def register(app: App) -> None:
    meeting.register(app)
    unknown.register(app)
