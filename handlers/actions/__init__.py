"""Block actions (buttons, menus), one module per thing the person clicks.

- meeting_modal.py: choices in the open `/meeting` modal.
- booked_it.py: "Booked it" (coaching DM and nudge) and the nudge's "Rescheduled".
- replacement_deal.py: "Add a replacement deal"; log_meeting.py: "Log a meeting" / the nudge's "Log meeting".
- didnt_happen.py, snooze.py, mark_lost.py: the nudge DM's other answers; calendar_links.py: "Add to calendar".
- nudge_clicks.py: no listener; which nudge was clicked, and answering it in place, for the modules above.
- home_page.py, home_log_meeting.py, home_book_step.py, deal_menu.py: the App Home tab.
- deal_history.py: a deal's "History"; reassign_deal.py: its "Reassign" (manager or admin);
  override_forecast.py: its "Set the chance by hand" (manager or admin).
- edit_meeting.py, withdraw_meeting.py: the last meeting's "Edit it" and "Withdraw it".

Each module but nudge_clicks.py has register(app); this package's register(app) wires them in order.
Each reads the click into plain values, calls one service (it opens the session and commits) and
renders the result; handlers import bot.services, bot.domain, bot.slack and bot.config, never models,
sqlalchemy, bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import (
    booked_it,
    calendar_links,
    deal_history,
    deal_menu,
    didnt_happen,
    edit_meeting,
    home_book_step,
    home_log_meeting,
    home_page,
    log_meeting,
    mark_lost,
    meeting_modal,
    override_forecast,
    reassign_deal,
    replacement_deal,
    snooze,
    withdraw_meeting,
)


def register(app: App) -> None:
    # In the order the one nudges.py registered them (their action_ids are all distinct).
    meeting_modal.register(app)
    booked_it.register(app)
    replacement_deal.register(app)
    log_meeting.register(app)
    didnt_happen.register(app)
    snooze.register(app)
    mark_lost.register(app)
    calendar_links.register(app)
    deal_history.register(app)
    home_page.register(app)
    home_log_meeting.register(app)
    home_book_step.register(app)
    deal_menu.register(app)
    edit_meeting.register(app)
    withdraw_meeting.register(app)
    reassign_deal.register(app)
    override_forecast.register(app)
