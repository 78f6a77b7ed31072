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
Every time is an aware UTC instant; the calendar is the rep's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.vocabulary import NudgeAnswer, NudgeKind
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


@dataclass(frozen=True)
class PastNudge:
    """A nudge already claimed for this subject, as the rules need it."""

    window_key: str
    claimed_at: datetime
    sent_at: datetime | None
    snoozed_until: datetime | None
    escalated_at: datetime | None = None
    gave_up: bool = False


@dataclass(frozen=True)
class Due:
    """A nudge to claim now (``escalate`` marks the manager hand-off instead of a DM)."""

    kind: NudgeKind
    window_key: str
    due_at: datetime
    escalate: bool = False


@dataclass(frozen=True)
class Plan:
    """What is due now, and when to look at this subject again (None: never, unless it changes)."""

    due: tuple[Due, ...]
    next_check: datetime | None


def _epoch(at: datetime) -> str:
    return str(int(at.timestamp()))


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
    history: list[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """The unscheduled step's next nudge, or its escalation after the last one.

    ``episode_start`` is when the step became unscheduled (logged, or "didn't happen"):
    the windows are counted within that episode.
    """
    prefix = f"{_epoch(episode_start)}:"
    mine = sorted((n for n in history if n.window_key.startswith(prefix)), key=lambda n: n.claimed_at)
    count = len(mine)
    last = mine[-1] if mine else None
    if last is not None and last.sent_at is None and not last.gave_up:
        return Plan((), now + RECHECK)  # still being delivered
    if count == 0:
        moment = _floor(episode_start + settings.first_after, cal, resumed_at)
        return _plan([Due(NudgeKind.UNSCHEDULED, f"{prefix}1", moment)], now, [])
    assert last is not None
    base = last.sent_at or last.claimed_at
    moment = _snoozed(
        _floor(cal.add_working_days(base, settings.every_working_days), cal, resumed_at), last, cal
    )
    if count < settings.max_nudges:
        return _plan([Due(NudgeKind.UNSCHEDULED, f"{prefix}{count + 1}", moment)], now, [])
    if last.escalated_at is not None:
        return Plan((), None)
    return _plan([Due(NudgeKind.UNSCHEDULED, last.window_key, moment, escalate=True)], now, [])


def _one_shot(
    kind: NudgeKind,
    base_key: str,
    moment: datetime,
    history: list[PastNudge],
    cal: WorkCalendar,
    now: datetime,
) -> Plan:
    """A nudge sent once per window, again after each snooze."""
    mine = sorted(
        (n for n in history if n.window_key == base_key or n.window_key.startswith(f"{base_key}:s")),
        key=lambda n: n.claimed_at,
    )
    if not mine:
        return _plan([Due(kind, base_key, moment)], now, [])
    last = mine[-1]
    if last.sent_at is None and not last.gave_up:
        return Plan((), now + RECHECK)
    if last.snoozed_until is None:
        return Plan((), None)
    again = cal.next_working_moment(last.snoozed_until)
    return _plan([Due(kind, f"{base_key}:s{len(mine)}", again)], now, [])


def plan_booked(
    *,
    scheduled_at: datetime,
    booked_at: datetime,
    history: list[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """A booked step's prep nudge (before it) and overdue nudge (after it)."""
    key = _epoch(scheduled_at)
    plans: list[Plan] = []
    prep_at = prep_moment(scheduled_at, cal)
    prep_history = [n for n in history if n.window_key.startswith(f"prep:{key}")]
    if booked_at <= prep_at and now < scheduled_at and (resumed_at is None or prep_at >= resumed_at):
        plans.append(_one_shot(NudgeKind.PREP, f"prep:{key}", prep_at, prep_history, cal, now))
    overdue_at = _floor(scheduled_at + settings.overdue_after, cal, resumed_at)
    overdue_history = [n for n in history if n.window_key.startswith(f"overdue:{key}")]
    plans.append(_one_shot(NudgeKind.OVERDUE, f"overdue:{key}", overdue_at, overdue_history, cal, now))
    due = tuple(d for p in plans for d in p.due)
    checks = [p.next_check for p in plans if p.next_check is not None]
    return Plan(due, min(checks) if checks else None)


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
    history: list[PastNudge],
    cal: WorkCalendar,
    settings: NudgeSettings,
    now: datetime,
    resumed_at: datetime | None = None,
) -> Plan:
    """An open deal with no meeting since ``last_activity`` and nothing booked ahead."""
    if booked_ahead is not None and booked_ahead > now:
        return Plan((), booked_ahead)  # look again once that step has passed
    moment = _floor(last_activity + settings.stalled_after, cal, resumed_at)
    key = f"stalled:{_epoch(last_activity)}"
    return _one_shot(NudgeKind.STALLED, key, moment, history, cal, now)


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


# The order a DM lists its nudges in: what is most urgent first.
PRIORITY = {NudgeKind.OVERDUE: 0, NudgeKind.UNSCHEDULED: 1, NudgeKind.STALLED: 2, NudgeKind.PREP: 3}


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
