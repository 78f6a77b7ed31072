"""The deal history modal: the timeline of meetings, asks, reactions and next steps, edits shown as edits."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.vocabulary import LOST_REASON_LABELS, DealStatus, LostReason, MeetingKind, NextStepStatus
from bot.services.deal_history import DealHistory, TimelineMeeting
from bot.slack import ids
from bot.slack.blocks.app_home import chance_line, percent, short_day, short_when
from bot.slack.blocks.common import Block, actions, button, context, escape, header, plain, section, user_text

_NAME = 120


def _step(m: TimelineMeeting, now: datetime, tz: ZoneInfo) -> str | None:
    if m.step_status is None:
        return None
    what = user_text(m.step_description or "", 300) or "next step"
    status = m.step_status
    if status is NextStepStatus.BOOKED and m.step_at is not None:
        when = short_when(m.step_at, tz)
        how = f"booked for {when}" if m.step_at >= now else f"was booked for {when}; nothing logged since"
    elif status is NextStepStatus.UNSCHEDULED:
        how = "agreed, no date yet"
    elif status is NextStepStatus.DONE:
        how = f"happened (booked for {short_when(m.step_at, tz)})" if m.step_at else "followed by a meeting"
    elif status is NextStepStatus.MISSED:
        how = "didn't happen"
    else:
        how = "cancelled"
    line = f"*Next step:* {what} \u2014 {how}"
    for from_at, to_at, changed in m.reschedules:
        was = short_when(from_at, tz) if from_at else "no date"
        line += f"\n\u21aa moved from {was} to {short_when(to_at, tz)} (on {short_day(changed, tz)})"
    return line


def meeting_blocks(m: TimelineMeeting, now: datetime, tz: ZoneInfo) -> list[Block]:
    kind = f" \u00b7 {MeetingKind(m.kind).label}" if m.kind in set(MeetingKind) else ""
    title = f"*{short_day(m.held_at, tz)}*{kind}"
    if m.withdrawn_at is not None:
        title = f"~{short_day(m.held_at, tz)}~{kind} \u00b7 *withdrawn*"
    ask = f"\u201c{user_text(m.ask_text, 500)}\u201d" if m.ask_text else "no ask"
    grade = escape(m.graded.label)
    if m.graded != m.chosen:
        grade += f" (chosen: {escape(m.chosen.label)})"
    lines = [title, f"*Ask:* {ask}", f"*Graded:* {grade}"]
    lines.append(f"*Reaction:* {escape(m.reaction.label) if m.reaction else 'none (no next step asked)'}")
    step = _step(m, now, tz)
    if step:
        lines.append(step)
    notes: list[str] = []
    if m.withdrawn_at is not None:
        notes.append(f"Withdrawn on {short_day(m.withdrawn_at, tz)}: kept here, left out of every metric.")
    for edit in m.edits:
        changed = ", ".join(edit.changed) or "nothing visible"
        notes.append(f"Edited on {short_when(edit.at, tz)}: changed {changed} (version {edit.version} kept).")
    blocks = [section("\n".join(lines), block_id=f"meeting_{m.meeting_id}")]
    if notes:
        blocks.append(context(*[escape(n) for n in notes], block_id=f"meeting_{m.meeting_id}_notes"))
    return blocks


WEEKS_SHOWN = 12
OVERRIDES_SHOWN = 6


def forecast_blocks(h: DealHistory, tz: ZoneInfo, *, can_override: bool) -> list[Block]:
    """The deal's chance now, week by week as people saw it, and managers' overrides (kept as history)."""
    blocks: list[Block] = []
    if h.signals is not None:
        blocks.append(section(chance_line(h.signals, reason_max=600), block_id="history_chance"))
    if h.weeks:
        shown = h.weeks[-WEEKS_SHOWN:]
        lines = [
            f"Week of {w.week_start:%a} {w.week_start.day} {w.week_start:%b} {w.week_start.year}: "
            f"*{percent(w.probability)}* ({round(w.low * 100)}\u2013{round(w.high * 100)} %)"
            + (" \u00b7 today's rule" if w.fallback else "")
            for w in reversed(shown)
        ]
        more = f" (the last {len(shown)} of {len(h.weeks)})" if len(h.weeks) > len(shown) else ""
        blocks.append(
            section(
                "*Chance to win, week by week*" + more + "\n" + "\n".join(lines), block_id="history_weeks"
            )
        )
    if h.overrides:
        lines = []
        for o in h.overrides[:OVERRIDES_SHOWN]:
            what = (
                "went back to the learned figure"
                if o.probability is None
                else f"set *{percent(o.probability)}*"
            )
            lines.append(
                f"{short_when(o.set_at, tz)}: {user_text(o.by, 60)} {what} (learned then {percent(o.learned)}): "
                f"\u201c{user_text(o.reason, 150)}\u201d"
            )
        blocks.append(section("*Set by hand*\n" + "\n".join(lines), block_id="history_overrides"))
    if can_override and h.status is DealStatus.OPEN:
        blocks.append(
            actions(
                [button("Set the chance by hand", ids.OVERRIDE_FORECAST, value=str(h.deal_id))],
                block_id="history_override",
            )
        )
    return blocks


def history_modal(h: DealHistory, now: datetime, tz: ZoneInfo, *, can_reassign: bool = False) -> Block:
    status = h.status.value.capitalize()
    if h.lost_reason in set(LostReason):
        status += f" ({LOST_REASON_LABELS[LostReason(h.lost_reason)].lower()})"
    blocks: list[Block] = [
        header(f"{h.account_name} \u00b7 {h.deal_name}"),
        section(
            f"*{user_text(h.account_name, _NAME)}* \u00b7 {user_text(h.deal_name, _NAME)}\n"
            f"Owner: {user_text(h.owner_name, 80)} \u00b7 {status} \u00b7 "
            f"{h.total_meetings} {'meeting' if h.total_meetings == 1 else 'meetings'} logged",
            block_id="history_deal",
        ),
    ]
    if can_reassign and h.status is DealStatus.OPEN:
        blocks.append(
            actions(
                [button("Reassign the deal", ids.REASSIGN_DEAL, value=str(h.deal_id))],
                block_id="history_reassign",
            )
        )
    if h.signals is not None:
        s = h.signals
        lines = [f"Momentum: *{s.momentum.level.label}* ({escape('; '.join(s.momentum.reasons))})"]
        lines += [f":warning: *{f.kind.label}:* {escape(f.why)}" for f in s.flags]
        blocks.append(section("\n".join(lines), block_id="history_signals"))
    blocks += forecast_blocks(h, tz, can_override=can_reassign)
    blocks.append({"type": "divider"})
    if not h.meetings:
        blocks.append(section("No meetings logged on this deal yet.", block_id="history_empty"))
    for m in h.meetings:
        blocks += meeting_blocks(m, now, tz)
    if h.total_meetings > len(h.meetings):
        blocks.append(
            context(
                f"Showing the newest {len(h.meetings)} of {h.total_meetings} meetings. "
                "`/nextsteps export` has them all.",
                block_id="history_more",
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.DEAL_HISTORY_MODAL,
        "title": plain("Deal history", 24),
        "close": plain("Close"),
        "blocks": blocks,
    }


def no_deal_matches(typed: str) -> str:
    """`/nextsteps deal <typed>` found nothing the asker may see."""
    return f"I found no deal matching \u201c{user_text(typed, 80)}\u201d among the deals you can see."


def deal_matches(typed: str, matches: list[tuple[int, str, str]]) -> tuple[str, list[Block]]:
    """The deals (id, name, account) `/nextsteps deal <typed>` found, each with its History button."""
    blocks = [section(f"Deals matching \u201c{user_text(typed, 80)}\u201d:", block_id="deal_matches")]
    for deal_id, name, account in matches:
        blocks.append(
            section(
                f"*{user_text(account, 100)}* \u00b7 {user_text(name, 100)}",
                block_id=f"deal_match_{deal_id}",
                accessory=button(
                    "History", ids.OPEN_DEAL, value=str(deal_id), label=f"History of {account}, {name}"
                ),
            )
        )
    return f"{len(matches)} deals match.", blocks
