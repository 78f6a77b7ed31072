"""When each nudge falls due: pure rules over one next step's (or deal's) history.

PRODUCT.md's "Nudges" section, with the workspace's settings:
- unscheduled: first at the first working moment ``first_after`` after the step became
  unscheduled, then every ``every_working_days``, at most ``max_nudges``; two working days
  after the last one it is escalated to the manager's digest (no DM).
- overdue: a booked step's time passed ``overdue_after`` ago with no meeting logged since.
- prep: the start of working hours on the step's day, or of the previous working day
  when the step starts before working hours; none when booked after that moment.
- stalled: an open deal with no meeting for ``stalled_after_days`` and no booked step ahead.

Snoozing postpones the next nudge of that subject to the snooze's end; it never resolves
it. A pause ends in a resume: nothing falls due before the first working moment after it.
Every time is an aware UTC instant; the calendar is the rep's own. Which planner plans
which kind (and all else a kind decides) is in ``bot.domain.nudge_kinds``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

from bot.domain.vocabulary import OPEN_NEXT_STEP_STATUSES, DealStatus, NextStepStatus, NudgeAnswer, NudgeKind
from bot.domain.worktime import WorkCalendar

# A claimed nudge not yet delivered is retried by the delivery loop; the planner looks
# again this much later rather than planning the next one on top of it.
RECHECK = timedelta(minutes=5)


@dataclass(frozen=True)
class NudgeSettings:
    first_after: timedelta = timedelta(hours=2)
    every_working_days: int = 2
    max_nudges: int = 3
    overdue_after: timedelta = timedelta(hours=2)
    stalled_after: timedelta = timedelta(days=14)


_WINDOW = re.compile(r"(0|[1-9][0-9]*)(?::(?:([1-9][0-9]*)|s([1-9][0-9]*)))?", re.ASCII)


@dataclass(frozen=True)
class WindowKey:
    """Which window of its subject a nudge is for: one claim per (kind, subject, window).

    Stored as ``nudges.window_key``, in this format (rows already stored keep it):
    ``<at>`` a one-shot nudge (prep, overdue, stalled) for the window counted from ``at``
    (epoch seconds: the booked time, the deal's last activity); ``<at>:s<n>`` the same nudge
    again after its n-th snooze; ``<at>:<n>`` the n-th unscheduled reminder of the episode
    that began at ``at``.
    """

    at: int
    reminder: int | None = None
    resend: int = 0

    def __post_init__(self) -> None:
        if self.at < 0 or self.resend < 0 or (self.reminder is not None and self.reminder < 1):
            raise ValueError(f"not a window: {self!r}")
        if self.reminder is not None and self.resend:
            raise ValueError(f"a window is a reminder or a resend, not both: {self!r}")

    @classmethod
    def starting(cls, instant: datetime, *, reminder: int | None = None) -> WindowKey:
        """The window counted from ``instant`` (whole seconds, as stored)."""
        return cls(int(instant.timestamp()), reminder)

    @classmethod
    def parse(cls, text: str) -> WindowKey:
        """The key as stored; ValueError when ``text`` is not one."""
        match = _WINDOW.fullmatch(text)
        if match is None:
            raise ValueError(f"not a window key: {text!r}")
        at, reminder, resend = match.groups()
        return cls(int(at), int(reminder) if reminder else None, int(resend) if resend else 0)

    def format(self) -> str:
        if self.reminder is not None:
            return f"{self.at}:{self.reminder}"
        return f"{self.at}:s{self.resend}" if self.resend else str(self.at)

    def __str__(self) -> str:
        return self.format()

    @property
    def instant(self) -> datetime:
        """The moment the window is counted from."""
        return datetime.fromtimestamp(self.at, UTC)

    def again(self, resend: int) -> WindowKey:
        """The same one-shot window, sent again after its ``resend``-th snooze."""
        return replace(self, resend=resend)


@dataclass(frozen=True)
class PastNudge:
    """A nudge already claimed for this subject, as the rules need it.

    ``window_key`` as stored (see WindowKey); ``kind`` None: of the kind being planned.
    """

    window_key: str
    claimed_at: datetime
    sent_at: datetime | None
    snoozed_until: datetime | None
    escalated_at: datetime | None = None
    gave_up: bool = False
    kind: NudgeKind | None = None

    @cached_property
    def window(self) -> WindowKey:
        return WindowKey.parse(self.window_key)


@dataclass(frozen=True)
class Due:
    """A nudge to claim now (``escalate`` marks the manager hand-off instead of a DM)."""

    kind: NudgeKind
    window: WindowKey
    due_at: datetime
    escalate: bool = False

    @property
    def window_key(self) -> str:
        """The window as stored."""
        return self.window.format()


@dataclass(frozen=True)
class Plan:
    """What is due now, and when to look at this subject again (None: never, unless it changes)."""

    due: tuple[Due, ...]
    next_check: datetime | None


def _of(kind: NudgeKind, history: Sequence[PastNudge]) -> list[PastNudge]:
    """The past nudges of this kind (a subject's history holds all its kinds)."""
    return [n for n in history if n.kind is None or n.kind == kind]


def _floor(at: datetime, cal: WorkCalendar, resumed_at: datetime | None) -> datetime:
    """The working moment a nudge can happen at: never in off hours, never before a resume."""
    moment = cal.next_working_moment(at)
    if resumed_at is not None and moment < resumed_at:
        moment = cal.next_working_moment(resumed_at)
    return moment


def _snoozed(moment: datetime, last: PastNudge | None, cal: WorkCalendar) -> datetime:
    if last is not None and last.snoozed_until is not None and last.snoozed_until > moment:
        return cal.next_working_moment(last.snoozed_until)
    return moment


def _plan(candidates: list[Due], now: datetime, later: list[datetime]) -> Plan:
    due = tuple(d for d in candidates if d.due_at <= now)
    upcoming = [d.due_at for d in candidates if d.due_at > now] + [t for t in later if t > now]
    if due:
        # What follows a claimed nudge depends on when it is sent (or snoozed): look again then.
        upcoming.append(now + RECHECK)
    return Plan(due, min(upcoming) if upcoming else None)


def plan_unscheduled(
    *,
    episode_start: datetime,
    history: Sequence[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """The unscheduled step's next nudge, or its escalation after the last one.

    ``episode_start`` is when the step became unscheduled (logged, or "didn't happen"):
    the windows are counted within that episode.
    """
    episode = WindowKey.starting(episode_start)
    mine = sorted(
        (n for n in _of(NudgeKind.UNSCHEDULED, history) if n.window.at == episode.at and n.window.reminder),
        key=lambda n: n.claimed_at,
    )
    count = len(mine)
    last = mine[-1] if mine else None
    if last is not None and last.sent_at is None and not last.gave_up:
        return Plan((), now + RECHECK)  # still being delivered
    if count == 0:
        moment = _floor(episode_start + settings.first_after, cal, resumed_at)
        return _plan([Due(NudgeKind.UNSCHEDULED, replace(episode, reminder=1), moment)], now, [])
    assert last is not None
    base = last.sent_at or last.claimed_at
    moment = _snoozed(
        _floor(cal.add_working_days(base, settings.every_working_days), cal, resumed_at), last, cal
    )
    if count < settings.max_nudges:
        return _plan([Due(NudgeKind.UNSCHEDULED, replace(episode, reminder=count + 1), moment)], now, [])
    if last.escalated_at is not None:
        return Plan((), None)
    return _plan([Due(NudgeKind.UNSCHEDULED, last.window, moment, escalate=True)], now, [])


def _one_shot(
    kind: NudgeKind,
    window: WindowKey,
    moment: datetime,
    history: Sequence[PastNudge],
    cal: WorkCalendar,
    now: datetime,
) -> Plan:
    """A nudge sent once per window, again after each snooze."""
    mine = sorted(
        (n for n in _of(kind, history) if n.window.at == window.at and n.window.reminder is None),
        key=lambda n: n.claimed_at,
    )
    if not mine:
        return _plan([Due(kind, window, moment)], now, [])
    last = mine[-1]
    if last.sent_at is None and not last.gave_up:
        return Plan((), now + RECHECK)
    if last.snoozed_until is None:
        return Plan((), None)
    again = cal.next_working_moment(last.snoozed_until)
    return _plan([Due(kind, window.again(len(mine)), again)], now, [])


def combine(plans: Sequence[Plan]) -> Plan:
    """Several kinds' plans for one subject: all that is due, and the earliest next look."""
    due = tuple(d for p in plans for d in p.due)
    checks = [p.next_check for p in plans if p.next_check is not None]
    return Plan(due, min(checks) if checks else None)


def plan_prep(
    *,
    scheduled_at: datetime,
    booked_at: datetime,
    history: Sequence[PastNudge],
    cal: WorkCalendar,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """A booked step's prep nudge, at ``prep_moment``; none when booked after it, or once it started."""
    prep_at = prep_moment(scheduled_at, cal)
    if booked_at <= prep_at and now < scheduled_at and (resumed_at is None or prep_at >= resumed_at):
        return _one_shot(NudgeKind.PREP, WindowKey.starting(scheduled_at), prep_at, history, cal, now)
    return Plan((), None)


def plan_overdue(
    *,
    scheduled_at: datetime,
    history: Sequence[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """A booked step's "how did it go?", ``overdue_after`` its time when no meeting was logged since."""
    overdue_at = _floor(scheduled_at + settings.overdue_after, cal, resumed_at)
    return _one_shot(NudgeKind.OVERDUE, WindowKey.starting(scheduled_at), overdue_at, history, cal, now)


def plan_booked(
    *,
    scheduled_at: datetime,
    booked_at: datetime,
    history: Sequence[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """A booked step's prep nudge (before it) and overdue nudge (after it)."""
    return combine(
        [
            plan_prep(
                scheduled_at=scheduled_at,
                booked_at=booked_at,
                history=history,
                cal=cal,
                now=now,
                resumed_at=resumed_at,
            ),
            plan_overdue(
                scheduled_at=scheduled_at,
                history=history,
                cal=cal,
                settings=settings,
                now=now,
                resumed_at=resumed_at,
            ),
        ]
    )


def prep_moment(scheduled_at: datetime, cal: WorkCalendar) -> datetime:
    """Start of working hours on the step's day, or of the previous working day when it starts before them."""
    day = cal.local_date(scheduled_at)
    if cal.is_working_day(day) and scheduled_at >= cal.day_start(day):
        return cal.day_start(day)
    return cal.day_start(cal.previous_working_day(day))


def plan_stalled(
    *,
    last_activity: datetime,
    booked_ahead: datetime | None,
    history: Sequence[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """An open deal with no meeting since ``last_activity`` and nothing booked ahead."""
    if booked_ahead is not None and booked_ahead > now:
        return Plan((), booked_ahead)  # look again once that step has passed
    moment = _floor(last_activity + settings.stalled_after, cal, resumed_at)
    return _one_shot(NudgeKind.STALLED, WindowKey.starting(last_activity), moment, history, cal, now)


# ---------------------------------------------------------------- the subjects, as the rules read them


@dataclass(frozen=True)
class StepState:
    """What the rules read of a next step."""

    status: NextStepStatus
    status_changed_at: datetime
    scheduled_at: datetime | None
    booked_at: datetime


@dataclass(frozen=True)
class DealState:
    """What the rules read of a deal (``booked_ahead``: its earliest booked step still ahead)."""

    status: DealStatus
    last_activity: datetime
    booked_ahead: datetime | None = None


SubjectState = StepState | DealState


@dataclass(frozen=True)
class Rules:
    """What the planners need besides the subject: the rep's calendar, the settings, the last resume."""

    cal: WorkCalendar
    settings: NudgeSettings
    resumed_at: datetime | None = None


def _booked(state: SubjectState) -> StepState | None:
    """The step, when it is booked for a time (what prep and overdue nudges are about)."""
    if isinstance(state, StepState) and state.status == NextStepStatus.BOOKED and state.scheduled_at:
        return state
    return None


def unscheduled_planner(
    state: SubjectState, history: Sequence[PastNudge], rules: Rules, now: datetime
) -> Plan | None:
    """Plans an unscheduled step's reminders; None for any other subject."""
    if not isinstance(state, StepState) or state.status != NextStepStatus.UNSCHEDULED:
        return None
    return plan_unscheduled(
        episode_start=state.status_changed_at,
        history=history,
        cal=rules.cal,
        settings=rules.settings,
        now=now,
        resumed_at=rules.resumed_at,
    )


def prep_planner(
    state: SubjectState, history: Sequence[PastNudge], rules: Rules, now: datetime
) -> Plan | None:
    if (step := _booked(state)) is None:
        return None
    assert step.scheduled_at is not None
    return plan_prep(
        scheduled_at=step.scheduled_at,
        booked_at=step.booked_at,
        history=history,
        cal=rules.cal,
        now=now,
        resumed_at=rules.resumed_at,
    )


def overdue_planner(
    state: SubjectState, history: Sequence[PastNudge], rules: Rules, now: datetime
) -> Plan | None:
    if (step := _booked(state)) is None:
        return None
    assert step.scheduled_at is not None
    return plan_overdue(
        scheduled_at=step.scheduled_at,
        history=history,
        cal=rules.cal,
        settings=rules.settings,
        now=now,
        resumed_at=rules.resumed_at,
    )


def stalled_planner(
    state: SubjectState, history: Sequence[PastNudge], rules: Rules, now: datetime
) -> Plan | None:
    if not isinstance(state, DealState) or state.status != DealStatus.OPEN:
        return None
    return plan_stalled(
        last_activity=state.last_activity,
        booked_ahead=state.booked_ahead,
        history=history,
        cal=rules.cal,
        settings=rules.settings,
        now=now,
        resumed_at=rules.resumed_at,
    )


def is_open(state: SubjectState) -> bool:
    """An open next step (booked or unscheduled), or an open deal: what nudges can be about."""
    if isinstance(state, StepState):
        return state.status in OPEN_NEXT_STEP_STATUSES
    return state.status == DealStatus.OPEN


def is_unscheduled(state: SubjectState, window: WindowKey | None) -> bool:
    return isinstance(state, StepState) and state.status == NextStepStatus.UNSCHEDULED


def is_booked_for(state: SubjectState, window: WindowKey | None) -> bool:
    """The step is still booked for the time the nudge's window is keyed by."""
    step = _booked(state)
    return (
        step is not None
        and window is not None
        and step.scheduled_at is not None
        and int(step.scheduled_at.timestamp()) == window.at
    )


def is_open_deal(state: SubjectState, window: WindowKey | None) -> bool:
    return isinstance(state, DealState) and state.status == DealStatus.OPEN


def snooze_until(choice: str, now: datetime, cal: WorkCalendar) -> datetime:
    """1 day, 3 days or next week, counted in working time."""
    if choice == "1d":
        return cal.add_working_days(now, 1)
    if choice == "3d":
        return cal.add_working_days(now, 3)
    if choice == "next_week":
        return cal.start_of_next_week(now)
    raise ValueError(f"unknown snooze {choice!r}")


SNOOZE_CHOICES = (("1d", "1 working day"), ("3d", "3 working days"), ("next_week", "Next week"))


@dataclass(frozen=True)
class NudgeItem:
    nudge_id: int
    kind: NudgeKind
    account_name: str
    deal_name: str
    description: str | None = None
    scheduled_at: datetime | None = None
    ordinal: int = 1  # which unscheduled reminder this is
    max_nudges: int = 3
    days_quiet: int = 0  # stalled: days since the last meeting
    prep: tuple[tuple[str, str | None], ...] = ()  # (field, answer) in PREP_QUESTIONS order
    answer: NudgeAnswer | None = None
    answer_note: str | None = None  # e.g. the snooze's end, already in the rep's words
