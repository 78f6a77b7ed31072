"""`/nextsteps forecast`: expected value and wins, by rep for a manager, the deals most likely to be
won, and those where more time is least likely to pay off (beside the "Replace now" flag)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.outlook import Outlook, RepDeal
from bot.slack.blocks.app_home import money, percent
from bot.slack.blocks.common import MAX_BLOCKS, Block, context, escape, header, section, user_text

REPS_PER_SECTION = 15
CHARTS_HINT = "`/nextsteps forecast charts` sends you the calibration chart and the expected value over the last 12 weeks."


def _wins(n: float) -> str:
    return f"{n:.1f}"


def _deal(d: RepDeal, with_rep: bool) -> str:
    f = d.signals.facts
    who = f" ({user_text(d.rep_name, 60)})" if with_rep else ""
    return f"*{user_text(f.account_name, 80)}* \u00b7 {user_text(f.name, 80)}{who}"


def _chance(d: RepDeal) -> str:
    c = d.signals.chance
    if c is None:
        return percent(d.signals.probability)
    text = f"*{percent(c.used)}*"
    if c.override is not None:
        text += f" set by {user_text(c.override.by_name, 60)} (learned {percent(c.probability)})"
    else:
        text += f" ({c.interval_text})"
    return text


def likely_line(d: RepDeal, with_rep: bool) -> str:
    f = d.signals.facts
    parts = [_chance(d)]
    if f.expected_close is not None:
        parts.append(
            f"expected close {f.expected_close:%a} {f.expected_close.day} {f.expected_close:%b} {f.expected_close.year}"
        )
    if f.amount is not None:
        parts.append(money(f.amount))
    return f"\u2022 {_deal(d, with_rep)}: " + " \u00b7 ".join(parts)


def unlikely_line(d: RepDeal, with_rep: bool, now: datetime) -> str:
    f = d.signals.facts
    days = max(0, (now - f.created_at).days)
    met = f"{f.meetings_held} {'meeting' if f.meetings_held == 1 else 'meetings'} over {days} days"
    line = f"\u2022 {_deal(d, with_rep)}: {_chance(d)} after {met}"
    if d.replace_now:
        line += " \u00b7 :warning: *Replace now*"
    return line


def forecast_message(o: Outlook, now: datetime, *, by_rep: bool) -> tuple[str, list[Block]]:
    """(fallback text, blocks): a handful of blocks whatever the number of deals."""
    title = "Your forecast" if not by_rep else f"Forecast: {o.scope}"
    n = o.open_deals
    text = (
        f"{title}: {n} open {'deal' if n == 1 else 'deals'}, expected wins {_wins(o.expected_wins)}"
        + (f", expected value {money(o.expected)}" if o.priced else "")
        + "."
    )
    blocks: list[Block] = [header(title[:150])]
    summary = [
        f"*{n} open {'deal' if n == 1 else 'deals'}* \u00b7 expected wins *{_wins(o.expected_wins)}*",
    ]
    if o.priced:
        summary.append(
            f"Expected value *{money(o.expected)}* of {money(o.total)} across {o.priced} "
            f"{'deal' if o.priced == 1 else 'deals'} with an amount"
        )
    if o.overrides:
        summary.append(
            f":pushpin: {o.overrides} set by hand by a manager, counted instead of the learned figure"
        )
    blocks.append(section("\n".join(summary), block_id="forecast_summary"))
    if o.fallback:
        blocks.append(
            context(
                "Too few deals have ended here to learn from yet: each chance is today's rule (the momentum "
                "level's share), with a wide range. It sharpens as deals close.",
                block_id="forecast_fallback",
            )
        )
    if n == 0:
        blocks.append(section("No open deals.", block_id="forecast_empty"))
        return text, blocks
    if by_rep:
        lines = []
        for r in o.reps:
            p = r.pipeline
            line = f"*{user_text(r.name, 80)}*: {len(p.deals)} open \u00b7 expected wins {_wins(p.expected_wins)}"
            if p.priced:
                line += f" \u00b7 expected value {money(p.expected)}"
            lines.append(line)
        room = MAX_BLOCKS - len(blocks) - 5
        chunks = [lines[i : i + REPS_PER_SECTION] for i in range(0, len(lines), REPS_PER_SECTION)]
        for i, chunk in enumerate(chunks[:room]):
            head = "*By rep*\n" if i == 0 else ""
            blocks.append(section(head + "\n".join(chunk), block_id=f"forecast_reps_{i}"))
        if len(chunks) > room:
            blocks.append(context(f"\u2026and {len(lines) - room * REPS_PER_SECTION} more reps."))
    blocks.append(
        section(
            "*Most likely to be won*\n" + "\n".join(likely_line(d, by_rep) for d in o.likely),
            block_id="forecast_likely",
        )
    )
    if o.unlikely:
        blocks.append(
            section(
                "*Where more time is least likely to pay off*\n"
                + "\n".join(unlikely_line(d, by_rep, now) for d in o.unlikely),
                block_id="forecast_unlikely",
            )
        )
    blocks.append(
        context(
            escape(
                "Each chance is learned from how this workspace's deals ended, from where they stood each week "
                "(the last reaction, the next step, follow-through, time since the last meeting). Least likely to "
                "pay off: the lowest chances, the most meetings already spent first. "
                '"Replace now" keeps its own rule (declined at the last meeting, or stalled).'
            ),
            CHARTS_HINT,
            block_id="forecast_how",
        )
    )
    return text, blocks
