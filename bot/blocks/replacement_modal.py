"""The "Add a replacement deal" modal, opened from a declined deal's coaching DM."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.accounts import MAX_NEW_NAME
from bot.blocks.common import plain, section, user_text
from bot.meetings import MAX_NAME


def replacement_modal(replaces_deal_id: int, replaces_name: str, territory: str | None) -> dict[str, Any]:
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
                f"Replacing *{user_text(replaces_name, 200)}*. The best time to replace a prospect "
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
                "hint": {
                    "type": "plain_text",
                    "text": f"New names up to {MAX_NEW_NAME} characters become new accounts.",
                },
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
