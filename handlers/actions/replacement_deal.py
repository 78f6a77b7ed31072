"""The "Add a replacement deal" buttons (the lost deal's DM, a stalled deal's nudge): the replacement modal."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed
from bot.services.deals import replacement_for
from bot.services.nudge_answers import NOT_YOURS
from bot.slack import ids
from bot.slack.blocks.replacement_modal import replacement_modal
from handlers.actions.nudge_clicks import nudge_subject
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal


@guarded
def add_replacement_deal(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The declined deal's "Add a replacement deal": account and deal name, linked to the lost one."""
    ack()
    deps: Deps = context["deps"]
    try:
        deal = replacement_for(
            deps.session_factory, context["team_id"], body["user"]["id"], ids.parse_row_id(button_value(body))
        )
    except NotAllowed as error:
        tell(client, body, context, str(error))
        return
    open_modal(
        client,
        body,
        context,
        replacement_modal(deal.deal_id, deal.account_name, deal.deal_name, deal.territory),
    )


@guarded
def nudge_replace(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """A stalled deal's "Add a replacement deal": the replacement modal, as from the coaching DM."""
    ack()
    subject = nudge_subject(client, body, context, button_value(body))
    if subject is None:
        return
    if subject.deal_id is None:
        tell(client, body, context, NOT_YOURS)
        return
    view = replacement_modal(subject.deal_id, subject.account_name, subject.deal_name, subject.territory)
    open_modal(client, body, context, view)


def register(app: App) -> None:
    app.block_action(ids.ADD_REPLACEMENT_DEAL)(add_replacement_deal)
    app.block_action(ids.NUDGE_REPLACE)(nudge_replace)
