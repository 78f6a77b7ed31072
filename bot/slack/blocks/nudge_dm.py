"""The nudge DM: one message per rep per sweep, a section per deal, buttons that resolve it.

Answered items keep their text and lose their buttons, so the same builder renders the
DM when it is sent and when a click updates it in place.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.coaching import format_when
from bot.domain.nudges import SNOOZE_CHOICES, NudgeItem
from bot.domain.vocabulary import PREP_QUESTIONS, NudgeAnswer, NudgeKind
from bot.slack import ids
from bot.slack.blocks.common import MAX_BLOCKS, actions, button, context, header, section, user_text

_NAME = 150
_TEXT = 500


def _title(item: NudgeItem) -> str:
    return f"*{user_text(item.account_name, _NAME)}* \u00b7 {user_text(item.deal_name, _NAME)}"


def _quote(text: str | None) -> str:
    return f"\u201c{user_text(text, _TEXT)}\u201d" if text else "the next step you agreed on"


def _body(item: NudgeItem, tz: ZoneInfo) -> str:
    when = format_when(item.scheduled_at, tz) if item.scheduled_at else ""
    if item.kind is NudgeKind.UNSCHEDULED:
        return (
            f"{_title(item)}\nThey agreed to {_quote(item.description)}, but it isn't on their calendar yet. "
            "Without a date it's phone tag: call, pin a date and time, and press *Booked it*."
        )
    if item.kind is NudgeKind.OVERDUE:
        return f"{_title(item)}\nHow did it go? {_quote(item.description)} was booked for {when}."
    if item.kind is NudgeKind.PREP:
        lines = [f"{_title(item)}\n*Coming up:* {_quote(item.description)}, {when}."]
        missing = []
        answers = dict(item.prep)
        for name, question in PREP_QUESTIONS:
            answer = answers.get(name)
            if answer:
                lines.append(f"\u2022 *{question}* {user_text(answer, _TEXT)}")
            else:
                missing.append(question.rstrip("?").lower())
        if missing:
            lines.append(f"Still open: {', '.join(missing)}. Find out before you walk in.")
        return "\n".join(lines)
    return (
        f"{_title(item)}\nNo meeting for {item.days_quiet} days and nothing booked. Time spent without a next step "
        "is time you won't get back: book the next step, or replace the prospect before you lose them."
    )


def _buttons(item: NudgeItem) -> list[dict[str, Any]]:
    value = str(item.nudge_id)
    deal = f"{item.account_name}, {item.deal_name}"  # several deals per DM: a screen reader says which

    def labelled(text: str, action_id: str, style: str | None = None) -> dict[str, Any]:
        return button(text, action_id, value=value, style=style, label=f"{text}: {deal}")

    log = labelled("Log meeting", ids.NUDGE_LOG_MEETING)
    lost = labelled("Mark lost", ids.NUDGE_MARK_LOST)
    snooze = {
        "type": "static_select",
        "action_id": ids.NUDGE_SNOOZE,
        "placeholder": {"type": "plain_text", "text": "Snooze"},
        "options": [
            {"text": {"type": "plain_text", "text": label}, "value": f"{value}:{choice}"}
            for choice, label in SNOOZE_CHOICES
        ],
    }
    if item.kind is NudgeKind.UNSCHEDULED:
        return [labelled("Booked it", ids.NUDGE_BOOKED_IT, "primary"), log, snooze, lost]
    if item.kind is NudgeKind.OVERDUE:
        return [
            labelled("Log meeting", ids.NUDGE_LOG_MEETING, "primary"),
            labelled("Rescheduled", ids.NUDGE_RESCHEDULED),
            labelled("Didn't happen", ids.NUDGE_DIDNT_HAPPEN),
            lost,
        ]
    if item.kind is NudgeKind.STALLED:
        return [log, labelled("Add a replacement deal", ids.NUDGE_REPLACE), snooze, lost]
    return []


ANSWER_WORDS = {
    NudgeAnswer.LOGGED: "Meeting logged",
    NudgeAnswer.BOOKED: "Booked",
    NudgeAnswer.RESCHEDULED: "Rescheduled",
    NudgeAnswer.DIDNT_HAPPEN: "Didn't happen: noted as missed; the step is unscheduled again",
    NudgeAnswer.SNOOZED: "Snoozed",
    NudgeAnswer.LOST: "Marked lost",
}


def _item_blocks(item: NudgeItem, tz: ZoneInfo) -> list[dict[str, Any]]:
    block_id = f"{ids.NUDGE_BLOCK_PREFIX}{item.nudge_id}"
    blocks = [section(_body(item, tz), block_id=block_id)]
    if item.answer is not None:
        note = f" {item.answer_note}" if item.answer_note else ""
        blocks.append(context(f"\u2705 {ANSWER_WORDS[item.answer]}{note}"))
    elif item.kind is NudgeKind.UNSCHEDULED:
        blocks.append(actions(_buttons(item), block_id=f"{block_id}_actions"))
        blocks.append(context(f"Reminder {item.ordinal} of {item.max_nudges}"))
    elif buttons := _buttons(item):
        blocks.append(actions(buttons, block_id=f"{block_id}_actions"))
    return blocks


# What the lock screen says for each kind: (one deal, several, its part of a mixed DM).
NOTIFICATION: dict[NudgeKind, tuple[str, str, str]] = {
    NudgeKind.UNSCHEDULED: (
        "{account}: the next step they agreed to needs a date",
        "{count} next steps need a date",
        "{count} to put a date on",
    ),
    NudgeKind.OVERDUE: (
        "How did it go? Your meeting with {account}",
        "How did they go? {count} meetings to log",
        "{count} to log",
    ),
    NudgeKind.PREP: (
        "Coming up: your meeting with {account}, with your prep notes",
        "Coming up: {count} meetings, with your prep notes",
        "{count} coming up",
    ),
    NudgeKind.STALLED: (
        "{account} has gone quiet: book a next step or replace it",
        "{count} deals have gone quiet",
        "{count} gone quiet",
    ),
}


def notification_text(items: list[NudgeItem]) -> str:
    """The DM's top-level text, what a phone's lock screen shows: what these nudges are about."""
    if not items:
        return "Your next steps"
    counts = {kind: sum(1 for i in items if i.kind is kind) for kind in NudgeKind}
    kinds = [kind for kind in NudgeKind if counts[kind]]
    if len(kinds) == 1:
        one, several, _ = NOTIFICATION[kinds[0]]
        text = one if len(items) == 1 else several
        return text.format(account=user_text(items[0].account_name, 60), count=len(items))
    # Most pressing first, in the order the DM shows them.
    order = list(dict.fromkeys(i.kind for i in items))
    return "Your next steps: " + ", ".join(NOTIFICATION[k][2].format(count=counts[k]) for k in order)


def nudge_message(items: list[NudgeItem], tz: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) for one rep's nudges, most pressing first as given.

    Items are added while they fit in Slack's 50 blocks, keeping one for the summary of the rest.
    """
    text = notification_text(items)
    blocks: list[dict[str, Any]] = [header("Your next steps")]
    shown = 0
    for item in items:
        item_blocks = ([{"type": "divider"}] if shown else []) + _item_blocks(item, tz)
        if len(blocks) + len(item_blocks) > MAX_BLOCKS - 1:
            break
        blocks.extend(item_blocks)
        shown += 1
    rest = items[shown:]
    if rest:
        names = ", ".join(user_text(i.account_name, 60) for i in rest[:20])
        more = f" and {len(rest) - 20} more" if len(rest) > 20 else ""
        blocks.append(
            section(f"*Also waiting:* {names}{more}. Log them with `/meeting` as you pin each one down.")
        )
    return text, blocks
