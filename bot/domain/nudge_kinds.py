"""The kinds of nudge, one row each: every layer reads this table instead of testing the kind.

A row says what the nudge is about (a next step or a deal), which rule plans it and when it
is still true, where it sits in a DM, what the rep can answer from it, what else answers it
(a logged meeting, a booking), and what the DM and the lock screen say. Adding a kind is a
member of ``NudgeKind``, a planner in ``bot.domain.nudges`` and a row here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.nudges import (
    NudgeItem,
    PastNudge,
    Plan,
    Rules,
    SubjectState,
    WindowKey,
    combine,
    is_booked_for,
    is_open_deal,
    is_unscheduled,
    overdue_planner,
    prep_planner,
    stalled_planner,
    unscheduled_planner,
)
from bot.domain.vocabulary import NudgeKind


class Subject(StrEnum):
    """What a nudge is about; the value starts its subject key ("step:<id>", "deal:<id>")."""

    STEP = "step"
    DEAL = "deal"


class Offer(StrEnum):
    """What a nudge DM offers the rep: an answer it records, or a modal it opens (log, replace)."""

    BOOKED = "booked"
    LOG_MEETING = "log_meeting"
    RESCHEDULED = "rescheduled"
    DIDNT_HAPPEN = "didnt_happen"
    SNOOZE = "snooze"
    MARK_LOST = "mark_lost"
    REPLACE = "replace"


class Anchor(StrEnum):
    """The instant a kind's window is keyed by, which its DM text keeps as it read when sent."""

    EPISODE = "episode"  # when the step became unscheduled: nothing in the text depends on it
    BOOKED_TIME = "booked_time"  # the step's time when the nudge was sent (moved or missed since)
    LAST_ACTIVITY = "last_activity"  # the deal's last meeting: the days it had been quiet


@dataclass(frozen=True)
class Button:
    offer: Offer
    primary: bool = False


@dataclass(frozen=True)
class Notification:
    """What the lock screen says: one nudge of the kind, several, and its part of a mixed DM.

    ``{account}`` is the (first) account, ``{count}`` the number of nudges of the kind.
    """

    one: str
    several: str
    part: str


Planner = Callable[[SubjectState, Sequence[PastNudge], Rules, datetime], Plan | None]
StillTrue = Callable[[SubjectState, WindowKey | None], bool]


@dataclass(frozen=True)
class KindRow:
    """Everything a kind of nudge decides.

    ``message`` is the DM's text for one nudge, filled in by the Slack builder with escaped
    values: ``{title}`` (account and deal), ``{quote}`` (the next step, quoted), ``{when}`` (its
    time), ``{days_quiet}``, ``{prep}`` (the prep answers and what is still open, one per line).
    ``footer`` (``{ordinal}``, ``{max_nudges}``) follows the buttons while it is unanswered.
    """

    kind: NudgeKind
    subject: Subject
    planner: Planner  # None from it: this kind does not apply to the subject as it stands
    still_true: StillTrue  # at delivery: does the claimed nudge still say something true?
    priority: int  # the order in a DM: lower first
    anchor: Anchor
    buttons: tuple[Button, ...]  # in the DM's order; every offer shown is an answer allowed
    answered_by_meeting: bool  # a meeting logged on its deal (completing its step) answers it
    answered_by_booking: bool  # booking (or moving) its step answers it
    escalates: bool  # after the last reminder, to the manager's digest
    message: str
    notification: Notification
    footer: str | None = None

    @property
    def answers(self) -> frozenset[Offer]:
        """What a click on this kind may do; anything else is a forged payload."""
        return frozenset(b.offer for b in self.buttons)


