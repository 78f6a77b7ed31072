"""Look-back data and forecast signals: what a deal's history says about where to spend time.

The article's "look back on time spent" instead of "look-forward optimism": every signal here
is a pure function of the deal's recorded history (meetings, their reactions, their next steps)
and ``now``. Nothing is a bare score: each signal carries the sentences that explain it.

Momentum (``momentum``), over the deal's last ``MOMENTUM_WINDOW`` meetings that count
(withdrawn meetings never count):

=============================================  ======
what happened                                  points
=============================================  ======
"Agreed and booked"                            +2
…and the previous booked step was kept         +1  (booked → held → booked again)
"Agreed, not yet scheduled"                     0
"Hesitant / needs to check"                    −1
no next step asked                             −1
"Declined"                                     −3
a booked step that was missed                  −2
a step moved twice or more                     −1
the booked step's time passed, nothing logged  −1
no meeting for the stall threshold (14 days)   −2
=============================================  ======

Level: 4 or more *Strong*, 1–3 *Building*, −1–0 *Flat*, below that *Slipping*. The level is a
label that explains the deal's recent story; the pipeline's figures weigh each deal by its
learned chance to be won (``Chance``, from ``bot.domain.forecast``), or a manager's override of
it. ``WEIGHTS`` (the fixed weights the label once carried) survive only as the forecast's prior
before a workspace has history, and as a baseline the backtest beats.

Flags:
- *time sink*: once at least ``TIME_SPENT_MIN`` deals have been won and as many lost in the
  workspace, more meetings and more days than 8 in 10 of its won deals took (the look back on time
  spent, from the forecast's latest fit); until then, at least ``TIME_SINK_MEETINGS`` meetings over
  at least ``TIME_SINK_DAYS`` days, and none of the last ``TIME_SINK_WINDOW`` ended with a date on
  the prospect's calendar;
- *replace now*: the prospect declined at the last meeting, or the deal has stalled (no meeting
  for the stall threshold and no booked step ahead);
- *reminders unanswered*: the open step was agreed but never scheduled, and the clock escalated
  it after its last reminder went unanswered: it is on the manager's digest, or, for a rep
  without a manager, it stays flagged here until the step is booked or the deal moves on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain.vocabulary import (
    AskType,
    NextStepStatus,
    Reaction,
)

MOMENTUM_WINDOW = 5
TIME_SINK_MEETINGS = 4
TIME_SINK_DAYS = 30
TIME_SINK_WINDOW = 3
DEFAULT_STALLED_DAYS = 14


class Level(StrEnum):
    STRONG = "strong"
    BUILDING = "building"
    FLAT = "flat"
    SLIPPING = "slipping"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Today's fixed rule: the forecast's prior with no history, and the backtest's baseline.
WEIGHTS = {
    Level.STRONG: Decimal("0.8"),
    Level.BUILDING: Decimal("0.5"),
    Level.FLAT: Decimal("0.25"),
    Level.SLIPPING: Decimal("0.1"),
}


class FlagKind(StrEnum):
    TIME_SINK = "time_sink"
    REPLACE_NOW = "replace_now"
    ESCALATED = "escalated"

    @property
    def label(self) -> str:
        return {"time_sink": "Time sink", "replace_now": "Replace now", "escalated": "Reminders unanswered"}[
            self.value
        ]


@dataclass(frozen=True)
class MeetingFact:
    """One meeting that counts, as the signals see it."""

    held_at: datetime
    reaction: Reaction | None
    graded: AskType
    step_status: NextStepStatus | None = None
    reschedules: int = 0


TIME_SPENT_MIN = 10  # won and lost deals each, before the time-sink flag uses these figures


@dataclass(frozen=True)
class TimeSpent:
    """Meetings and calendar days the ended deals took, won and lost (median, 80th percentile)."""

    won: int
    lost: int
    won_meetings: tuple[float, float]
    won_days: tuple[float, float]
    lost_meetings: tuple[float, float]
    lost_days: tuple[float, float]

    @property
    def enough(self) -> bool:
        return self.won >= TIME_SPENT_MIN and self.lost >= TIME_SPENT_MIN

    @property
    def text(self) -> str:
        if not self.won and not self.lost:
            return "No deals have ended yet."
        return (
            f"Won deals took {self.won_meetings[0]:g} meetings over {self.won_days[0]:g} days "
            f"(8 in 10 within {self.won_meetings[1]:g} meetings and {self.won_days[1]:g} days; {self.won} won); "
            f"lost deals {self.lost_meetings[0]:g} meetings over {self.lost_days[0]:g} days "
            f"({self.lost} lost)."
        )


@dataclass(frozen=True)
class DealFacts:
    """An open deal's look-back data: what the App Home shows and the signals read."""

    deal_id: int
    name: str
    account_id: int
    account_name: str
    created_at: datetime
    amount: Decimal | None = None
    stage: str | None = None
    expected_close: date | None = None
    last_meeting_at: datetime | None = None
    at_risk_since: datetime | None = None
    meetings_held: int = 0
    recent: tuple[MeetingFact, ...] = ()  # oldest first, at most MOMENTUM_WINDOW
    step_id: int | None = None
    step_status: NextStepStatus | None = None  # the open next step: booked or unscheduled
    step_at: datetime | None = None
    step_since: datetime | None = None
    step_description: str = ""
    last_commitment_at: datetime | None = None  # when a next step was last booked
    stalled_after_days: int = DEFAULT_STALLED_DAYS
    escalated_at: datetime | None = None  # the open step went unanswered past its last reminder
    has_manager: bool = False  # the owner's team has a manager, who gets escalations in the digest
    time_spent: TimeSpent | None = None  # the workspace's look back on time spent (the latest fit)


