"""The manager's weekly digest DM: a section per deal with a button that opens it."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.outlook import ForecastChange, Move
from bot.services.digest import CATEGORIES, Digest
from bot.slack import ids
from bot.slack.blocks.app_home import money, percent
from bot.slack.blocks.common import MAX_BLOCKS, Block, button, context, header, section, user_text

# Header, intro, and a summary line of what did not fit; each category heading takes one more
# (the forecast's two blocks are counted as they are added).
FIXED_BLOCKS = 3


def digest_message(digest: Digest, week_label: str) -> tuple[str, list[Block]]:
    """(fallback text, blocks); the caller sends nothing for an empty digest."""
    titles = dict(CATEGORIES)
    blocks: list[Block] = [
        header(f"Your team's pipeline, week of {week_label}"[:150]),
        context(
            f"{digest.count} deal{'' if digest.count == 1 else 's'} need a next step on the calendar. "
            "A deal without a scheduled next step means phone tag and a longer cycle."
            if digest.count
            else "Every deal has a next step on the calendar or is moving: nothing to chase this week."
        ),
    ]
    if digest.forecast is not None:
        blocks += forecast_blocks(digest.forecast)
    fixed = len(blocks)
    budget = MAX_BLOCKS - FIXED_BLOCKS - (fixed - 2)
    left = 0
    for key, items in digest.items.items():
        for n, item in enumerate(items):
            room = budget - (len(blocks) - fixed)
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
    if digest.forecast is not None:
        f = digest.forecast
        value = (
            f"expected value {money(f.expected)} ({_signed(f.change)} since last week)"
            if _has_amounts(f)
            else f"expected wins {f.expected_wins:.1f}"
        )
        summary = ", ".join(x for x in (summary, value) if x)
    return f"Your team's pipeline this week: {summary}.", blocks


def _has_amounts(f: ForecastChange) -> bool:
    """An expected value of 0 then and now means no deal has an amount: "0" would read as a loss."""
    return bool(f.expected or f.before_expected)


def _signed(amount: Decimal) -> str:
    return ("+" if amount >= 0 else "\u2212") + money(abs(amount))


def _points(m: Move) -> str:
    points = round(m.after * 100) - round(m.before * 100)  # the difference of the figures shown
    sign = "+" if points >= 0 else "\u2212"
    return f"{sign}{abs(points)} points"


def move_line(m: Move) -> str:
    return (
        f"\u2022 *{user_text(m.account_name, 80)}* \u00b7 {user_text(m.deal_name, 80)} ({user_text(m.rep_name, 60)}): "
        f"{percent(m.before)} \u2192 *{percent(m.after)}* ({_points(m)}) \u2014 {user_text(m.why, 400)}"
    )


def forecast_blocks(f: ForecastChange) -> list[Block]:
    """The forecast against last week's, as people saw both, and the deals that moved most."""
    wins = f"expected wins *{f.expected_wins:.1f}* (last week {f.before_wins:.1f})"
    value = (
        f"expected value *{money(f.expected)}* (last week {money(f.before_expected)}, {_signed(f.change)})"
        if _has_amounts(f)
        else "no deal amounts yet"
    )
    head = f"*Forecast:* {value} \u00b7 {wins}"
    blocks = [section(head, block_id="digest_forecast")]
    if f.moves:
        blocks.append(
            section(
                "*Moved most since last week*\n" + "\n".join(move_line(m) for m in f.moves),
                block_id="digest_movers",
            )
        )
    return blocks
