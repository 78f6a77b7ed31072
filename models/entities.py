"""The whole domain of PRODUCT.md as typed SQLAlchemy models.

Every row carries the Slack workspace's ``team_id``; nothing crosses workspaces.
The product's sales *Team* is ``SalesTeam`` here, so that ``team_id`` keeps the one
meaning Slack gives it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain.vocabulary import DealStatus, NextStepStatus, RepStatus
from models.base import Base, UTCDateTime

TEAM_ID = String(32)
USER_ID = String(32)
CHANNEL_ID = String(32)


class Workspace(Base):
    """A Slack workspace that installed the app, and its settings."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(TEAM_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Whoever installed the app through OAuth (an admin there). Single-workspace mode has no
    # installer: nobody becomes an admin by being the first to use the app.
    installer_user_id: Mapped[str | None] = mapped_column(USER_ID)
    # Whose Slack timezone the workspace took (the first admin to use the app), or the admin who
    # last saved the settings. None until then: the next admin's timezone becomes the default.
    timezone_chosen_by: Mapped[str | None] = mapped_column(USER_ID)
    leaderboard_channel_id: Mapped[str | None] = mapped_column(CHANNEL_ID)
    # The admin who chose that channel: told when the bot cannot post there.
    leaderboard_channel_chosen_by: Mapped[str | None] = mapped_column(USER_ID)
    leaderboard_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday = 0
    leaderboard_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    min_meetings_to_rank: Mapped[int] = mapped_column(Integer, default=3)
    work_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, default=time(18, 0))
    work_days: Mapped[str] = mapped_column(String(16), default="0,1,2,3,4")  # ISO weekday - 1
    unscheduled_first_after_minutes: Mapped[int] = mapped_column(Integer, default=120)
    unscheduled_every_working_days: Mapped[int] = mapped_column(Integer, default=2)
    unscheduled_max_nudges: Mapped[int] = mapped_column(Integer, default=3)
    overdue_after_minutes: Mapped[int] = mapped_column(Integer, default=120)
    stalled_after_days: Mapped[int] = mapped_column(Integer, default=14)
    # The forecast learns a deal with no meeting and nothing booked for this many days as lost.
    forecast_stale_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tokens_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by app_uninstalled; the data is purged 30 days later unless the app is reinstalled.
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the admins got the welcome DM (claimed before it is sent, so it goes once).
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    holidays: Mapped[list[Holiday]] = relationship(back_populates="workspace", cascade="all, delete-orphan")


class Holiday(Base):
    __tablename__ = "holidays"

    team_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")

    workspace: Mapped[Workspace] = relationship(back_populates="holidays")


class SalesTeam(Base):
    """A manager, their reps, and the channel the team's leaderboard goes to."""

    __tablename__ = "sales_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    manager_user_id: Mapped[str | None] = mapped_column(USER_ID)
    channel_id: Mapped[str | None] = mapped_column(CHANNEL_ID)  # None: the workspace's leaderboard channel
    channel_chosen_by: Mapped[str | None] = mapped_column(USER_ID)  # the admin told of posting faults
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("team_id", "name"),)


class Rep(Base):
    """A Slack user who logs meetings."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(USER_ID)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    timezone_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sales_team_id: Mapped[int | None] = mapped_column(ForeignKey("sales_teams.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=RepStatus.ACTIVE)
    paused_until: Mapped[date | None] = mapped_column(Date)  # last paused day, in the rep's zone
    # When a pause ended: nudges that fell due meanwhile start over from here, not all at once.
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Slack's is_admin or is_owner at the last users.info: the admins the app knows of, told when
    # a leaderboard can't be posted and nobody chose its channel.
    slack_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Consecutive meetings that ended booked, kept as meetings are logged (never recomputed from history).
    streak: Mapped[int] = mapped_column(Integer, default=0)
    # When they last opened their App Home (or clicked in it): a write rebuilds it only when recent.
    home_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)


class RepPause(Base):
    """One pause of a rep's nudges, first to last paused day in their zone: the leaderboard
    leaves a rep out of the weeks a pause reached into, whenever the board is read."""

    __tablename__ = "rep_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "rep_id", "last_day"),)


class Account(Base):
    """A company, shared by the workspace."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    # Case- and space-folded name: "ACME  corp" and "Acme Corp" are one account.
    name_key: Mapped[str] = mapped_column(String(255))
    territory: Mapped[str | None] = mapped_column(String(100))
    created_by_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # Serves the typeahead (prefix match on name_key) and the uniqueness of names.
        UniqueConstraint("team_id", "name_key"),
        Index(None, "team_id", "territory"),
    )


