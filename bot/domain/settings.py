"""A workspace's settings as admins see and set them: one dataclass for what the settings modal
shows and what its Save submits, so a new setting is a field here, a block and a column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from bot.domain.forecast import DEFAULT_STALE_DAYS

NEW_TEAM = "new"  # the key of the modal's "Add a team" blocks


@dataclass(frozen=True)
class TeamSettings:
    """A sales team: its manager (who gets the digest), reps and leaderboard channel."""

    key: str  # the SalesTeam id, or NEW_TEAM
    name: str | None  # None in a submission: an existing team is removed, a new one not added
    manager: str | None
    reps: list[str]
    channel: str | None


@dataclass(frozen=True)
class Settings:
    timezone: str
    channel: str | None
    weekday: int  # Monday = 0
    post_time: time
    min_meetings: int
    work_start: time
    work_end: time
    work_days: list[int]
    holidays: list[tuple[date, str]]
    first_nudge_hours: float
    nudge_every_days: int
    max_nudges: int
    overdue_hours: float
    stalled_days: int
    forecast_stale_days: int = DEFAULT_STALE_DAYS
    teams: list[TeamSettings] = field(default_factory=list)
