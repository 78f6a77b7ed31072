"""The deal history's "Set the chance by hand": the override modal, for the owner's manager or an admin."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.outlook import OVERRIDE_REFUSED, override_form_for
from bot.slack import ids
from bot.slack.blocks.app_home import percent
from bot.slack.blocks.deal_modals import override_modal
from handlers.clicks import button_value, tell
from handlers.deal_access import is_admin
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal


@guarded
def override_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Push the override modal over the deal history (value: deal id)."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    form = override_form_for(
        deps.session_factory,
        team_id,
        ids.parse_row_id(button_value(body)),
        user_id,
        deps.clock(),
        lambda: is_admin(client, deps, team_id, user_id),
    )
    if form is None:
        tell(client, body, context, OVERRIDE_REFUSED)
        return
    learned = f"{percent(form.learned.probability)} ({form.learned.interval_text})"
    current = (
        f"{percent(form.current.probability)} by {form.current.by_name}: \u201c{form.current.reason}\u201d"
        if form.current
        else None
    )
    view = override_modal(form.deal_id, form.account_name, form.deal_name, learned, current)
    open_modal(client, body, context, view, push=True)


def register(app: App) -> None:
    app.block_action(ids.OVERRIDE_FORECAST)(override_clicked)
