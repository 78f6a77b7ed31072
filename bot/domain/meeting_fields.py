"""Which of the meeting form's fields apply, given the ask type and the reaction: one table for the
modal (what it shows) and the service (where a value sent for a hidden field goes)."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.vocabulary import AskType, Reaction


class MeetingField(StrEnum):
    """The fields that come and go as the rep chooses; the others always show."""

    REACTION = "reaction"
    NEXT_STEP = "next_step"
    NEXT_STEP_AT = "next_step_at"
    PREP = "prep"  # the prep questions for a booked meeting


# What each choice hides: "Declined" has no next step; "No next step asked" has no reaction
# (nothing was asked to react to) and no next step; "Agreed, not scheduled" has no date yet.
HIDDEN_BY_ASK_TYPE: dict[AskType, frozenset[MeetingField]] = {
    AskType.NO_ASK: frozenset(MeetingField),
}
HIDDEN_BY_REACTION: dict[Reaction, frozenset[MeetingField]] = {
    Reaction.DECLINED: frozenset({MeetingField.NEXT_STEP, MeetingField.NEXT_STEP_AT, MeetingField.PREP}),
    Reaction.AGREED_UNSCHEDULED: frozenset({MeetingField.NEXT_STEP_AT, MeetingField.PREP}),
    Reaction.HESITANT: frozenset({MeetingField.PREP}),
}


def shown_fields(ask_type: AskType | None, reaction: Reaction | None) -> frozenset[MeetingField]:
    """The fields the modal shows for these choices (prep only once "Agreed and booked" is chosen)."""
    hidden = set(HIDDEN_BY_ASK_TYPE.get(ask_type, frozenset()) if ask_type else ())
    if MeetingField.REACTION not in hidden:
        hidden |= HIDDEN_BY_REACTION.get(reaction, frozenset()) if reaction else {MeetingField.PREP}
    return frozenset(MeetingField) - hidden