@dataclass(frozen=True)
class Momentum:
    level: Level
    points: int
    reasons: tuple[str, ...]  # the biggest contributions, in words


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    why: str


@dataclass(frozen=True)
class Override:
    """A manager's probability for the deal, set by hand, and why."""

    probability: float
    reason: str
    by_name: str
    set_at: datetime


@dataclass(frozen=True)
class Chance:
    """The deal's learned chance to be won (its 80 % interval and one-line reason), and a
    manager's override of it, which the totals count when present."""

    probability: float
    low: float
    high: float
    reason: str
    fallback: bool = False
    override: Override | None = None

    @property
    def used(self) -> float:
        """What the totals count: the override when a manager set one, else the learned figure."""
        return self.override.probability if self.override is not None else self.probability

    @property
    def percent(self) -> int:
        return round(self.probability * 100)

    @property
    def interval_text(self) -> str:
        return f"{round(self.low * 100)}\u2013{round(self.high * 100)} %"


def prior_chance(level: Level) -> Chance:
    """Before the forecast is read: today's rule, with the widest honest interval."""
    return Chance(float(WEIGHTS[level]), 0.0, 1.0, "today's rule: no forecast read for this deal", True)


@dataclass(frozen=True)
class DealSignals:
    facts: DealFacts
    momentum: Momentum
    flags: tuple[Flag, ...]
    urgency: tuple[int, float]
    chance: Chance | None = None

    @property
    def probability(self) -> float:
        return self.chance.used if self.chance is not None else float(WEIGHTS[self.momentum.level])


