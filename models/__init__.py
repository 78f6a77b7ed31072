"""The store: typed models, the engine and session factory, and the queries that matter for speed."""

from models import home_keys, slack_tables  # noqa: F401  (the Home keys' write listener; slack_sdk's tables)
from models.base import Base, UTCDateTime
from models.db import make_engine, make_session_factory
from models.entities import (
    Account,
    ClockSweep,
    ClockWatch,
    Deal,
    DealForecast,
    DealHomeKey,
    ForecastFit,
    ForecastOverride,
    Holiday,
    LeaderboardPost,
    Meeting,
    MeetingVersion,
    NextStep,
    Nudge,
    ProcessedEvent,
    Rep,
    RepPause,
    Reschedule,
    SalesTeam,
    Workspace,
)
from models.sql import among, one_of

__all__ = [
    "Account",
    "Base",
    "ClockSweep",
    "ClockWatch",
    "Deal",
    "DealForecast",
    "DealHomeKey",
    "ForecastFit",
    "ForecastOverride",
    "Holiday",
    "LeaderboardPost",
    "Meeting",
    "MeetingVersion",
    "NextStep",
    "Nudge",
    "ProcessedEvent",
    "Rep",
    "RepPause",
    "Reschedule",
    "SalesTeam",
    "UTCDateTime",
    "Workspace",
    "make_engine",
    "make_session_factory",
    "among",
    "one_of",
]
