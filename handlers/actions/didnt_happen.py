"""An overdue nudge's "Didn't happen": kept as missed, a new unscheduled step, the DM updated in place."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.nudge_answers import answer_didnt_happen
from bot.slack import ids
from handlers.actions.nudge_clicks import answer_in_place
from handlers.clicks import button_value
from handlers.deps import Deps
from handlers.guard import guarded


@guarded
def nudge_didnt_happen(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """An overdue nudge's "Didn't happen": kept as missed, a new unscheduled step; the DM says so in place."""
    ack()
    deps: Deps = context["deps"]
    answer_in_place(
        client,
        body,
        context,
        lambda: answer_didnt_happen(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user"]["id"],
            nudge_id=ids.parse_row_id(button_value(body)),
            now=deps.clock(),
        ),
    )


def register(app: App) -> None:
    app.block_action(ids.NUDGE_DIDNT_HAPPEN)(nudge_didnt_happen)
