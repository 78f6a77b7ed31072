"""The weekly leaderboard: who asked for and secured scheduled next steps, per team, per week.

PRODUCT.md's "Leaderboard" defines every number here. The reported week is the last full
Monday-to-Sunday in the workspace's timezone, and meetings count by when they were held.
Every query reads that week's rows (or the 8 weeks of the chart) through an index, each row
once; none reads the whole history. The streak is kept on the rep as meetings are logged.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, case, exists, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.domain.vocabulary import AskType, NextStepStatus, Reaction, RepStatus
from bot.domain.worktime import parse_days
from bot.services.reps import ensure_workspace, zone
from models import Meeting, NextStep, Rep, RepPause, SalesTeam, Workspace, one_of

# Follow-through: a booked step's 2-day grace, and how early a meeting on that deal may come
# and still count as the step having happened (moved forward a day by the prospect).
GRACE = timedelta(days=2)
EARLY = timedelta(days=1)
CHART_WEEKS = 8
SCHEDULED_ASKS = (AskType.SCHEDULED_MEETING.value, AskType.SPECIFIC_ACTION.value)
# A step counts for follow-through once it was booked for a time, whatever happened to it since.
FOLLOW_THROUGH_STATUSES = (
    NextStepStatus.BOOKED.value,
    NextStepStatus.DONE.value,
    NextStepStatus.MISSED.value,
    NextStepStatus.UNSCHEDULED.value,
)


# ---------------------------------------------------------------- weeks


@dataclass(frozen=True)
class Week:
    """A Monday-to-Sunday week in a timezone; its bounds are UTC instants (DST-correct)."""

    monday: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return _local_midnight(self.monday, self.tz)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.monday + timedelta(days=7), self.tz)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> Week:
        return Week(self.monday + timedelta(weeks=weeks), self.tz)

    @property
    def label(self) -> str:
        first, last = self.monday, self.sunday
        if first.year != last.year:
            return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
        if first.month != last.month:
            return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
        return f"{first.day}–{last.day} {last:%b %Y}"


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0)).replace(tzinfo=tz, fold=0).astimezone(UTC)


def week_containing(at: datetime, tz: ZoneInfo) -> Week:
    local = at.astimezone(tz).date()
    return Week(local - timedelta(days=local.weekday()), tz)


def reported_week(at: datetime, tz: ZoneInfo) -> Week:
    """The last full Monday-to-Sunday before ``at``, in ``tz``."""
    return week_containing(at, tz).shifted(-1)


def post_moment(workspace: Workspace, week: Week) -> datetime:
    """When the board of ``week`` is due: the set weekday and local time of the following week."""
    day = week.monday + timedelta(days=7 + workspace.leaderboard_weekday % 7)
    return datetime.combine(day, workspace.leaderboard_time).replace(tzinfo=week.tz, fold=0).astimezone(UTC)


def workspace_zone(workspace: Workspace) -> ZoneInfo:
    return zone(workspace.timezone)


# ---------------------------------------------------------------- teams


@dataclass(frozen=True)
class TeamScope:
    """One board: a sales team, or the workspace's default team (reps in no team)."""

    team_id: str
    sales_team_id: int | None
    name: str
    channel_id: str | None
    chosen_by: str | None  # the admin who chose that channel (None: nobody did; the admins are told)
    manager_user_id: str | None

    @property
    def key(self) -> str:
        return f"team:{self.sales_team_id}" if self.sales_team_id is not None else "default"


def team_scopes(session: Session, workspace: Workspace) -> list[TeamScope]:
    """Every team's board, and the default team's when some rep is in no team (or no team exists)."""
    teams = session.scalars(
        select(SalesTeam).where(SalesTeam.team_id == workspace.team_id).order_by(SalesTeam.name)
    ).all()
    scopes = [
        TeamScope(
            team_id=workspace.team_id,
            sales_team_id=t.id,
            name=t.name,
            channel_id=t.channel_id or workspace.leaderboard_channel_id,
            chosen_by=t.channel_chosen_by if t.channel_id else workspace.leaderboard_channel_chosen_by,
            manager_user_id=t.manager_user_id,
        )
        for t in teams
    ]
    unteamed = session.scalar(
        select(func.count(Rep.id)).where(
            Rep.team_id == workspace.team_id,
            Rep.sales_team_id.is_(None),
            Rep.status != RepStatus.LEFT,
            _has_logged,
        )
    )
    if unteamed or not teams:
        scopes.append(default_scope(workspace))
    return scopes


