"""The product's words: ask types, reactions, statuses, and the labels a person reads.

A leaf module (no imports from the project) so the store, the domain and the
Block Kit builders can all share it.
"""

from __future__ import annotations

from enum import StrEnum


class AskType(StrEnum):
    """What the rep asked the prospect for at the end of the meeting, strongest first."""

    SCHEDULED_MEETING = "scheduled_meeting"
    SPECIFIC_ACTION = "specific_action"
    OPEN_ENDED = "open_ended"
    NO_ASK = "no_ask"

    @property
    def label(self) -> str:
        return ASK_TYPE_LABELS[self]

    @property
    def short_label(self) -> str:
        """The ask type in a few words, for lines that show the grade (App Home, coaching)."""
        return ASK_TYPE_SHORT_LABELS[self]

    @property
    def strength(self) -> int:
        """Higher is stronger; the grade is the lower of two strengths."""
        return ASK_STRENGTH[self]

    @property
    def is_scheduled(self) -> bool:
        """Counts toward the ask rate: a scheduled meeting or a specific action with a date."""
        return self in (AskType.SCHEDULED_MEETING, AskType.SPECIFIC_ACTION)


ASK_TYPE_LABELS = {
    AskType.SCHEDULED_MEETING: "Scheduled meeting — date and time agreed",
    AskType.SPECIFIC_ACTION: "Specific action with a date",
    AskType.OPEN_ENDED: "Open-ended follow-up (\u201cI'll call you in a few weeks\u201d)",
    AskType.NO_ASK: "No next step asked",
}
ASK_TYPE_SHORT_LABELS = {
    AskType.SCHEDULED_MEETING: "Scheduled meeting",
    AskType.SPECIFIC_ACTION: "Specific action with a date",
    AskType.OPEN_ENDED: "Open-ended follow-up",
    AskType.NO_ASK: "No next step asked",
}
ASK_STRENGTH = {
    AskType.SCHEDULED_MEETING: 3,
    AskType.SPECIFIC_ACTION: 2,
    AskType.OPEN_ENDED: 1,
    AskType.NO_ASK: 0,
}


class Reaction(StrEnum):
    """How the prospect reacted to the ask: the forecast signal."""

    BOOKED = "agreed_booked"
    AGREED_UNSCHEDULED = "agreed_unscheduled"
    HESITANT = "hesitant"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return REACTION_LABELS[self]


REACTION_LABELS = {
    Reaction.BOOKED: "Agreed and booked",
    Reaction.AGREED_UNSCHEDULED: "Agreed, not yet scheduled",
    Reaction.HESITANT: "Hesitant / needs to check",
    Reaction.DECLINED: "Declined",
}


class MeetingKind(StrEnum):
    DISCOVERY = "discovery"
    DEMO = "demo"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class NextStepStatus(StrEnum):
    BOOKED = "booked"
    UNSCHEDULED = "unscheduled"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


OPEN_NEXT_STEP_STATUSES = (NextStepStatus.BOOKED, NextStepStatus.UNSCHEDULED)


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LostReason(StrEnum):
    DECLINED = "declined"
    WENT_DARK = "went_dark"
    NO_BUDGET = "no_budget"
    COMPETITOR = "competitor"
    OTHER = "other"

    @property
    def label(self) -> str:
        return LOST_REASON_LABELS[self]


LOST_REASON_LABELS = {
    LostReason.DECLINED: "Declined",
    LostReason.WENT_DARK: "Went dark",
    LostReason.NO_BUDGET: "No budget",
    LostReason.COMPETITOR: "Chose a competitor",
    LostReason.OTHER: "Other",
}


class RepStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class NudgeKind(StrEnum):
    UNSCHEDULED = "unscheduled"
    OVERDUE = "overdue"
    PREP = "prep"
    STALLED = "stalled"


class NudgeAnswer(StrEnum):
    LOGGED = "logged"
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    DIDNT_HAPPEN = "didnt_happen"
    SNOOZED = "snoozed"
    LOST = "lost"


# The prep questions the article lists, in its order: (field, question as the modal asks it).
PREP_QUESTIONS = (
    ("attendees", "Who will attend?"),
    ("agenda", "What will we discuss?"),
    ("materials", "What should we bring?"),
    ("evaluation", "How will we be evaluated?"),
    ("step_after", "What comes after that meeting?"),
)
