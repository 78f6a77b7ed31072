"""The Home tab's "Book the next step": the same small "Booked it" modal as the coaching DM's."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import select

from bot.domain.vocabulary import NextStepStatus
from bot.slack import ids
from bot.slack.blocks.booked_it_modal import booked_it_modal
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal
from models import Deal, NextStep, Rep


@guarded
def home_book_step(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The Home tab's "Book the next step": the same small "Booked it" modal as the coaching DM's."""
    ack()
    deps: Deps = context["deps"]
    step_id = ids.parse_row_id(button_value(body))
    with deps.session() as session:
        step = session.get(NextStep, step_id) if step_id else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if step is None or rep is None or step.team_id != context["team_id"] or step.rep_id != rep.id:
            tell(client, body, context, "That next step isn't one of yours, so I can't book it.")
            return
        if step.status not in (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED):
            tell(client, body, context, f"That next step is already {step.status}. Log a meeting instead.")
            return
        deal = session.get(Deal, step.deal_id)
        view = booked_it_modal(step.id, step.description, deal.name if deal else "", step.scheduled_at)
    open_modal(client, body, context, view)


def register(app: App) -> None:
    app.block_action(ids.HOME_BOOK_STEP)(home_book_step)
