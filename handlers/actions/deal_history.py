"""A deal's "History" button (Home tab, a nudge, the manager's digest, `/nextsteps deal`): its history modal."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import ids
from handlers.clicks import button_value, tell
from handlers.deal_access import DEAL_REFUSED, history_view, may_see
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal

log = logging.getLogger("nextstep")


@guarded
def open_deal(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The deal's history, from the Home tab, a nudge or the manager's digest (value: deal id)."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    deal_id = ids.parse_row_id(button_value(body))
    view = (
        history_view(deps, team_id, user_id, deal_id)
        if deal_id is not None and may_see(client, deps, team_id, user_id, deal_id)
        else None
    )
    if view is None:
        log.info("deal history refused team=%s request=%s", team_id, context.get("request_id"))
        tell(client, body, context, DEAL_REFUSED)
        return
    open_modal(client, body, context, view)


def register(app: App) -> None:
    app.block_action(ids.OPEN_DEAL)(open_deal)
