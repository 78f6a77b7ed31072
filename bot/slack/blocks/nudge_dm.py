"""The nudge DM: one message per rep per sweep, a section per deal, buttons that resolve it.

Answered items keep their text and lose their buttons, so the same builder renders the
DM when it is sent and when a click updates it in place.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.coaching import format_when
from bot.domain.nudge_kinds import NUDGE_KINDS, Offer
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


def _prep(item: NudgeItem) -> str:
    """The prep answers given, then what is still open: a line each, for ``{prep}``."""
    lines = []
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
    return "".join(f"\n{line}" for line in lines)


def _body(item: NudgeItem, tz: ZoneInfo) -> str:
    """The kind's message, its placeholders filled in with escaped values."""
    return NUDGE_KINDS[item.kind].message.format(
        title=_title(item),
        quote=_quote(item.description),
        when=format_when(item.scheduled_at, tz) if item.scheduled_at else "",
        days_quiet=item.days_quiet,
        prep=_prep(item),
    )


# Each button a nudge may offer: (text, action id); the snooze is a menu of its own.
OFFER_BUTTONS: dict[Offer, tuple[str, str]] = {
    Offer.BOOKED: ("Booked it", ids.NUDGE_BOOKED_IT),
    Offer.LOG_MEETING: ("Log meeting", ids.NUDGE_LOG_MEETING),
    Offer.RESCHEDULED: ("Rescheduled", ids.NUDGE_RESCHEDULED),
    Offer.DIDNT_HAPPEN: ("Didn't happen", ids.NUDGE_DIDNT_HAPPEN),
    Offer.MARK_LOST: ("Mark lost", ids.NUDGE_MARK_LOST),
    Offer.REPLACE: ("Add a replacement deal", ids.NUDGE_REPLACE),
}


def _buttons(item: NudgeItem) -> list[dict[str, Any]]:
    value = str(item.nudge_id)
    deal = f"{item.account_name}, {item.deal_name}"  # several deals per DM: a screen reader says which

    def element(offer: Offer, primary: bool) -> dict[str, Any]:
        if offer is Offer.SNOOZE:
            return {
                "type": "static_select",
                "action_id": ids.NUDGE_SNOOZE,
                "placeholder": {"type": "plain_text", "text": "Snooze"},
                "options": [
                    {"text": {"type": "plain_text", "text": label}, "value": f"{value}:{choice}"}
                    for choice, label in SNOOZE_CHOICES
                ],
            }
        text, action_id = OFFER_BUTTONS[offer]
        style = "primary" if primary else None
        return button(text, action_id, value=value, style=style, label=f"{text}: {deal}")

    return [element(b.offer, b.primary) for b in NUDGE_KINDS[item.kind].buttons]


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
    else:
        if buttons := _buttons(item):
            blocks.append(actions(buttons, block_id=f"{block_id}_actions"))
        if footer := NUDGE_KINDS[item.kind].footer:
            blocks.append(context(footer.format(ordinal=item.ordinal, max_nudges=item.max_nudges)))
    return blocks


def notification_text(items: list[NudgeItem]) -> str:
    """The DM's top-level text, what a phone's lock screen shows: what these nudges are about."""
    if not items:
        return "Your next steps"
    counts = {kind: sum(1 for i in items if i.kind is kind) for kind in NudgeKind}
    kinds = [kind for kind in NudgeKind if counts[kind]]
    if len(kinds) == 1:
        note = NUDGE_KINDS[kinds[0]].notification
        one, several = note.one, note.several
        text = one if len(items) == 1 else several
        return text.format(account=user_text(items[0].account_name, 60), count=len(items))
    # Most pressing first, in the order the DM shows them.
    order = list(dict.fromkeys(i.kind for i in items))
    return "Your next steps: " + ", ".join(
        NUDGE_KINDS[k].notification.part.format(count=counts[k]) for k in order
    )


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
