"""A nudge's "Snooze": the nudge postponed, the DM updated in place."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.nudge_answers import answer_snooze
from bot.slack import ids
from handlers.actions.nudge_clicks import answer_in_place
from handlers.deps import Deps
from handlers.guard import guarded


@guarded
def nudge_snooze(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Snooze chosen in a nudge (option value "<nudge id>:<choice>"): postponed, the DM updated in place."""
    ack()
    deps: Deps = context["deps"]
    option = (body.get("actions") or [{}])[0].get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    raw, _, choice = (value if isinstance(value, str) else "").partition(":")
    answer_in_place(
        client,
        body,
        context,
        lambda: answer_snooze(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user"]["id"],
            nudge_id=ids.parse_row_id(raw),
            choice=choice,
            now=deps.clock(),
        ),
    )


def register(app: App) -> None:
    app.block_action(ids.NUDGE_SNOOZE)(nudge_snooze)
