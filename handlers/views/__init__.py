"""Modal submissions, one module per modal the person saves; the catch-all for unknown modals last.

- meeting.py: `/meeting`; booked_it.py: "Booked it" (from the coaching DM or a nudge, and "Rescheduled").
- replacement_deal.py: the replacement deal; mark_lost.py: the nudge's "Mark lost".
- edit_deal.py, deal_lost.py: the deal menu's edit and "Mark lost"; reassign_deal.py: "Reassign".
- edit_meeting.py: the last meeting's edit; deal_history.py: the read-only history modal.
- settings.py: the admins' settings modal (`/nextsteps settings`).
- unknown.py: any other callback_id (an old deploy's modal), registered last here.

Each module has register(app); this package's register(app) wires them in order. Handlers may import
bot.services, bot.domain, bot.slack, bot.config and models; never bot.clock or bot.runtime.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.views import (
    booked_it,
    deal_history,
    deal_lost,
    edit_deal,
    edit_meeting,
    mark_lost,
    meeting,
    override_forecast,
    reassign_deal,
    replacement_deal,
    settings,
    unknown,
)


def register(app: App) -> None:
    meeting.register(app)
    booked_it.register(app)
    replacement_deal.register(app)
    mark_lost.register(app)
    edit_deal.register(app)
    deal_lost.register(app)
    reassign_deal.register(app)
    override_forecast.register(app)
    edit_meeting.register(app)
    deal_history.register(app)
    settings.register(app)
    unknown.register(app)  # last: it matches every callback_id
