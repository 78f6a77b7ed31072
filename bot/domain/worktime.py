"""Working time in a rep's own timezone: hours, days, holidays, DST-correct.

Every function takes and returns aware UTC instants; local wall-clock times exist only
inside. Local times are built with ``zoneinfo`` and normalised through UTC, so a
moment that does not exist locally (the spring-forward gap) moves to the first one that
does, and an ambiguous one (the fall-back fold) takes its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A calendar never has more than this many non-working days in a row (a guard, not a rule):
# past it the settings are broken (no working day at all) and the search stops.
MAX_SEARCH_DAYS = 400


class NoWorkingTime(ValueError):
    """The calendar has no working moment at all (no working days, or start == end)."""


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def at_local(self, day: date, clock: time) -> datetime:
        """The UTC instant of a local wall-clock time on ``day``.

        PEP 495's fold=0 does the right thing at both DST edges: a time in the
        spring-forward gap maps past it (02:30 → 03:30 in Europe/Berlin), an ambiguous
        time in the fall-back fold to its first occurrence.
        """
        return datetime.combine(day, clock).replace(tzinfo=self.tz, fold=0).astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def day_start(self, day: date) -> datetime:
        return self.at_local(day, self.start)

    def day_end(self, day: date) -> datetime:
        return self.at_local(day, self.end)

    def is_working(self, at: datetime) -> bool:
        day = self.local(at).date()
        return self.is_working_day(day) and self.day_start(day) <= at < self.day_end(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, MAX_SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise NoWorkingTime("no working day in the calendar")

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        for offset in range(1, MAX_SEARCH_DAYS):
            candidate = day - timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise NoWorkingTime("no working day in the calendar")

    def next_working_moment(self, at: datetime) -> datetime:
        """``at`` itself when it falls in working hours, else the start of the next working period."""
        if self.start >= self.end:
            raise NoWorkingTime("working hours end before they start")
        day = self.local(at).date()
        if self.is_working_day(day):
            if at < self.day_start(day):
                return self.day_start(day)
            if at < self.day_end(day):
                return at
        return self.day_start(self.next_working_day(day))

    def add_working_days(self, at: datetime, days: int) -> datetime:
        """The same local time ``days`` working days later, then the next working moment from there."""
        moment = self.next_working_moment(at)
        local = self.local(moment)
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self.next_working_moment(self.at_local(day, local.time().replace(tzinfo=None)))

    def start_of_next_week(self, at: datetime) -> datetime:
        """The start of the first working day of the next calendar week (Monday-based)."""
        local_day = self.local(at).date()
        monday = local_day + timedelta(days=7 - local_day.weekday())
        day = monday if self.is_working_day(monday) else self.next_working_day(monday)
        return self.day_start(day)

    def local_date(self, at: datetime) -> date:
        return self.local(at).date()


_WEEKDAY_DIGITS = frozenset("0123456")


def parse_days(text: str) -> frozenset[int]:
    """Working days as stored ("0,1,2,3,4"); unknown entries are ignored."""
    return frozenset(int(part) for part in (p.strip() for p in text.split(",")) if part in _WEEKDAY_DIGITS)