def _days(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, (now - since).days)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def momentum(facts: DealFacts, now: datetime) -> Momentum:
    """Kept commitments raise it; declines, hesitations, missed or moved steps and long gaps lower it."""
    contributions: list[tuple[int, str]] = []
    recent = facts.recent[-MOMENTUM_WINDOW:]
    booked = kept = hesitant = declined = no_ask = missed = moved = 0
    for before, meeting in zip((None, *recent), recent, strict=False):
        if meeting.reaction is Reaction.BOOKED:
            booked += 1
            if (
                before is not None
                and before.reaction is Reaction.BOOKED
                and before.step_status is NextStepStatus.DONE
            ):
                kept += 1
        elif meeting.reaction is Reaction.HESITANT:
            hesitant += 1
        elif meeting.reaction is Reaction.DECLINED:
            declined += 1
        elif meeting.reaction is None:
            no_ask += 1
        if meeting.step_status is NextStepStatus.MISSED:
            missed += 1
        if meeting.reschedules >= 2:
            moved += 1
    n = len(recent)
    if booked:
        contributions.append(
            (2 * booked, f"{booked} of the last {_plural(n, 'meeting')} ended with a date booked")
        )
    if kept:
        contributions.append((kept, f"they kept {_plural(kept, 'booked meeting')} and booked again"))
    if declined:
        last = recent[-1].reaction is Reaction.DECLINED
        contributions.append(
            (
                -3 * declined,
                "they declined at the last meeting" if last else f"they declined {_plural(declined, 'time')}",
            )
        )
    if hesitant:
        said = "the last meeting" if n == 1 else f"{hesitant} of the last {n} meetings"
        contributions.append((-hesitant, f"they hesitated at {said}"))
    if no_ask:
        contributions.append((-no_ask, f"{_plural(no_ask, 'meeting')} ended with no next step asked"))
    if missed:
        contributions.append((-2 * missed, f"{_plural(missed, 'booked step')} didn't happen"))
    if moved:
        contributions.append((-moved, f"{_plural(moved, 'step')} moved twice or more"))
    if facts.step_status is NextStepStatus.BOOKED and facts.step_at is not None and facts.step_at < now:
        contributions.append((-1, "the booked step's time passed and no meeting was logged"))
    quiet = _days(facts.last_meeting_at or facts.created_at, now) or 0
    if quiet >= facts.stalled_after_days:
        contributions.append((-2, f"no meeting for {quiet} days"))
    points = sum(p for p, _ in contributions)
    if points >= 4:
        level = Level.STRONG
    elif points >= 1:
        level = Level.BUILDING
    elif points >= -1:
        level = Level.FLAT
    else:
        level = Level.SLIPPING
    ordered = sorted(contributions, key=lambda c: -abs(c[0]))
    reasons = tuple(text for _, text in ordered[:3]) or ("no meetings logged yet",)
    return Momentum(level, points, reasons)


def stalled(facts: DealFacts, now: datetime) -> bool:
    """No meeting for the stall threshold and no booked step ahead."""
    quiet = _days(facts.last_meeting_at or facts.created_at, now) or 0
    booked_ahead = (
        facts.step_status is NextStepStatus.BOOKED and facts.step_at is not None and facts.step_at >= now
    )
    return quiet >= facts.stalled_after_days and not booked_ahead


def flags(facts: DealFacts, now: datetime) -> tuple[Flag, ...]:
    """ "Time sink" and "replace now", each with the reason in a rep's words."""
    found: list[Flag] = []
    days_open = _days(facts.created_at, now) or 0
    window = facts.recent[-TIME_SINK_WINDOW:]
    spent = facts.time_spent
    if spent is not None and spent.enough:
        won_m, won_d = spent.won_meetings[1], spent.won_days[1]
        if facts.meetings_held > won_m and days_open > won_d:
            found.append(
                Flag(
                    FlagKind.TIME_SINK,
                    f"{facts.meetings_held} meetings over {days_open} days: 8 in 10 of the {spent.won} deals "
                    f"won here took at most {won_m:g} meetings and {won_d:g} days (lost deals took "
                    f"{spent.lost_meetings[0]:g} meetings over {spent.lost_days[0]:g} days, at the median). "
                    "More time is unlikely to pay off: ask for a scheduled step, or spend it on a deal that moves.",
                )
            )
    elif (
        facts.meetings_held >= TIME_SINK_MEETINGS
        and days_open >= TIME_SINK_DAYS
        and len(window) == TIME_SINK_WINDOW
        and not any(m.reaction is Reaction.BOOKED for m in window)
    ):
        found.append(
            Flag(
                FlagKind.TIME_SINK,
                f"{facts.meetings_held} meetings over {days_open} days, and none of the last "
                f"{TIME_SINK_WINDOW} ended with a date on their calendar. Ask for a scheduled step, "
                "or spend the time on a deal that moves.",
            )
        )
    last = facts.recent[-1] if facts.recent else None
    if last is not None and last.reaction is Reaction.DECLINED:
        found.append(
            Flag(
                FlagKind.REPLACE_NOW,
                "They declined at the last meeting. Replace the prospect before you lose them: "
                "add a replacement deal in the same territory.",
            )
        )
    elif stalled(facts, now):
        quiet = _days(facts.last_meeting_at or facts.created_at, now)
        found.append(
            Flag(
                FlagKind.REPLACE_NOW,
                f"No meeting for {quiet} days and nothing booked. Book a next step this week, "
                "or replace the prospect before you lose them.",
            )
        )
    if facts.escalated_at is not None and facts.step_status is NextStepStatus.UNSCHEDULED:
        where = (
            "so it is on your manager's weekly digest"
            if facts.has_manager
            else "and with no manager to hand it to, it stays flagged here"
        )
        found.append(
            Flag(
                FlagKind.ESCALATED,
                f"They agreed to a next step, it never got a date, and the reminders went unanswered, {where}. "
                "Book it, log the meeting, or mark the deal lost.",
            )
        )
    return tuple(found)


