"""The manager's weekly digest DM: a section per deal with a button that opens it."""

from __future__ import annotations

from bot.services.digest import CATEGORIES, Digest
from bot.slack import ids
from bot.slack.blocks.common import MAX_BLOCKS, Block, button, context, header, section, user_text

# Header, intro, and a summary line of what did not fit; each category heading takes one more.
FIXED_BLOCKS = 3


def digest_message(digest: Digest, week_label: str) -> tuple[str, list[Block]]:
    """(fallback text, blocks); the caller sends nothing for an empty digest."""
    titles = dict(CATEGORIES)
    blocks: list[Block] = [
        header(f"Your team's pipeline, week of {week_label}"[:150]),
        context(
            f"{digest.count} deal{'' if digest.count == 1 else 's'} need a next step on the calendar. "
            "A deal without a scheduled next step means phone tag and a longer cycle."
        ),
    ]
    budget = MAX_BLOCKS - FIXED_BLOCKS
    left = 0
    for key, items in digest.items.items():
        for n, item in enumerate(items):
            room = budget - (len(blocks) - 2)
            if room < (2 if n == 0 else 1):
                left += len(items) - n
                break
            if n == 0:
                blocks.append(section(f"*{titles[key]}* ({len(items)})"))
            blocks.append(
                section(
                    f"*{user_text(item.account_name, 80)}* · {user_text(item.deal_name, 80)}\n"
                    f"{user_text(item.rep_name, 60)}: {user_text(item.detail, 300)}",
                    accessory=button(
                        "Open deal",
                        ids.OPEN_DEAL,
                        value=str(item.deal_id),
                        label=f"Open {item.account_name}, {item.deal_name}",
                    ),
                )
            )
    if left:
        blocks.append(context(f"\u2026and {left} more. `/nextsteps team` lists them all."))
    summary = ", ".join(f"{len(v)} {titles[k].lower()}" for k, v in digest.items.items())
    return f"Your team's pipeline this week: {summary}.", blocks
