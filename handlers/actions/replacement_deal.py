"""The "Add a replacement deal" buttons (the lost deal's DM, a stalled deal's nudge): the replacement modal."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import select

from bot.services.nudge_answers import NOT_YOURS
from bot.slack import ids
from bot.slack.blocks.replacement_modal import replacement_modal
from handlers.actions.nudge_clicks import nudge_subject
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal
from models import Account, Deal, Rep


@guarded
def add_replacement_deal(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The declined deal's "Add a replacement deal": account and deal name, linked to the lost one."""
    ack()
    deps: Deps = context["deps"]
    raw = button_value(body)
    with deps.session() as session:
        deal_id = ids.parse_row_id(raw)
        deal = session.get(Deal, deal_id) if deal_id else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if deal is None or rep is None or deal.team_id != context["team_id"] or deal.owner_rep_id != rep.id:
            tell(client, body, context, "That deal isn't one of yours.")
            return
        account = session.get(Account, deal.account_id)
        view = replacement_modal(
            deal.id, account.name if account else "", deal.name, account.territory if account else None
        )
    open_modal(client, body, context, view)


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