class Deal(Base):
    """One opportunity on an account, owned by a rep."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    owner_rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    stage: Mapped[str | None] = mapped_column(String(64))
    expected_close: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=DealStatus.OPEN)
    lost_reason: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A deal added to replace one that stalled or was lost points at it.
    replaces_deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    at_risk_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Earliest moment the deal could count as stalled; the sweep looks only at deals past it.
    stall_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bumped in the transaction of every write to what the Home's stored key of the deal reads
    # (models.home_keys): a stored key of an older generation is stale.
    signals_gen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    account: Mapped[Account] = relationship()
    owner: Mapped[Rep] = relationship()

    __table_args__ = (
        Index(None, "team_id", "account_id", "status"),
        Index(None, "team_id", "owner_rep_id", "status"),
        # The sweep's stalled-deal candidates: cost follows the deals due, not all deals.
        Index(None, "stall_check_at"),
    )


class Meeting(Base):
    """A meeting held on a deal: the ask the rep made and the prospect's reaction."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str | None] = mapped_column(String(16))
    ask_text: Mapped[str] = mapped_column(Text, default="")
    ask_type: Mapped[str] = mapped_column(String(32))  # as the rep chose it
    graded_ask_type: Mapped[str] = mapped_column(String(32))  # the lower of the choice and the words
    grade_reason: Mapped[str | None] = mapped_column(Text)
    # Which grader graded it (bot.domain.grading.GRADER_VERSION); `nextstep regrade` brings older ones up.
    grader_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reaction: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    logged_via: Mapped[str] = mapped_column(String(32), default="modal")
    # The Slack view that produced it: a second submission of the same view stores nothing.
    source_view_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deal: Mapped[Deal] = relationship()
    rep: Mapped[Rep] = relationship()
    next_step: Mapped[NextStep | None] = relationship(
        back_populates="meeting", uselist=False, foreign_keys="NextStep.meeting_id"
    )

    __table_args__ = (
        UniqueConstraint("team_id", "source_view_id"),
        # The weekly metrics: a rep's meetings in a week, by when they were held. On PostgreSQL it
        # carries the columns the board counts, so the week, last week and the 8-week chart are
        # index-only scans: their cost follows the rows of those weeks, not the heap around them.
        Index(
            None,
            "team_id",
            "rep_id",
            "held_at",
            postgresql_include=["reaction", "graded_ask_type", "deal_id", "withdrawn_at"],
        ),
        # A deal's history and "days since the last meeting".
        Index(None, "deal_id", "held_at"),
        # The App Home: each open deal's meetings that count and its last five, index only.
        Index(
            "ix_meetings_counted_deal_id_held_at",
            "deal_id",
            "held_at",
            "id",
            postgresql_include=["logged_at", "reaction", "graded_ask_type"],
            postgresql_where=text("withdrawn_at IS NULL"),
            sqlite_where=text("withdrawn_at IS NULL"),
        ),
    )


class MeetingVersion(Base):
    """A meeting as it was before an edit: edits keep the previous version."""

    __tablename__ = "meeting_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_by_user_id: Mapped[str | None] = mapped_column(USER_ID)

    __table_args__ = (UniqueConstraint("meeting_id", "version"),)


class NextStep(Base):
    """The follow-up a meeting produced, booked for a time or not yet scheduled."""

    __tablename__ = "next_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=NextStepStatus.UNSCHEDULED)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prep_attendees: Mapped[str | None] = mapped_column(Text)
    prep_agenda: Mapped[str | None] = mapped_column(Text)
    prep_materials: Mapped[str | None] = mapped_column(Text)
    prep_evaluation: Mapped[str | None] = mapped_column(Text)
    prep_step_after: Mapped[str | None] = mapped_column(Text)
    # Earliest moment a nudge about this step could be due (a lower bound, recomputed by the
    # sweep); None when no nudge can come. The sweep's candidates are the rows past it.
    nudge_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The later meeting that counted as this step happening (status done): withdrawing that
    # meeting reopens the step as it was.
    done_by_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting | None] = relationship(back_populates="next_step", foreign_keys=[meeting_id])
    reschedules: Mapped[list[Reschedule]] = relationship(order_by="Reschedule.changed_at")

    __table_args__ = (
        # The clock's sweep: open next steps by status and time (booked → overdue/prep, unscheduled → nudge).
        Index(None, "status", "scheduled_at"),
        Index(None, "team_id", "status", "scheduled_at"),
        Index(None, "deal_id", "status"),
        Index(None, "nudge_check_at"),
        Index(None, "done_by_meeting_id"),
    )