NUDGE_KINDS: dict[NudgeKind, KindRow] = {
    row.kind: row
    for row in (
        # In this order a subject's kinds are planned (a booked step: prep, then overdue).
        KindRow(
            kind=NudgeKind.UNSCHEDULED,
            subject=Subject.STEP,
            planner=unscheduled_planner,
            still_true=is_unscheduled,
            priority=1,
            anchor=Anchor.EPISODE,
            buttons=(
                Button(Offer.BOOKED, primary=True),
                Button(Offer.LOG_MEETING),
                Button(Offer.SNOOZE),
                Button(Offer.MARK_LOST),
            ),
            answered_by_meeting=True,
            answered_by_booking=True,
            escalates=True,
            message=(
                "{title}\nThey agreed to {quote}, but it isn't on their calendar yet. "
                "Without a date it's phone tag: call, pin a date and time, and press *Booked it*."
            ),
            notification=Notification(
                "{account}: the next step they agreed to needs a date",
                "{count} next steps need a date",
                "{count} to put a date on",
            ),
            footer="Reminder {ordinal} of {max_nudges}",
        ),
        KindRow(
            kind=NudgeKind.PREP,
            subject=Subject.STEP,
            planner=prep_planner,
            still_true=is_booked_for,
            priority=3,
            anchor=Anchor.BOOKED_TIME,
            buttons=(),
            answered_by_meeting=False,
            answered_by_booking=False,
            escalates=False,
            message="{title}\n*Coming up:* {quote}, {when}.{prep}",
            notification=Notification(
                "Coming up: your meeting with {account}, with your prep notes",
                "Coming up: {count} meetings, with your prep notes",
                "{count} coming up",
            ),
        ),
        KindRow(
            kind=NudgeKind.OVERDUE,
            subject=Subject.STEP,
            planner=overdue_planner,
            still_true=is_booked_for,
            priority=0,
            anchor=Anchor.BOOKED_TIME,
            buttons=(
                Button(Offer.LOG_MEETING, primary=True),
                Button(Offer.RESCHEDULED),
                Button(Offer.DIDNT_HAPPEN),
                Button(Offer.MARK_LOST),
            ),
            answered_by_meeting=True,
            answered_by_booking=True,
            escalates=False,
            message="{title}\nHow did it go? {quote} was booked for {when}.",
            notification=Notification(
                "How did it go? Your meeting with {account}",
                "How did they go? {count} meetings to log",
                "{count} to log",
            ),
        ),
        KindRow(
            kind=NudgeKind.STALLED,
            subject=Subject.DEAL,
            planner=stalled_planner,
            still_true=is_open_deal,
            priority=2,
            anchor=Anchor.LAST_ACTIVITY,
            buttons=(
                Button(Offer.LOG_MEETING),
                Button(Offer.REPLACE),
                Button(Offer.SNOOZE),
                Button(Offer.MARK_LOST),
            ),
            answered_by_meeting=True,
            answered_by_booking=False,
            escalates=False,
            message=(
                "{title}\nNo meeting for {days_quiet} days and nothing booked. Time spent without a next step "
                "is time you won't get back: book the next step, or replace the prospect before you lose them."
            ),
            notification=Notification(
                "{account} has gone quiet: book a next step or replace it",
                "{count} deals have gone quiet",
                "{count} gone quiet",
            ),
        ),
    )
}


def kind_row(kind: str) -> KindRow:
    """The row of a kind (as stored: a string); ValueError for an unknown kind."""
    return NUDGE_KINDS[NudgeKind(kind)]


def kinds_where(test: Callable[[KindRow], bool]) -> tuple[NudgeKind, ...]:
    """The kinds whose row passes ``test``, in the table's order (for queries: ``Nudge.kind.in_``)."""
    return tuple(kind for kind, row in NUDGE_KINDS.items() if test(row))


ON_DEALS = kinds_where(lambda row: row.subject is Subject.DEAL)
ANSWERED_BY_MEETING = kinds_where(lambda row: row.answered_by_meeting)
ANSWERED_BY_BOOKING = kinds_where(lambda row: row.answered_by_booking)
ESCALATING = kinds_where(lambda row: row.escalates)


def kinds_of(subject: Subject) -> tuple[KindRow, ...]:
    """The rows of the kinds about this subject, in planning order."""
    return tuple(row for row in NUDGE_KINDS.values() if row.subject is subject)


def plan_subject(
    subject: Subject, state: SubjectState, history: Sequence[PastNudge], rules: Rules, now: datetime
) -> Plan | None:
    """Every kind's plan for one step or deal as of ``now``; None when no kind applies to it any more."""
    plans = [p for row in kinds_of(subject) if (p := row.planner(state, history, rules, now)) is not None]
    return combine(plans) if plans else None


def priority(kind: str) -> int:
    return kind_row(kind).priority


def as_sent(item: NudgeItem, window: WindowKey, sent_at: datetime) -> NudgeItem:
    """The item's text as it read when sent, not as its step or deal stands now (see Anchor)."""
    anchor = NUDGE_KINDS[item.kind].anchor
    if anchor is Anchor.BOOKED_TIME:
        return replace(item, scheduled_at=window.instant)
    if anchor is Anchor.LAST_ACTIVITY:
        return replace(item, days_quiet=max(0, (sent_at - window.instant).days))
    return item
