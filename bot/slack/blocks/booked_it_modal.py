"""The small "Booked it" modal: the date and time an agreed next step went on the calendar."""

from __future__ import annotations

import json
from datetime import datetime

from bot.slack import ids
from bot.slack.blocks.common import Block, clip, context, plain, user_text

MAX_DESCRIPTION = 1000  # the next step's description, as the /meeting modal allows


def booked_it_modal(
    next_step_id: int,
    description: str | None,
    deal_name: str,
    initial_at: datetime | None,
    *,
    nudge_id: int | None = None,
    rescheduled: bool = False,
) -> Block:
    """The modal view; `initial_at` (aware) pre-fills the picker, e.g. with a date already proposed.

    From a nudge, `nudge_id` travels in the metadata so the submission answers it; `rescheduled`
    titles it for an overdue step moved to a new date.
    """
    picker: Block = {"type": "datetimepicker", "action_id": ids.NEXT_STEP_AT}
    if initial_at is not None:
        if initial_at.tzinfo is None or initial_at.utcoffset() is None:
            raise ValueError("initial_at must be timezone-aware")
        picker["initial_date_time"] = int(initial_at.timestamp())

    description_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.NEXT_STEP,
        "max_length": MAX_DESCRIPTION,
        "placeholder": plain("e.g. Demo with their CFO and IT lead", 150),
    }
    if description and description.strip():
        description_input["initial_value"] = clip(description.strip(), MAX_DESCRIPTION)

    meta: dict[str, object] = {"v": ids.BOOKED_IT_MODAL_VERSION, "next_step_id": next_step_id}
    if nudge_id is not None:
        meta |= {"nudge_id": nudge_id, "rescheduled": rescheduled}
    return {
        "type": "modal",
        "callback_id": ids.BOOKED_IT_MODAL,
        "private_metadata": json.dumps(meta),
        "title": plain("Rescheduled" if rescheduled else "Book the next step"),
        "submit": plain("Save the new time" if rescheduled else "Book it"),
        "close": plain("Cancel"),
        "blocks": [
            context(f"Deal: *{user_text(deal_name, 200)}*"),
            {
                "type": "input",
                "block_id": ids.NEXT_STEP_AT,
                "label": plain("When is it?"),
                "element": picker,
            },
            {
                "type": "input",
                "block_id": ids.NEXT_STEP,
                "optional": True,
                "label": plain("What is it?"),
                "element": description_input,
            },
        ],
    }
