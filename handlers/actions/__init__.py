"""Block actions (buttons, menus), one module per thing the person clicks.

- nudges.py: choices in the `/meeting` modal, the coaching DM's and the nudge DM's buttons.
- home_page.py, home_log_meeting.py, home_book_step.py, deal_menu.py: the App Home tab.
- deal_history.py: a deal's "History"; reassign_deal.py: its "Reassign" (manager or admin).
- edit_meeting.py, withdraw_meeting.py: the last meeting's "Edit it" and "Withdraw it".

Each module has register(app); this package's register(app) wires them in order. Handlers may import
bot.services, bot.domain, bot.slack, bot.config and models; never bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import (
    deal_history,
    deal_menu,
    edit_meeting,
    home_book_step,
    home_log_meeting,
    home_page,
    nudges,
    reassign_deal,
    withdraw_meeting,
)


def register(app: App) -> None:
    nudges.register(app)
    deal_history.register(app)
    home_page.register(app)
    home_log_meeting.register(app)
    home_book_step.register(app)
    deal_menu.register(app)
    edit_meeting.register(app)
    withdraw_meeting.register(app)
    reassign_deal.register(app)
