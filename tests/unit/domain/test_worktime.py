"""Working time in the rep's own zone, across DST changes, weekends, holidays and odd offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.worktime import NoWorkingTime, WorkCalendar, parse_days

LA, BERLIN, KOLKATA, KATHMANDU = (
    ZoneInfo(z) for z in ("America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu")
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_start_of_day_follows_dst_in_berlin():
    cal = WorkCalendar(BERLIN)
    # Friday 27 March 2026 is CET (UTC+1); Monday 30 March is CEST (UTC+2).
    assert cal.day_start(date(2026, 3, 27)) == utc(2026, 3, 27, 8)
    assert cal.day_start(date(2026, 3, 30)) == utc(2026, 3, 30, 7)
    # Autumn: Friday 23 October CEST, Monday 26 October CET.
    assert cal.day_start(date(2026, 10, 23)) == utc(2026, 10, 23, 7)
    assert cal.day_start(date(2026, 10, 26)) == utc(2026, 10, 26, 8)


def test_friday_evening_moves_to_monday_morning_across_the_us_dst_change():
    cal = WorkCalendar(LA)
    # Friday 6 March 2026 19:00 PST; DST starts Sunday 8 March; Monday 09:00 PDT = 16:00 UTC.
    assert cal.next_working_moment(utc(2026, 3, 7, 3)) == utc(2026, 3, 9, 16)


def test_inside_working_hours_is_now_and_before_is_the_start():
    cal = WorkCalendar(KOLKATA)  # UTC+05:30, no DST
    assert cal.next_working_moment(utc(2026, 11, 24, 6)) == utc(2026, 11, 24, 6)  # 11:30 IST
    assert cal.next_working_moment(utc(2026, 11, 24, 1)) == utc(2026, 11, 24, 3, 30)  # 06:30 → 09:00 IST
    assert cal.next_working_moment(utc(2026, 11, 24, 13)) == utc(2026, 11, 25, 3, 30)  # 18:30 → next day


def test_quarter_hour_offsets():
    cal = WorkCalendar(KATHMANDU)  # UTC+05:45
    assert cal.day_start(date(2026, 11, 24)) == utc(2026, 11, 24, 3, 15)


def test_holidays_and_weekends_are_skipped():
    cal = WorkCalendar(BERLIN, holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
    # Wednesday 23 December 18:30 → Monday 28 December 09:00 (Thu, Fri holidays, then weekend).
    assert cal.next_working_moment(utc(2026, 12, 23, 17, 30)) == utc(2026, 12, 28, 8)
    assert cal.add_working_days(utc(2026, 12, 23, 10), 2) == utc(2026, 12, 29, 10)


def test_add_working_days_keeps_the_local_time_across_dst():
    cal = WorkCalendar(BERLIN)
    # Thursday 26 March 15:00 CET (14:00Z) + 2 working days = Monday 30 March 15:00 CEST (13:00Z).
    assert cal.add_working_days(utc(2026, 3, 26, 14), 2) == utc(2026, 3, 30, 13)


def test_a_working_day_start_in_the_dst_gap_moves_past_it():
    cal = WorkCalendar(BERLIN, start=time(2, 30), end=time(18, 0), days=frozenset(range(7)))
    assert cal.day_start(date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST


def test_next_week_starts_on_monday_or_the_first_working_day_after():
    cal = WorkCalendar(LA, holidays=frozenset({date(2026, 11, 30)}))
    assert cal.start_of_next_week(utc(2026, 11, 25, 20)) == utc(2026, 12, 1, 17)  # Tuesday 09:00 PST


def test_a_calendar_without_working_days_says_so():
    with pytest.raises(NoWorkingTime):
        WorkCalendar(BERLIN, days=frozenset()).next_working_moment(utc(2026, 1, 1))
    with pytest.raises(NoWorkingTime):
        WorkCalendar(BERLIN, start=time(18), end=time(9)).next_working_moment(utc(2026, 1, 1))


def test_parse_days():
    assert parse_days("0,1,2,3,4") == frozenset(range(5))
    assert parse_days("5, 6,x,9") == frozenset({5, 6})


ZONES = st.sampled_from([LA, BERLIN, KOLKATA, KATHMANDU, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")])
INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@given(ZONES, INSTANTS)
def test_the_next_working_moment_is_always_working_time_and_never_earlier(tz, at):
    cal = WorkCalendar(tz)
    moment = cal.next_working_moment(at)
    assert moment >= at
    assert cal.is_working(moment)
    assert moment - at < timedelta(days=4)


@given(ZONES, INSTANTS, st.integers(min_value=1, max_value=10))
def test_working_days_later_is_working_time_on_a_later_working_day(tz, at, n):
    cal = WorkCalendar(tz)
    later = cal.add_working_days(at, n)
    assert cal.is_working(later)
    days_between = (cal.local_date(later) - cal.local_date(cal.next_working_moment(at))).days
    assert days_between >= n
