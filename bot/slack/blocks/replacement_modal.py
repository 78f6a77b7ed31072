"""The "Add a replacement deal" modal, opened from a declined deal's coaching DM."""

from __future__ import annotations

import json
from typing import Any

from bot.services.meetings import MAX_NAME
from bot.slack import ids
from bot.slack.blocks.common import plain, section, user_text


def replacement_modal(
    replaces_deal_id: int, account_name: str, deal_name: str, territory: str | None
) -> dict[str, Any]:
    """Pick the account (new or existing) and name the deal that replaces a prospect at risk."""
    where = f" in *{user_text(territory, 100)}*" if territory else ""
    return {
        "type": "modal",
        "callback_id": ids.REPLACEMENT_MODAL,
        "private_metadata": json.dumps({"v": ids.REPLACEMENT_MODAL_VERSION, "replaces": replaces_deal_id}),
        "title": plain("Replace the prospect"),
        "submit": plain("Add deal"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"Replacing *{user_text(account_name, 200)}* ({user_text(deal_name, 200)}). "
                "The best time to replace a prospect "
                f"is before you lose them: pick an account{where} you can put in front of you now.",
                block_id="replaces",
            ),
            {
                "type": "input",
                "block_id": ids.ACCOUNT,
                "label": plain("Account"),
                "element": {
                    "type": "external_select",
                    "action_id": ids.ACCOUNT,
                    "min_query_length": 0,
                    "placeholder": plain("Type the company's name"),
                },
                "hint": plain("Type a name that matches nothing to add it as a new account."),
            },
            {
                "type": "input",
                "block_id": ids.NEW_DEAL_NAME,
                "optional": True,
                "label": plain("Deal name"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.NEW_DEAL_NAME,
                    "max_length": MAX_NAME,
                },
            },
        ],
    }
