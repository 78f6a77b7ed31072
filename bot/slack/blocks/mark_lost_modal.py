"""The "Mark lost" modal opened from a nudge, and the replacement offer that follows it."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.vocabulary import LostReason
from bot.slack import ids
from bot.slack.blocks.common import Block, actions, button, context, plain, section, user_text

MAX_ACCOUNTS_SHOWN = 5
ACCOUNT_BLOCK_PREFIX = "lost_replacement_account_"  # + position, so block_ids stay unique
_NAME = 200


def mark_lost_modal(
    nudge_id: int, account_name: str, deal_name: str, message: dict[str, str | None] | None = None
) -> Block:
    """Why the deal was lost (required); ``message`` is the nudge DM to update once it is saved."""
    return {
        "type": "modal",
        "callback_id": ids.MARK_LOST_MODAL,
        "private_metadata": json.dumps(
            {"v": ids.MARK_LOST_MODAL_VERSION, "nudge_id": nudge_id, "message": _message_ref(message)}
        ),
        "title": plain("Mark the deal lost"),
        "submit": plain("Mark lost"),
        "close": plain("Cancel"),
        "blocks": [
            context(
                f"Deal: *{user_text(account_name, _NAME)}* \u00b7 {user_text(deal_name, _NAME)}",
                block_id="lost_deal",
            ),
            {
                "type": "input",
                "block_id": ids.LOST_REASON,
                "label": plain("Why was it lost?"),
                "element": {
                    "type": "static_select",
                    "action_id": ids.LOST_REASON,
                    "placeholder": plain("Choose the reason"),
                    "options": [
                        {"text": plain(reason.label), "value": reason.value} for reason in LostReason
                    ],
                },
                "hint": plain("Its open next steps are cancelled and its reminders stop."),
            },
        ],
    }


def replacement_offer(
    *,
    deal_id: int,
    account_name: str,
    deal_name: str,
    territory: str | None,
    accounts: list[tuple[int, str]] | tuple[tuple[int, str], ...] = (),
) -> tuple[str, list[dict[str, Any]]]:
    """The DM after a deal is marked lost: replace the prospect, planning by territory."""
    where = f"in {user_text(territory, 100)}" if territory else "in your territory"
    text = (
        f"{user_text(account_name, _NAME)} is marked lost. Replace the prospect now, so your pipeline "
        "doesn't shrink: add the next account you can put a meeting on the calendar with."
    )
    blocks: list[dict[str, Any]] = [
        section(
            f"*{user_text(account_name, _NAME)}* \u00b7 {user_text(deal_name, _NAME)} is marked lost.\n"
            f"Replace the prospect now, before the gap shows: pick an account {where} "
            "and put a first meeting on their calendar."
        ),
        actions(
            [button("Add a replacement deal", ids.ADD_REPLACEMENT_DEAL, value=str(deal_id), style="primary")],
            block_id="lost_replace",
        ),
    ]
    shown = list(accounts)[:MAX_ACCOUNTS_SHOWN]
    if shown:
        blocks.append(section(f"*Your accounts {where} with no open deal*"))
        for position, (account_id, name) in enumerate(shown):
            blocks.append(
                section(
                    user_text(name, _NAME),
                    block_id=f"{ACCOUNT_BLOCK_PREFIX}{position}",
                    accessory=button(
                        "Log a meeting",
                        ids.LOG_MEETING_FOR_ACCOUNT,
                        value=str(account_id),
                        label=f"Log a meeting with {name}",
                    ),
                )
            )
        more = len(accounts) - len(shown)
        if more > 0:
            blocks.append(context(f"\u2026and {more} more"))
    return text, blocks


def _message_ref(message: dict[str, str | None] | None) -> dict[str, str]:
    """The nudge DM to update, when it names one as Slack would: nothing else is echoed back."""
    channel = ids.parse_channel_id((message or {}).get("channel"))
    ts = ids.parse_message_ts((message or {}).get("ts"))
    return {"channel": channel, "ts": ts} if channel and ts else {}