def default_scope(workspace: Workspace) -> TeamScope:
    return TeamScope(
        team_id=workspace.team_id,
        sales_team_id=None,
        name=workspace.name or "Everyone",
        channel_id=workspace.leaderboard_channel_id,
        chosen_by=workspace.leaderboard_channel_chosen_by,
        manager_user_id=None,
    )


def scope_of_user(session: Session, workspace: Workspace, user_id: str) -> TeamScope:
    """The asker's board: the team they are in, else the team they manage, else the default team."""
    rep = session.scalar(select(Rep).where(Rep.team_id == workspace.team_id, Rep.user_id == user_id))
    scopes = team_scopes(session, workspace)
    if rep is not None and rep.sales_team_id is not None:
        for scope in scopes:
            if scope.sales_team_id == rep.sales_team_id:
                return scope
    for scope in scopes:
        if scope.manager_user_id == user_id:
            return scope
    return default_scope(workspace)


# Correlated on team and rep, so it is one probe of ix_meetings_team_id_rep_id_held_at per rep;
# on rep_id alone PostgreSQL scanned the whole history (12.8 s with 1M meetings).
_has_logged = exists().where(Meeting.team_id == Rep.team_id, Meeting.rep_id == Rep.id)


def team_members(session: Session, scope: TeamScope) -> list[Rep]:
    """The team's reps who have not left, by name."""
    where = [Rep.team_id == scope.team_id, Rep.status != RepStatus.LEFT]
    if scope.sales_team_id is not None:
        where.append(Rep.sales_team_id == scope.sales_team_id)
    else:
        # Outside any team, a "rep" is someone who logs meetings: an admin who opened the settings
        # or a manager who opened App Home is not one.
        where += [Rep.sales_team_id.is_(None), _has_logged]
    return list(session.scalars(select(Rep).where(*where).order_by(Rep.display_name, Rep.id)))


def paused_during(
    session: Session, team_id: str, rep_ids: list[int], week: Week, work_days: frozenset[int]
) -> set[int]:
    """The reps a pause kept away on a working day of the reported week: left out of its board.

    From the pause history, so a pause set after the week (a holiday that starts on Monday)
    never takes a rep out of the week they worked, and neither does one set on the Sunday
    evening before it: only working days count.
    """
    if not rep_ids:
        return set()
    away: set[int] = set()
    for rep_id, first_day, last_day in session.execute(  # ix_rep_pauses_rep_id_last_day
        select(RepPause.rep_id, RepPause.first_day, RepPause.last_day).where(
            RepPause.team_id == team_id,
            _among(session, RepPause.rep_id, rep_ids),
            RepPause.last_day >= week.monday,
            RepPause.first_day <= week.sunday,
        )
    ):
        start, end = max(first_day, week.monday), min(last_day, week.sunday)
        if any((start + timedelta(days=n)).weekday() in work_days for n in range((end - start).days + 1)):
            away.add(rep_id)
    return away


# ---------------------------------------------------------------- the week's numbers


@dataclass(frozen=True)
class Counts:
    meetings: int = 0
    asked: int = 0  # graded ask was a scheduled meeting or a specific action with a date
    booked: int = 0  # ended "Agreed and booked"