class StepState(StrEnum):
    OVERDUE = "overdue"
    UNSCHEDULED = "unscheduled"
    NONE = "none"
    BOOKED = "booked"


def step_state(facts: DealFacts, now: datetime) -> StepState:
    if facts.step_status is NextStepStatus.BOOKED and facts.step_at is not None:
        return StepState.OVERDUE if facts.step_at < now else StepState.BOOKED
    if facts.step_status is NextStepStatus.UNSCHEDULED:
        return StepState.UNSCHEDULED
    return StepState.NONE


def urgency(facts: DealFacts, found: Sequence[Flag], now: datetime) -> tuple[int, float]:
    """Sort key, most urgent first: overdue, replace now, unscheduled, no next step, booked (soonest first)."""
    state = step_state(facts, now)
    replace = any(f.kind in (FlagKind.REPLACE_NOW, FlagKind.ESCALATED) for f in found)
    anchor = facts.step_at or facts.step_since or facts.last_meeting_at or facts.created_at
    stamp = anchor.timestamp()
    if state is StepState.OVERDUE:
        return (0, stamp)
    if replace:
        return (1, stamp)
    if state is StepState.UNSCHEDULED:
        return (2, stamp)
    if state is StepState.NONE:
        return (3, stamp)
    return (4, stamp)


def signals(facts: DealFacts, now: datetime, chance: Chance | None = None) -> DealSignals:
    found = flags(facts, now)
    level = momentum(facts, now)
    return DealSignals(facts, level, found, urgency(facts, found, now), chance or prior_chance(level.level))


@dataclass(frozen=True)
class ReplacementRatio:
    """Replacement deals added / deals lost as declined or went dark."""

    replacements: int
    lost: int

    @property
    def text(self) -> str:
        if self.lost == 0:
            return f"{self.replacements} replacement deals added; no deals lost to a decline or silence"
        return (
            f"{self.replacements} replacement {'deal' if self.replacements == 1 else 'deals'} added for "
            f"{self.lost} lost to a decline or silence"
            + (
                ""
                if self.replacements >= self.lost
                else f": {self.lost - self.replacements} still to replace"
            )
        )


@dataclass(frozen=True)
class LastMeeting:
    """The rep's last meeting while it can still be edited or withdrawn."""

    meeting_id: int
    account_name: str
    deal_name: str
    held_at: datetime
    editable_until: datetime


@dataclass(frozen=True)
class Pipeline:
    """A rep's open deals, most urgent first, and the totals the App Home heads with."""

    deals: tuple[DealSignals, ...]
    ratio: ReplacementRatio
    total: Decimal = Decimal(0)
    expected: Decimal = Decimal(0)  # each known amount times the deal's chance (override if set)
    priced: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    expected_wins: float = 0.0  # the sum of the open deals' chances
    overrides: int = 0


