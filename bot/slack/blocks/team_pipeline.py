"""`/nextsteps team`: a manager's view of their reps' pipelines and hygiene."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.pipeline import RepHygiene
from bot.slack.blocks.app_home import money
from bot.slack.blocks.common import MAX_BLOCKS, Block, context, escape, header, section, user_text

NOT_A_MANAGER = (
    "`/nextsteps team` is for managers: it shows the pipelines of the reps on the teams you manage, "
    "and you don't manage a team here. An admin can set teams up in `/nextsteps settings`."
)


def rep_line(h: RepHygiene) -> str:
    name = f"*{user_text(h.name, 80)}*" + (" (left: reassign these deals)" if h.left else "")
    if h.open_deals == 0:
        return f"{name}: no open deals \u00b7 {escape(h.ratio.text)}"
    parts = [
        f"{h.open_deals} open",
        f"{h.not_booked} without a booked next step",
        f"{h.overdue} overdue",
        f"{h.stalled} stalled",
        f"{h.time_sinks} time {'sink' if h.time_sinks == 1 else 'sinks'}",
    ]
    line = f"{name}: " + " \u00b7 ".join(parts)
    wins = f"expected wins {h.expected_wins:.1f}"
    line += (
        f"\nExpected value {money(h.expected)} \u00b7 {wins}"
        if h.priced
        else f"\n{wins[:1].upper()}{wins[1:]}"
    )
    return line + f"\n{escape(h.ratio.text)}"


def team_message(reps: Sequence[RepHygiene]) -> tuple[str, list[Block]]:
    open_deals = sum(h.open_deals for h in reps)
    not_booked = sum(h.not_booked for h in reps)
    text = (
        f"Your team: {len(reps)} {'rep' if len(reps) == 1 else 'reps'}, {open_deals} open "
        f"{'deal' if open_deals == 1 else 'deals'}, {not_booked} without a booked next step."
    )
    blocks: list[Block] = [header("Your team's pipelines"), section(escape(text), block_id="team_summary")]
    room = MAX_BLOCKS - len(blocks) - 1
    for i, h in enumerate(reps[:room]):
        blocks.append(section(rep_line(h), block_id=f"team_rep_{i}"))
    if len(reps) > room:
        blocks.append(
            context(f"\u2026and {len(reps) - room} more reps: `/nextsteps export team` has everyone.")
        )
    else:
        blocks.append(
            context("Hygiene first: every open deal should have a next step on the prospect's calendar.")
        )
    return text, blocks