def week_numbers(
    session: Session, team_id: str, rep_ids: Sequence[int], week: Week
) -> tuple[dict[int, Counts], dict[int, list[float]]]:
    """Per rep, the week's counts (meetings, scheduled asks, booked) and gaps, from one pass over its rows.

    The gap of a meeting is the days back to the previous meeting on the same deal (withdrawn ones
    hidden, as everywhere here). The week's rows come through ix_meetings_team_id_rep_id_held_at
    (team_id equal, rep_id among the team, held_at in the week's range), which carries the columns
    counted; each predecessor is one backward probe of ix_meetings_counted_deal_id_held_at
    (ORDER BY held_at DESC LIMIT 1). Each row is read once: without a visibility map (a table
    autovacuum has not reached yet) every row an index scan returns costs a heap visit, so the
    counts are not a second pass over the same rows.
    """
    if not rep_ids:
        return {}, {}
    prev = aliased(Meeting)
    previous = (
        select(prev.held_at)
        .where(prev.deal_id == Meeting.deal_id, prev.held_at < Meeting.held_at, prev.withdrawn_at.is_(None))
        .order_by(prev.held_at.desc())
        .limit(1)
        .correlate(Meeting)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Meeting.rep_id, Meeting.held_at, Meeting.graded_ask_type, Meeting.reaction, previous).where(
            Meeting.team_id == team_id,
            _among(session, Meeting.rep_id, rep_ids),
            Meeting.held_at >= week.start,
            Meeting.held_at < week.end,
            Meeting.withdrawn_at.is_(None),
        )
    ).all()
    meetings: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = defaultdict(int)
    booked: dict[int, int] = defaultdict(int)
    gaps: dict[int, list[float]] = defaultdict(list)
    for rep_id, held_at, graded, reaction, before in rows:
        meetings[rep_id] += 1
        asked[rep_id] += graded in SCHEDULED_ASKS
        booked[rep_id] += reaction == Reaction.BOOKED.value
        if before is not None:
            gaps[rep_id].append((held_at - before).total_seconds() / 86400)
    counts = {rep_id: Counts(n, asked[rep_id], booked[rep_id]) for rep_id, n in meetings.items()}
    return counts, gaps


def earlier_weeks(
    session: Session, team_id: str, rep_ids: Sequence[int], week: Week, weeks: int
) -> tuple[list[tuple[int, int]], dict[int, Counts]]:
    """The ``weeks`` weeks before ``week``: (meetings, booked) per week, oldest first, and last week's counts per rep.

    One grouped query over their range, served by ix_meetings_team_id_rep_id_held_at: each row
    is put in its week by a CASE over the weeks' local-midnight bounds (DST-correct), and only
    last week's rows are grouped per rep too (the ranking it had, for the movement).
    """
    bounds = [week.shifted(-n) for n in range(weeks, 0, -1)]
    totals = [(0, 0)] * weeks
    last: dict[int, Counts] = {}
    if not rep_ids or not weeks:
        return totals, last
    bucket = case(*[(Meeting.held_at < w.end, i) for i, w in enumerate(bounds)], else_=weeks)
    last_week_rep = case((Meeting.held_at >= bounds[-1].start, Meeting.rep_id), else_=None)
    rows = session.execute(
        select(
            bucket,
            last_week_rep,
            func.count(),  # not Meeting.id: the index has no id, and the scan can stay index-only
            func.sum(case((one_of(Meeting.graded_ask_type, SCHEDULED_ASKS), 1), else_=0)),
            func.sum(case((Meeting.reaction == Reaction.BOOKED.value, 1), else_=0)),
        )
        .where(
            Meeting.team_id == team_id,
            _among(session, Meeting.rep_id, rep_ids),
            Meeting.held_at >= bounds[0].start,
            Meeting.held_at < week.start,
            Meeting.withdrawn_at.is_(None),
        )
        .group_by(bucket, last_week_rep)
    ).all()
    for b, rep_id, n, asked, booked in rows:
        i = int(b)
        meetings_then, booked_then = totals[i]
        totals[i] = (meetings_then + int(n), booked_then + int(booked or 0))
        if rep_id is not None:
            last[int(rep_id)] = Counts(int(n), int(asked or 0), int(booked or 0))
    return totals, last