def pipeline(
    facts: Sequence[DealFacts],
    ratio: ReplacementRatio,
    now: datetime,
    chances: Mapping[int, Chance] | None = None,
) -> Pipeline:
    """Signals for every deal, sorted most urgent first, with the expected value and wins."""
    chances = chances or {}
    deals = sorted(
        (signals(f, now, chances.get(f.deal_id)) for f in facts), key=lambda s: (s.urgency, s.facts.deal_id)
    )
    total = expected = Decimal(0)
    wins = 0.0
    priced = overridden = 0
    counts = {"overdue": 0, "unscheduled": 0, "no_step": 0, "booked": 0}
    counts.update(dict.fromkeys((k.value for k in FlagKind), 0))
    for s in deals:
        if s.facts.amount is not None:
            priced += 1
            total += s.facts.amount
            expected += s.facts.amount * Decimal(str(round(s.probability, 4)))
        wins += s.probability
        overridden += s.chance is not None and s.chance.override is not None
        state = step_state(s.facts, now)
        counts[{"none": "no_step"}.get(state.value, state.value)] += 1
        for flag in s.flags:
            counts[flag.kind.value] += 1
    return Pipeline(
        tuple(deals), ratio, total, expected.quantize(Decimal("0.01")), priced, counts, wins, overridden
    )


HOME_PAGE_SIZE = 25  # deals on one page of the App Home


@dataclass(frozen=True)
class HomePage:
    """One page of a rep's Home: the deals it shows (signals in full) and the totals over all of
    their open deals, which the header and the paging note read."""

    deals: tuple[DealSignals, ...]  # the page, most urgent first
    start: int  # the page's first deal, 0-based in the whole sorted pipeline
    open_deals: int
    ratio: ReplacementRatio
    total: Decimal = Decimal(0)
    expected: Decimal = Decimal(0)
    priced: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    expected_wins: float = 0.0
    overrides: int = 0
    fallback: bool = False  # every open deal's chance is the fallback rule (or none)


def page_start_of(page_start: int, open_deals: int) -> int:
    """The first deal of the page asked for, kept within the pipeline."""
    return max(0, min(page_start, max(0, open_deals - 1)))


def page_of(p: Pipeline, page_start: int = 0, size: int = HOME_PAGE_SIZE) -> HomePage:
    """The page of a whole scored pipeline: what the Home shows, built from every deal's signals."""
    start = page_start_of(page_start, len(p.deals))
    return HomePage(
        deals=p.deals[start : start + size],
        start=start,
        open_deals=len(p.deals),
        ratio=p.ratio,
        total=p.total,
        expected=p.expected,
        priced=p.priced,
        counts=p.counts,
        expected_wins=p.expected_wins,
        overrides=p.overrides,
        fallback=bool(p.deals) and all(d.chance is None or d.chance.fallback for d in p.deals),
    )


@dataclass(frozen=True)
class RepHygiene:
    """One rep's pipeline hygiene, as their manager's `/nextsteps team` lists it."""

    name: str
    left: bool
    open_deals: int
    not_booked: int  # no booked next step ahead: unscheduled or none
    overdue: int
    stalled: int
    time_sinks: int
    expected: Decimal
    priced: int
    ratio: ReplacementRatio
    expected_wins: float = 0.0


def hygiene(name: str, left: bool, p: Pipeline, now: datetime) -> RepHygiene:
    return RepHygiene(
        name=name,
        left=left,
        open_deals=len(p.deals),
        not_booked=p.counts["unscheduled"] + p.counts["no_step"],
        overdue=p.counts["overdue"],
        stalled=sum(1 for s in p.deals if stalled(s.facts, now)),
        time_sinks=p.counts["time_sink"],
        expected=p.expected,
        priced=p.priced,
        ratio=p.ratio,
        expected_wins=p.expected_wins,
    )
