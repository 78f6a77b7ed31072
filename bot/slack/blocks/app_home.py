"""The App Home tab: the rep's open deals, most urgent first, with their look-back data and signals."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain.pipeline import (
    HOME_PAGE_SIZE,
    DealSignals,
    FlagKind,
    HomePage,
    LastMeeting,
    Pipeline,
    StepState,
    page_of,
    step_state,
)
from bot.domain.vocabulary import REACTION_LABELS, Reaction
from bot.slack import ids
from bot.slack.blocks.coaching_dm import edit_meeting_buttons
from bot.slack.blocks.common import Block, actions, button, context, escape, header, plain, section, user_text

# 2 blocks a deal: a page of 25 stays far inside the Home tab's 100 blocks.
PAGE_SIZE = HOME_PAGE_SIZE
MAX_HOME_BLOCKS = 100
_NAME = 120

_STATE_MARK = {
    StepState.OVERDUE: ":red_circle:",
    StepState.UNSCHEDULED: ":large_orange_circle:",
    StepState.NONE: ":white_circle:",
    StepState.BOOKED: ":large_green_circle:",
}


def short_when(at: datetime, tz: ZoneInfo) -> str:
    """ "Tue 1 Dec, 10:00" in the rep's timezone."""
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def short_day(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b} {local.year}"


def days_ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    days = max(0, (now - at).days)
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def money(amount: Decimal) -> str:
    whole = amount.quantize(Decimal(1))
    return f"{whole:,}"


def step_line(s: DealSignals, now: datetime, tz: ZoneInfo) -> str:
    f = s.facts
    state = step_state(f, now)
    what = f" \u2014 {user_text(f.step_description, 150)}" if f.step_description else ""
    if state is StepState.OVERDUE and f.step_at is not None:
        text = f"*Overdue:* was booked for {short_when(f.step_at, tz)}, nothing logged since{what}"
    elif state is StepState.BOOKED and f.step_at is not None:
        text = f"*Booked* for {short_when(f.step_at, tz)}{what}"
    elif state is StepState.UNSCHEDULED:
        text = f"*Not scheduled* since {days_ago(f.step_since, now)}{what}"
    else:
        text = "*No next step*"
    return f"{_STATE_MARK[state]} {text}"


def percent(p: float) -> str:
    return f"{round(p * 100)} %"


def chance_line(s: DealSignals, *, reason_max: int = 300) -> str:
    """ "Chance to win: *62 %* (48–74 %): of 48 deals …, 30 were won", and a manager's override beside it."""
    c = s.chance
    if c is None:
        return "Chance to win: not forecast yet"
    learned = f"*{percent(c.probability)}* ({c.interval_text})"
    if c.override is not None:
        o = c.override
        head = (
            f":pushpin: Chance to win: *{percent(o.probability)}*, set by {user_text(o.by_name, 60)} "
            f"(\u201c{user_text(o.reason, 150)}\u201d) \u00b7 learned {learned}"
        )
    else:
        head = f"Chance to win: {learned}"
    return f"{head}: {escape(_short(_LEADING_PERCENT.sub('', c.reason), reason_max))}"


_LEADING_PERCENT = re.compile(r"^\d+ %: ")  # the reason repeats the figure shown just before it


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def expected_line(p: HomePage) -> str:
    """The pipeline's expected value and wins: each deal counted at its chance to be won."""
    wins = f"expected wins *{p.expected_wins:.1f}* of {p.open_deals}"
    if not p.priced:
        return f"No amounts yet \u00b7 {wins}"
    return (
        f"Pipeline {money(p.total)} across {p.priced} {'deal' if p.priced == 1 else 'deals'} with an amount; "
        f"expected value *{money(p.expected)}* \u00b7 {wins}"
    )


def deal_text(s: DealSignals, now: datetime, tz: ZoneInfo) -> str:
    """What a rep reads about one deal: next step, look-back data, reaction, momentum, flags."""
    f = s.facts
    lines = [f"*{user_text(f.account_name, _NAME)}* \u00b7 {user_text(f.name, _NAME)}", step_line(s, now, tz)]
    look_back = [
        f"last meeting {days_ago(f.last_meeting_at, now)}" if f.last_meeting_at else "no meeting yet",
        f"last booked commitment {days_ago(f.last_commitment_at, now)}",
        f"{f.meetings_held} {'meeting' if f.meetings_held == 1 else 'meetings'} held",
        f"open {max(0, (now - f.created_at).days)} days",
    ]
    if f.amount is not None:
        look_back.append(money(f.amount))
    if f.stage:
        look_back.append(user_text(f.stage, 64))
    joined = " \u00b7 ".join(look_back)
    lines.append(joined[:1].upper() + joined[1:])
    last = f.recent[-1].reaction if f.recent else None
    reaction = REACTION_LABELS[last] if isinstance(last, Reaction) else ("no ask" if f.recent else "none yet")
    graded = f"Last ask graded: {escape(f.recent[-1].graded.short_label)} \u00b7 " if f.recent else ""
    lines.append(chance_line(s))
    lines.append(
        f"{graded}Last reaction: {escape(reaction)} \u00b7 Momentum: *{s.momentum.level.label}* "
        f"({escape('; '.join(s.momentum.reasons))})"
    )
    for flag in s.flags:
        mark = ":hourglass:" if flag.kind is FlagKind.TIME_SINK else ":warning:"
        lines.append(f"{mark} *{flag.kind.label}:* {escape(flag.why)}")
    return "\n".join(lines)