def _among(session: Session, column: InstrumentedAttribute[int], ids: Iterable[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: on PostgreSQL one array parameter (``= ANY``), not a thousand.

    A team's ids are a thousand bound parameters as an IN list: rendering and sending them cost
    more than the query. SQLite has no arrays and keeps the IN list.
    """
    values = sorted(set(ids))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(Integer)))
    return column.in_(values)


@dataclass(frozen=True)
class FollowThrough:
    due: int = 0  # booked steps scheduled in the window
    kept: int = 0  # of those, with a meeting logged on the deal by 2 days after the step's time


def follow_through_window(as_of: datetime) -> tuple[datetime, datetime]:
    """The 7 days that end 2 days before the post: each step in it has had its 2-day grace."""
    end = as_of - GRACE
    return end - timedelta(days=7), end


def follow_through(
    session: Session, team_id: str, rep_ids: Sequence[int], as_of: datetime
) -> dict[int, FollowThrough]:
    """Per rep: booked next steps scheduled in the window, and how many were followed by a meeting.

    The window's steps come through ix_next_steps_team_id_status_scheduled_at (one range per
    status); the meetings that could follow them, held on those deals between the window's
    start (less a day) and its end plus the grace, through ix_meetings_deal_id_held_at.
    The two-day check itself is plain Python: datetime arithmetic in SQL differs per database.
    """
    if not rep_ids:
        return {}
    start, end = follow_through_window(as_of)
    steps = session.execute(
        select(NextStep.rep_id, NextStep.deal_id, NextStep.meeting_id, NextStep.scheduled_at).where(
            NextStep.team_id == team_id,
            one_of(NextStep.status, FOLLOW_THROUGH_STATUSES),
            NextStep.scheduled_at >= start,
            NextStep.scheduled_at < end,
            NextStep.booked_at.is_not(None),
            _among(session, NextStep.rep_id, rep_ids),
        )
    ).all()
    if not steps:
        return {}
    held: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for meeting_id, deal_id, held_at in session.execute(
        select(Meeting.id, Meeting.deal_id, Meeting.held_at).where(
            _among(session, Meeting.deal_id, {deal_id for _, deal_id, _, _ in steps}),
            Meeting.held_at >= start - EARLY,
            Meeting.held_at <= end + GRACE,
            Meeting.withdrawn_at.is_(None),
        )
    ):
        held[deal_id].append((meeting_id, held_at))
    due: dict[int, int] = defaultdict(int)
    kept: dict[int, int] = defaultdict(int)
    for rep_id, deal_id, source_meeting, scheduled_at in steps:
        assert scheduled_at is not None  # the window's range excludes steps without a time
        due[rep_id] += 1
        # The meeting that produced the step is not its follow-through.
        if any(
            meeting_id != source_meeting and scheduled_at - EARLY <= held_at <= scheduled_at + GRACE
            for meeting_id, held_at in held[deal_id]
        ):
            kept[rep_id] += 1
    return {rep_id: FollowThrough(n, kept[rep_id]) for rep_id, n in due.items()}


# ---------------------------------------------------------------- the board


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a fraction; None when there is nothing to count (no meetings, no steps due)."""
    return part / whole if whole else None


class Rates:
    """The board's three rates, for a rep's line and the team's totals alike, from their counts.

    The dataclasses built on it declare these counts as their own fields (a dataclass takes only its own).
    """

    meetings: int
    asked: int
    booked: int
    follow: FollowThrough

    @property
    def ask_rate(self) -> float | None:
        return share(self.asked, self.meetings)

    @property
    def booked_rate(self) -> float | None:
        return share(self.booked, self.meetings)

    @property
    def follow_through(self) -> float | None:
        return share(self.follow.kept, self.follow.due)


@dataclass
class RepLine(Rates):
    rep_id: int
    name: str
    meetings: int
    asked: int
    booked: int
    follow: FollowThrough
    gaps: list[float]
    streak: int
    opted_out: bool
    rank: int | None = None
    movement: int | None = None  # places up (+) or down (-) since last week; None: not ranked then

    @property
    def median_gap_days(self) -> float | None:
        return statistics.median(self.gaps) if self.gaps else None


@dataclass(frozen=True)
class Totals(Rates):
    reps: int
    meetings: int
    asked: int
    booked: int
    follow: FollowThrough
    median_gap_days: float | None


@dataclass(frozen=True)
class ChartWeek:
    monday: date
    meetings: int
    booked: int

    @property
    def booked_rate(self) -> float | None:
        return share(self.booked, self.meetings)


@dataclass
class Board:
    scope: TeamScope
    week: Week
    minimum: int
    ranked: list[RepLine]
    unranked: list[RepLine]  # under the minimum, with at least one meeting
    quiet: list[RepLine]  # no meetings this week
    opted_out: int
    paused: int
    totals: Totals
    coaching: str
    in_progress: bool = False  # "this week": the week is not over yet
    history: list[ChartWeek] = field(default_factory=list)


def rank_lines(lines: list[RepLine], minimum: int) -> tuple[list[RepLine], list[RepLine], list[RepLine]]:
    """Ranked by booked rate, ties by meetings held; equal on both share a place (1, 2, 2, 4).

    Reps under the minimum are listed unranked; reps with no meetings are counted apart.
    """
    eligible = [line for line in lines if line.meetings >= max(minimum, 1)]
    eligible.sort(key=lambda r: (-(r.booked_rate or 0.0), -r.meetings, r.name.lower(), r.rep_id))
    previous_key: tuple[float, int] | None = None
    for place, line in enumerate(eligible, start=1):
        key = (line.booked_rate or 0.0, line.meetings)  # eligible lines have meetings: never None
        if key != previous_key:
            line.rank = place
            previous_key = key
        else:
            line.rank = eligible[place - 2].rank
    under = sorted(
        (line for line in lines if 0 < line.meetings < max(minimum, 1)),
        key=lambda r: (-r.meetings, r.name.lower()),
    )
    quiet = sorted((line for line in lines if line.meetings == 0), key=lambda r: r.name.lower())
    return eligible, under, quiet


def compute_board(
    session: Session,
    workspace: Workspace,
    scope: TeamScope,
    week: Week,
    *,
    as_of: datetime,
    in_progress: bool = False,
    with_history: bool = False,
) -> Board:
    """The board of ``week`` for ``scope``; ``as_of`` is the post's moment (follow-through's window)."""
    members = team_members(session, scope)
    away = paused_during(
        session, scope.team_id, [rep.id for rep in members], week, parse_days(workspace.work_days)
    )
    paused = [rep for rep in members if rep.id in away]
    reps = [rep for rep in members if rep.id not in away]
    ids = [rep.id for rep in reps]
    counts, gaps = week_numbers(session, scope.team_id, ids, week)
    # Last week (the movement) and, for the chart, the 6 before it: one pass over their rows.
    earlier, last_week = earlier_weeks(
        session, scope.team_id, ids, week, CHART_WEEKS - 1 if with_history else 1
    )
    follow = follow_through(session, scope.team_id, ids, as_of)
    lines = [
        RepLine(
            rep_id=rep.id,
            name=rep.display_name or rep.user_id,
            meetings=counts.get(rep.id, Counts()).meetings,
            asked=counts.get(rep.id, Counts()).asked,
            booked=counts.get(rep.id, Counts()).booked,
            follow=follow.get(rep.id, FollowThrough()),
            gaps=gaps.get(rep.id, []),
            streak=rep.streak,
            opted_out=rep.leaderboard_opt_out,
        )
        for rep in reps
    ]
    named = [line for line in lines if not line.opted_out]
    minimum = workspace.min_meetings_to_rank
    ranked, under, quiet = rank_lines(named, minimum)
    _add_movement(reps, last_week, ranked, minimum)
    all_gaps = [g for line in lines for g in line.gaps]
    totals = Totals(
        reps=len(lines),
        meetings=sum(line.meetings for line in lines),
        asked=sum(line.asked for line in lines),
        booked=sum(line.booked for line in lines),
        follow=FollowThrough(sum(line.follow.due for line in lines), sum(line.follow.kept for line in lines)),
        median_gap_days=statistics.median(all_gaps) if all_gaps else None,
    )
    board = Board(
        scope=scope,
        week=week,
        minimum=minimum,
        ranked=ranked,
        unranked=under,
        quiet=quiet,
        opted_out=sum(1 for line in lines if line.opted_out),
        paused=len(paused),
        totals=totals,
        coaching=coaching_line(totals),
        in_progress=in_progress,
    )
    if with_history:
        # 8 weeks ending with this one, whose counts are the week's totals.
        board.history = [
            ChartWeek(week.shifted(n - len(earlier)).monday, n_meetings, n_booked)
            for n, (n_meetings, n_booked) in enumerate(earlier)
        ] + [ChartWeek(week.monday, totals.meetings, totals.booked)]
    return board


def _add_movement(reps: list[Rep], counts: dict[int, Counts], ranked: list[RepLine], minimum: int) -> None:
    """Places gained or lost against last week's ranking (same team, same rules, counts only)."""
    named = [rep for rep in reps if not rep.leaderboard_opt_out]
    before = [
        RepLine(
            rep_id=rep.id,
            name=rep.display_name or rep.user_id,
            meetings=counts.get(rep.id, Counts()).meetings,
            asked=counts.get(rep.id, Counts()).asked,
            booked=counts.get(rep.id, Counts()).booked,
            follow=FollowThrough(),
            gaps=[],
            streak=0,
            opted_out=False,
        )
        for rep in named
    ]
    previous, _, _ = rank_lines(before, minimum)
    places = {line.rep_id: line.rank for line in previous}
    for line in ranked:
        was = places.get(line.rep_id)
        line.movement = was - line.rank if was is not None and line.rank is not None else None


# ---------------------------------------------------------------- coaching


def coaching_line(totals: Totals) -> str:
    """One line for the team, grounded in the article, aimed at its weakest habit this week."""
    if totals.meetings == 0:
        return (
            "No meetings logged this week. Log each one with `/meeting`: the prospect's reaction "
            "to your ask is the signal that tells you where the deal stands."
        )
    ask, booked = totals.ask_rate or 0.0, totals.booked_rate or 0.0
    follow = totals.follow_through
    if ask < 0.6:
        return (
            "Sales come from getting people to say yes to \u201cCan we schedule the next step?\u201d "
            "Ask it at the end of every meeting, with a date."
        )
    if booked < 0.5:
        return (
            "Asking is half of it: get the date on their calendar before you leave. Without a scheduled "
            "next step you play phone tag, and the cycle gets longer."
        )
    if follow is not None and follow < 0.7:
        return (
            "A booked step only counts when it happens: prepare who attends, what you'll discuss and how "
            "you'll be evaluated, so the next meeting is worth their time."
        )
    if totals.median_gap_days is not None and totals.median_gap_days > 10:
        return (
            "The less distance between meetings, the shorter the sales cycle and the more they remember "
            "you. Ask for a sooner next step."
        )
    return (
        "To change your results, change the next steps you ask for. Keep asking for the scheduled one, "
        "and replace a prospect who declines before you lose them."
    )


# ---------------------------------------------------------------- `/nextsteps leaderboard`: one request


def board_for(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, this_week: bool, now: datetime
) -> Board:
    """The asker's team's board: this week so far, or the last reported week as it was posted."""
    with session_factory() as session:
        workspace = ensure_workspace(session, team_id, now)
        session.commit()
        tz = workspace_zone(workspace)
        scope = scope_of_user(session, workspace, user_id)
        if this_week:
            return compute_board(
                session, workspace, scope, week_containing(now, tz), as_of=now, in_progress=True
            )
        week = reported_week(now, tz)
        return compute_board(session, workspace, scope, week, as_of=min(now, post_moment(workspace, week)))