class Reschedule(Base):
    """One move of a booked next step: from, to, and when it was moved."""

    __tablename__ = "reschedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    next_step_id: Mapped[int] = mapped_column(ForeignKey("next_steps.id", ondelete="CASCADE"), index=True)
    from_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    to_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Nudge(Base):
    """One reminder of one kind about one next step or deal, claimed before it is sent."""

    __tablename__ = "nudges"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    next_step_id: Mapped[int | None] = mapped_column(ForeignKey("next_steps.id", ondelete="CASCADE"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    # "step:<id>" or "deal:<id>" and the window (e.g. the nudge's ordinal) make the claim unique.
    subject_key: Mapped[str] = mapped_column(String(64))
    window_key: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was not (or will not be) delivered: "token_revoked", "rep_left", "paused", …
    last_error: Mapped[str | None] = mapped_column(String(255))
    channel_id: Mapped[str | None] = mapped_column(CHANNEL_ID)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("team_id", "kind", "subject_key", "window_key"),
        # Claimed-but-unsent nudges (a clock killed mid-send, a retry after a fault).
        Index(None, "sent_at", "gave_up_at", "next_attempt_at"),
        # The messages a click updates in place.
        Index(None, "team_id", "channel_id", "message_ts"),
        # A logged meeting answers its deal's open nudges.
        Index(None, "deal_id"),
        # The sweep reads each due subject's past nudges (the unique key puts kind first).
        Index(None, "team_id", "subject_key"),
        Index(None, "team_id", "rep_id", "sent_at"),
    )


class LeaderboardPost(Base):
    """What was posted where for which team and week, so a week is posted once."""

    __tablename__ = "leaderboard_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "leaderboard" or "digest"
    scope_key: Mapped[str] = mapped_column(String(64))  # the sales team, or the manager for a digest
    week_start: Mapped[date] = mapped_column(Date)
    channel_id: Mapped[str | None] = mapped_column(CHANNEL_ID)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (UniqueConstraint("team_id", "kind", "scope_key", "week_start"),)


class ProcessedEvent(Base):
    """Events API deliveries already handled: Slack retries them, the app acts once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ClockSweep(Base):
    """One finished sweep of the clock: /healthz reports the age of the last one."""

    __tablename__ = "clock_sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class ClockWatch(Base):
    """Whether the admins were last told the clock stopped or runs: one row, claimed by an UPDATE.

    Every web process watches the clock; the one whose UPDATE flips ``state`` sends the DMs,
    so the admins hear once per change however many workers and dynos there are.
    """

    __tablename__ = "clock_watch"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default="ok")  # ok | stale
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ForecastFit(Base):
    """The forecast's fit for a workspace on a local day: claimed by inserting the row (unique per
    day, so two clocks fit once), then filled with the learned groups (``params``)."""

    __tablename__ = "forecast_fits"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    local_day: Mapped[date] = mapped_column(Date)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended: Mapped[int] = mapped_column(Integer, default=0)
    won: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # bot.domain.forecast.Fit.to_json()
    # The look back on time spent (won and lost deals' meetings and days): App Home reads it alone.
    time_spent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Bumped by every write to the row (models.home_keys): a refit of the same day is a new fit.
    signals_gen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (UniqueConstraint("team_id", "local_day"), Index(None, "team_id", "fitted_at"))


class DealForecast(Base):
    """An open deal's probability as people saw it in a week (the latest fit that week)."""

    __tablename__ = "deal_forecasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)  # the Monday, UTC
    probability: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("deal_id", "week_start"), Index(None, "team_id", "week_start"))


class ForecastOverride(Base):
    """A manager's probability for a deal, set by hand with a reason, beside the learned figure at
    that moment. Every change is a new row (the history); one with no probability goes back to the
    learned figure."""

    __tablename__ = "forecast_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"), index=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    probability: Mapped[float | None] = mapped_column(Float)
    learned: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    set_by_user_id: Mapped[str] = mapped_column(USER_ID)
    set_by_name: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "deal_id", "set_at"),)


class DealHomeKey(Base):
    """What the App Home sorts and totals by for one open deal, stored so a Home page scores only
    its own deals (bot.services.home_keys). Valid while the deal's ``signals_gen``, the latest fit
    and the stall threshold are those it was computed with, and until ``valid_until``."""

    __tablename__ = "deal_home_keys"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    gen: Mapped[int] = mapped_column(Integer)  # the deal's signals_gen read before its facts
    fit_id: Mapped[int] = mapped_column(Integer)  # the latest fit's id, 0 before the first
    fit_gen: Mapped[int] = mapped_column(Integer)  # and its signals_gen
    stalled_days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: time alone changes nothing
    bucket: Mapped[int] = mapped_column(Integer)  # urgency: overdue 0 … booked 4
    anchor: Mapped[datetime] = mapped_column(UTCDateTime)  # urgency within the bucket, oldest first
    state: Mapped[str] = mapped_column(String(16))  # bot.domain.pipeline.StepState
    step_id: Mapped[int | None] = mapped_column(Integer)  # the open step (its escalation is checked live)
    time_sink: Mapped[bool] = mapped_column(Boolean)
    replace_now: Mapped[bool] = mapped_column(Boolean)
    escalated: Mapped[bool] = mapped_column(Boolean)
    probability: Mapped[float] = mapped_column(Float)  # the chance the totals count (override if set)
    fallback: Mapped[bool] = mapped_column(Boolean)
    override: Mapped[bool] = mapped_column(Boolean)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    expected_micros: Mapped[int | None] = mapped_column(BigInteger)  # amount x round(probability, 4)