def _menu(deal_id: int) -> Block:
    options = [("Edit the deal", "edit"), ("Mark won", "won"), ("Mark lost", "lost")]
    return {
        "type": "overflow",
        "action_id": ids.HOME_DEAL_MENU,
        "options": [{"text": plain(label), "value": f"{key}:{deal_id}"} for label, key in options],
    }


def deal_blocks(s: DealSignals, now: datetime, tz: ZoneInfo) -> list[Block]:
    f = s.facts
    deal = f"{f.account_name}, {f.name}"  # each deal's buttons say which deal to a screen reader
    buttons = [
        button("Log a meeting", ids.HOME_LOG_MEETING, value=str(f.deal_id), label=f"Log a meeting on {deal}")
    ]
    if f.step_id is not None:
        buttons.append(
            button(
                "Book the next step",
                ids.HOME_BOOK_STEP,
                value=str(f.step_id),
                label=f"Book the next step on {deal}",
            )
        )
    buttons.append(button("History", ids.OPEN_DEAL, value=str(f.deal_id), label=f"History of {deal}"))
    return [
        section(deal_text(s, now, tz), block_id=f"deal_{f.deal_id}", accessory=_menu(f.deal_id)),
        actions(buttons, block_id=f"deal_{f.deal_id}_actions"),
    ]


def _summary(p: HomePage) -> str:
    c = p.counts
    n = p.open_deals
    lines = [
        f"*{n} open {'deal' if n == 1 else 'deals'}*: {c['overdue']} overdue \u00b7 "
        f"{c['unscheduled']} not scheduled \u00b7 {c['no_step']} with no next step \u00b7 {c['booked']} booked"
    ]
    if n:
        lines.append(expected_line(p))
    flags = []
    if c["replace_now"]:
        flags.append(f"{c['replace_now']} to replace now")
    if c["time_sink"]:
        flags.append(f"{c['time_sink']} time {'sink' if c['time_sink'] == 1 else 'sinks'}")
    if flags:
        lines.append("Flags: " + " \u00b7 ".join(flags))
    lines.append(f"Replacement: {escape(p.ratio.text)}")
    return "\n".join(lines)


def home_view(
    p: Pipeline | HomePage,
    now: datetime,
    tz: ZoneInfo,
    *,
    page_start: int = 0,
    last: LastMeeting | None = None,
) -> Block:
    """The Home tab for one rep: at most ``PAGE_SIZE`` deals, the rest summarised and paged.

    ``p``: the page (``HomePage``, which knows where it starts), or a whole pipeline to page
    at ``page_start``."""
    if isinstance(p, Pipeline):
        p = page_of(p, page_start, PAGE_SIZE)
    learned = (
        "Each deal's chance to be won is learned once a day from how this workspace's deals ended, "
        "with its 80 % range and the deals it is learned from. "
        if not p.fallback
        else "Too few deals have ended here to learn from yet: each chance is today's rule "
        "(the momentum level's share), with a wide range, until about 20 have. "
    )
    blocks: list[Block] = [
        header("Your pipeline"),
        section(_summary(p), block_id="home_summary"),
        context(
            "Most urgent first. Look back on the time spent, not forward on hope: meetings held, "
            "days open and days since the last booked commitment. "
            + learned
            + "Expected value counts each amount at that chance (a manager's :pushpin: override instead, "
            "when set). Momentum is the story of the last meetings in a word.",
        ),
    ]
    if last is not None:
        blocks.append(
            section(
                f"*Your last meeting:* {user_text(last.account_name, _NAME)} \u00b7 "
                f"{user_text(last.deal_name, _NAME)}, held {short_when(last.held_at, tz)}. "
                f"You can edit or withdraw it until {short_when(last.editable_until, tz)}.",
                block_id="home_last_meeting",
            )
        )
        buttons = edit_meeting_buttons(last.meeting_id)
        buttons["block_id"] = "home_last_meeting_actions"
        blocks.append(buttons)
    blocks.append({"type": "divider"})
    total = p.open_deals
    start = p.start
    shown = p.deals
    if not shown:
        blocks.append(
            section(
                "No open deals yet. Type `/meeting` after your next call: every meeting you log lands here.",
                block_id="home_empty",
            )
        )
    for s in shown:
        blocks += deal_blocks(s, now, tz)
    if total > len(shown):
        end = start + len(shown)
        states = [step_state(d.facts, now) for d in shown]
        c = p.counts
        overdue = c["overdue"] - states.count(StepState.OVERDUE)
        unscheduled = c["unscheduled"] - states.count(StepState.UNSCHEDULED)
        no_step = c["no_step"] - states.count(StepState.NONE)
        blocks.append(
            context(
                f"Showing {start + 1}\u2013{end} of {total} open deals, most urgent first. "
                f"The other {total - len(shown)}: {overdue} overdue, {unscheduled} not scheduled, {no_step} with no next step.",
                block_id="home_paging_note",
            )
        )
        pager = []
        if start > 0:
            pager.append(button("\u2190 More urgent", ids.HOME_PAGE, value=str(max(0, start - PAGE_SIZE))))
        if end < total:
            pager.append(button(f"Next {min(PAGE_SIZE, total - end)} \u2192", ids.HOME_PAGE, value=str(end)))
        blocks.append(actions(pager, block_id="home_paging"))
    assert len(blocks) <= MAX_HOME_BLOCKS
    return {"type": "home", "callback_id": "home", "blocks": blocks}
