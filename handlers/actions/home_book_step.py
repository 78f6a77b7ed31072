"""The Home tab's "Book the next step": the same small "Booked it" modal as the coaching DM's."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import UserFacingError
from bot.services.next_steps import step_to_book
from bot.slack import ids
from bot.slack.blocks.booked_it_modal import booked_it_modal
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.modals import open_modal


@guarded
def home_book_step(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The Home tab's "Book the next step": the same small "Booked it" modal as the coaching DM's."""
    ack()
    deps: Deps = context["deps"]
    try:
        step = step_to_book(
            deps.session_factory, context["team_id"], body["user"]["id"], ids.parse_row_id(button_value(body))
        )
    except UserFacingError as error:  # not theirs, or closed already ("… Log a meeting instead.")
        tell(client, body, context, str(error))
        return
    open_modal(
        client,
        body,
        context,
        booked_it_modal(step.step_id, step.description, step.deal_name, step.scheduled_at),
    )


def register(app: App) -> None:
    app.block_action(ids.HOME_BOOK_STEP)(home_book_step)
