"""The weekly leaderboard post (and the same board, ephemeral, on `/nextsteps leaderboard`).

Readable at a glance on a phone: one line per rep, the number that ranks them first.
A team of any size stays within Slack's 50 blocks: lines are packed into sections and,
past the budget, the rest is summarised in one line.
"""

from __future__ import annotations

from bot.services.leaderboard import Board, RepLine, Totals
from bot.slack.blocks.common import MAX_BLOCKS, Block, context, escape, header, section, user_text

LINES_PER_SECTION = 15
NAME_LIMIT = 40
# Blocks kept for the header, the week, the totals, the divider, the notes and the coaching line.
FIXED_BLOCKS = 7


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def days(value: float | None) -> str:
    if value is None:
        return "–"
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{shown} day" if shown == "1" else f"{shown} days"


def movement(line: RepLine) -> str:
    if line.movement is None:
        return " · new"
    if line.movement > 0:
        return f" · \u25b2{line.movement}"
    if line.movement < 0:
        return f" · \u25bc{-line.movement}"
    return " · ="


def rep_line(line: RepLine, ranked: bool) -> str:
    """One rep as a person reads it: place, name, booked rate first, then the rest."""
    place = f"*{line.rank}.* " if ranked and line.rank is not None else "\u2022 "
    parts = [
        f"*{percent(line.booked_rate)}* booked",
        f"{percent(line.ask_rate)} asked",
        f"{line.meetings} meeting{'' if line.meetings == 1 else 's'}",
    ]
    if line.follow.due:
        parts.append(f"follow-through {line.follow.kept}/{line.follow.due}")
    if line.median_gap_days is not None:
        parts.append(f"{days(line.median_gap_days)} between")
    if line.streak:
        parts.append(f"streak {line.streak}")
    moved = movement(line) if ranked else ""
    return f"{place}{user_text(line.name, NAME_LIMIT)}{moved} \u2014 " + " · ".join(parts)


def totals_text(totals: Totals) -> str:
    follow = (
        f"{percent(totals.follow_through)} follow-through ({totals.follow.kept}/{totals.follow.due})"
        if totals.follow.due
        else "no booked steps due for follow-through"
    )
    return (
        f"*Team:* {totals.meetings} meeting{'' if totals.meetings == 1 else 's'} by {totals.reps} "
        f"rep{'' if totals.reps == 1 else 's'} · *{percent(totals.booked_rate)}* booked · "
        f"{percent(totals.ask_rate)} asked for a scheduled next step · {follow} · "
        f"{days(totals.median_gap_days)} between meetings on a deal"
    )


def _packed(lines: list[str], budget: int) -> tuple[list[Block], int]:
    """Lines packed into at most ``budget`` sections; how many lines did not fit."""
    blocks: list[Block] = []
    for start in range(0, len(lines), LINES_PER_SECTION):
        if len(blocks) == budget:
            return blocks, len(lines) - start
        blocks.append(section("\n".join(lines[start : start + LINES_PER_SECTION])))
    return blocks, 0


def board_title(board: Board) -> str:
    when = "so far this week" if board.in_progress else f"week of {board.week.label}"
    return f"Next-step leaderboard: {escape(board.scope.name)}, {when}"


def leaderboard_message(board: Board) -> tuple[str, list[Block]]:
    """The post: (fallback text, blocks)."""
    title = board_title(board)
    blocks: list[Block] = [
        header(title[:150]),
        context(
            f"{board.week.label} · ranked by booked rate (meetings that ended \u201cAgreed and booked\u201d), "
            f"ties by meetings held · at least {board.minimum} meeting{'' if board.minimum == 1 else 's'} to be ranked"
        ),
        section(totals_text(board.totals)),
        {"type": "divider"},
    ]
    budget = MAX_BLOCKS - FIXED_BLOCKS
    ranked = [rep_line(line, True) for line in board.ranked]
    under = [rep_line(line, False) for line in board.unranked]
    packed, left = _packed(ranked, budget)
    blocks += packed
    notes: list[str] = []
    if left:
        notes.append(f"\u2026and {left} more ranked rep{'' if left == 1 else 's'}")
    if under:
        if left or len(packed) >= budget:
            notes.append(f"{len(under)} under the minimum, not ranked")
        else:
            heading = [f"_Not ranked yet (under {board.minimum} meetings):_"]
            more, left_under = _packed(heading + under, budget - len(packed))
            blocks += more
            if left_under:
                notes.append(f"\u2026and {left_under} more under the minimum")
    if not board.ranked and not board.unranked:
        blocks.append(section("_No meetings logged this week._"))
    if board.quiet:
        notes.append(f"{len(board.quiet)} logged no meetings")
    if board.opted_out:
        notes.append(f"{board.opted_out} opted out of being named (their meetings are in the team totals)")
    if board.paused:
        notes.append(f"{board.paused} paused, left out this week")
    if notes:
        blocks.append(context(" · ".join(notes)))
    blocks.append(context(f":bulb: {board.coaching}"))
    top = board.ranked[0] if board.ranked else None
    lead = (
        f" Top: {escape(top.name)} at {percent(top.booked_rate)} booked."
        if top is not None and top.rank == 1
        else ""
    )
    text = f"{title}: {board.totals.meetings} meetings, {percent(board.totals.booked_rate)} booked.{lead}"
    return text, blocks[:MAX_BLOCKS]
