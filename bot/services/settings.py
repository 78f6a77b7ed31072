"""Workspace settings and teams, as admins set them in the `/nextsteps settings` modal.

The form is read into plain values, validated (errors by block_id, next to the field),
then applied in one transaction. Nothing here imports Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.errors import FieldErrors, NotAllowed
from bot.domain.forecast import STALE_DAYS_RANGE
from bot.domain.settings import NEW_TEAM, Settings, TeamSettings
from bot.domain.worktime import parse_days
from bot.services.permissions import Admins
from bot.services.reps import SlackProfile, apply_profile, ensure_rep, ensure_workspace
from bot.slack import ids
from bot.slack.blocks.settings_modal import TEAM_REPS_SHOWN, holidays_text
from bot.slack.view_state import ViewState
from models import Holiday, Rep, SalesTeam, Workspace

MAX_HOLIDAYS = 100
MAX_HOLIDAYS_TEXT = 3000  # Slack's limit on a text input's initial value

WEEKDAY_VALUES = frozenset("0123456")  # option values of the weekday and working-day pickers


def _entry(state: ViewState, action_id: str) -> dict[str, Any]:
    found = state.values.get(action_id)
    return found[1] if found else {}


def _time(state: ViewState, action_id: str, errors: dict[str, str], default: time) -> time:
    raw = _entry(state, action_id).get("selected_time")
    if not raw:
        errors[action_id] = "Choose a time."
        return default
    try:
        return time.fromisoformat(str(raw))
    except ValueError:
        errors[action_id] = "That time couldn't be read. Please choose it again."
        return default


def _number(
    state: ViewState, action_id: str, errors: dict[str, str], low: float, high: float, whole: bool = True
) -> float:
    value = _entry(state, action_id).get("value")
    raw = value.strip() if isinstance(value, str) else ""  # a client may send anything
    try:
        value = float(raw)
    except ValueError:
        errors[action_id] = f"Enter a number from {low:g} to {high:g}."
        return low
    if not low <= value <= high or (whole and value != int(value)):
        kind = "a whole number" if whole else "a number"
        errors[action_id] = f"Enter {kind} from {low:g} to {high:g}."
    return value


def parse_holidays(text: str | None) -> tuple[list[tuple[date, str]], str | None]:
    """One holiday a line, "YYYY-MM-DD" then an optional name; (holidays, the error for the first bad line)."""
    found: dict[date, str] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        day_text, _, name = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            return (
                [],
                f"Line {number} (\u201c{line[:40]}\u201d): start each line with a date like 2026-12-25.",
            )
        found[day] = name.strip()[:100]
    if len(found) > MAX_HOLIDAYS:
        return [], f"At most {MAX_HOLIDAYS} holidays."
    holidays = sorted(found.items())
    if len(holidays_text(holidays)) > MAX_HOLIDAYS_TEXT:
        # the modal shows the list back as written here; Slack refuses a longer initial value
        return [], f"Shorten the names: the list must fit in {MAX_HOLIDAYS_TEXT:,} characters."
    return holidays, None


def read_settings(state: ViewState, team_keys: list[str]) -> Settings:
    """The submitted modal as plain values; raises FieldErrors (by block_id) when something is off."""
    errors: dict[str, str] = {}
    tz_name = state.text(ids.SETTING_TIMEZONE) or ""
    try:
        tz_name = ZoneInfo(tz_name).key if tz_name else ""
    except (ZoneInfoNotFoundError, ValueError):
        tz_name = ""
    if not tz_name:
        errors[ids.SETTING_TIMEZONE] = "Enter a timezone name like Europe/Berlin or America/New_York."
    weekday = state.option(ids.SETTING_WEEKDAY)
    if weekday not in WEEKDAY_VALUES:
        errors[ids.SETTING_WEEKDAY] = "Choose a day."
        weekday = "0"
    work_start = _time(state, ids.SETTING_WORK_START, errors, time(9))
    work_end = _time(state, ids.SETTING_WORK_END, errors, time(18))
    if ids.SETTING_WORK_END not in errors and work_end <= work_start:
        errors[ids.SETTING_WORK_END] = "The working day must end after it starts."
    days = [
        int(o["value"])
        for o in _list(_entry(state, ids.SETTING_WORK_DAYS).get("selected_options"))
        if isinstance(o, dict) and o.get("value") in WEEKDAY_VALUES
    ]
    if not days:
        errors[ids.SETTING_WORK_DAYS] = "Choose at least one working day."
    holidays, holiday_error = parse_holidays(state.text(ids.SETTING_HOLIDAYS))
    if holiday_error:
        errors[ids.SETTING_HOLIDAYS] = holiday_error
    form = Settings(
        timezone=tz_name,
        channel=ids.parse_channel_id(_entry(state, ids.SETTING_CHANNEL).get("selected_conversation")),
        weekday=int(weekday),
        post_time=_time(state, ids.SETTING_POST_TIME, errors, time(9)),
        min_meetings=int(_number(state, ids.SETTING_MIN_MEETINGS, errors, 1, 50)),
        work_start=work_start,
        work_end=work_end,
        work_days=sorted(set(days)),
        holidays=holidays,
        first_nudge_hours=_number(state, ids.SETTING_FIRST_NUDGE_HOURS, errors, 0, 72, whole=False),
        nudge_every_days=int(_number(state, ids.SETTING_NUDGE_EVERY_DAYS, errors, 1, 20)),
        max_nudges=int(_number(state, ids.SETTING_MAX_NUDGES, errors, 1, 10)),
        overdue_hours=_number(state, ids.SETTING_OVERDUE_HOURS, errors, 0, 72, whole=False),
        stalled_days=int(_number(state, ids.SETTING_STALLED_DAYS, errors, 1, 120)),
        forecast_stale_days=int(_number(state, ids.SETTING_FORECAST_STALE_DAYS, errors, *STALE_DAYS_RANGE)),
    )
    seen: dict[str, str] = {}
    names: set[str] = set()
    for key in team_keys:
        team = TeamSettings(
            key=key,
            name=state.text(ids.TEAM_NAME + key),
            # Ids as Slack writes them, or none: a forged one must not become a rep row.
            manager=ids.parse_user_id(_entry(state, ids.TEAM_MANAGER + key).get("selected_user")),
            reps=[
                u
                for u in _list(_entry(state, ids.TEAM_REPS + key).get("selected_users"))
                if ids.parse_user_id(u)
            ],
            channel=ids.parse_channel_id(_entry(state, ids.TEAM_CHANNEL + key).get("selected_conversation")),
        )
        if team.name is None:
            if key == NEW_TEAM and (team.manager or team.reps or team.channel):
                errors[ids.TEAM_NAME + key] = "Name the new team (or clear its other fields)."
            form.teams.append(team)  # an existing team with its name cleared is removed
            continue
        if team.name.lower() in names:
            errors[ids.TEAM_NAME + key] = "Another team has this name."
        names.add(team.name.lower())
        for user in team.reps:
            if user in seen:
                errors[ids.TEAM_REPS + key] = f"<@{user}> is already in {seen[user]}; a rep is in one team."
                break
            seen[user] = team.name
        form.teams.append(team)
    if errors:
        raise FieldErrors(errors)
    return form


def apply_settings(
    session: Session, team_id: str, form: Settings, admin_user_id: str, now: datetime
) -> list[str]:
    """Store the settings and teams; the user ids of reps new to the app (their names come from Slack)."""
    workspace = session.get(Workspace, team_id)
    assert workspace is not None
    if form.channel != workspace.leaderboard_channel_id:
        workspace.leaderboard_channel_chosen_by = admin_user_id if form.channel else None
    workspace.timezone, workspace.timezone_chosen_by = form.timezone, admin_user_id
    workspace.leaderboard_channel_id = form.channel
    workspace.leaderboard_weekday = form.weekday
    workspace.leaderboard_time = form.post_time
    workspace.min_meetings_to_rank = form.min_meetings
    workspace.work_start, workspace.work_end = form.work_start, form.work_end
    workspace.work_days = ",".join(str(d) for d in form.work_days)
    workspace.unscheduled_first_after_minutes = round(form.first_nudge_hours * 60)
    workspace.unscheduled_every_working_days = form.nudge_every_days
    workspace.unscheduled_max_nudges = form.max_nudges
    workspace.overdue_after_minutes = round(form.overdue_hours * 60)
    workspace.stalled_after_days = form.stalled_days
    workspace.forecast_stale_days = form.forecast_stale_days
    workspace.holidays = [Holiday(team_id=team_id, day=day, name=name) for day, name in form.holidays]
    new_reps: list[str] = []
    in_form = {t.key for t in form.teams}
    for team_form in form.teams:
        _refuse_a_taken_name(session, team_id, team_form, in_form)
        team = None
        if team_form.key != NEW_TEAM:
            team = session.get(SalesTeam, int(team_form.key))
            if team is None or team.team_id != team_id:
                continue
        if team_form.name is None:
            if team is not None:
                session.delete(team)  # its reps fall back to the default team (ON DELETE SET NULL)
                session.execute(update(Rep).where(Rep.sales_team_id == team.id).values(sales_team_id=None))
            continue
        if team is None:
            team = SalesTeam(team_id=team_id, name=team_form.name, created_at=now)
            session.add(team)
            session.flush()
        if team_form.channel != team.channel_id:
            team.channel_chosen_by = admin_user_id if team_form.channel else None
        team.name, team.manager_user_id, team.channel_id = (
            team_form.name,
            team_form.manager,
            team_form.channel,
        )
        members = set(team_form.reps)
        # Only the reps the modal showed can have been taken out: a team past the modal's
        # limit keeps the rest (the modal lists them in this order).
        shown = session.scalars(
            select(Rep)
            .where(Rep.team_id == team_id, Rep.sales_team_id == team.id)
            .order_by(Rep.display_name, Rep.user_id)
            .limit(TEAM_REPS_SHOWN)
        )
        for rep in shown:
            if rep.user_id not in members:
                rep.sales_team_id = None
        for user_id in team_form.reps:
            existing = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
            rep = existing or ensure_rep(session, team_id, user_id, now)
            if existing is None:
                new_reps.append(user_id)
            rep.sales_team_id = team.id
    session.commit()
    return new_reps


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _refuse_a_taken_name(session: Session, team_id: str, team_form: TeamSettings, in_form: set[str]) -> None:
    """A name another team already has, that this form does not rename: a modal opened before it was added.

    Submitted twice, or from two open modals, the "new team" would otherwise reach the
    database's unique (workspace, name) as an error instead of a message next to the name.
    """
    if team_form.name is None:
        return
    other = session.scalar(
        select(SalesTeam.id).where(SalesTeam.team_id == team_id, SalesTeam.name == team_form.name)
    )
    if other is not None and str(other) != team_form.key and str(other) not in in_form:
        raise FieldErrors({ids.TEAM_NAME + team_form.key: "Another team has this name."})


def set_opt_out(session: Session, team_id: str, user_id: str, now: datetime, opt_out: bool | None) -> bool:
    """Opt a rep out of being named on the leaderboard (``None`` toggles); their new setting."""
    rep = ensure_rep(session, team_id, user_id, now)
    rep.leaderboard_opt_out = (not rep.leaderboard_opt_out) if opt_out is None else opt_out
    session.commit()
    return rep.leaderboard_opt_out


def settings_view(session: Session, workspace: Workspace, first: str = "") -> Settings:
    """What the modal shows: the stored settings and teams, by name, those matching ``first`` first."""
    wanted = " ".join(first.split()).casefold()
    teams = sorted(
        session.scalars(select(SalesTeam).where(SalesTeam.team_id == workspace.team_id)),
        key=lambda t: (not (wanted and wanted in t.name.casefold()), t.name.casefold(), t.id),
    )
    members: dict[int, list[str]] = {t.id: [] for t in teams}
    for user_id, team in session.execute(
        select(Rep.user_id, Rep.sales_team_id)
        .where(Rep.team_id == workspace.team_id, Rep.sales_team_id.is_not(None))
        .order_by(Rep.display_name, Rep.user_id)
    ):
        if team is not None:
            members.setdefault(team, []).append(user_id)
    return Settings(
        timezone=workspace.timezone,
        channel=workspace.leaderboard_channel_id,
        weekday=workspace.leaderboard_weekday,
        post_time=workspace.leaderboard_time,
        min_meetings=workspace.min_meetings_to_rank,
        work_start=workspace.work_start,
        work_end=workspace.work_end,
        work_days=sorted(parse_days(workspace.work_days)),
        holidays=[(h.day, h.name) for h in sorted(workspace.holidays, key=lambda h: h.day)],
        first_nudge_hours=workspace.unscheduled_first_after_minutes / 60,
        nudge_every_days=workspace.unscheduled_every_working_days,
        max_nudges=workspace.unscheduled_max_nudges,
        overdue_hours=workspace.overdue_after_minutes / 60,
        stalled_days=workspace.stalled_after_days,
        forecast_stale_days=workspace.forecast_stale_days,
        teams=[
            TeamSettings(
                key=str(t.id),
                name=t.name,
                manager=t.manager_user_id,
                reps=members[t.id],
                channel=t.channel_id,
            )
            for t in teams
        ],
    )


# The entry points the Slack shell calls: each opens its session and owns its commit.


def settings_for_admin(
    sessions: sessionmaker[Session],
    team_id: str,
    profile: SlackProfile,
    now: datetime,
    admins: Admins,
    first: str = "",
) -> Settings | None:
    """What the settings modal shows to ``profile`` (just fetched from Slack, and stored); None
    when they are not an admin."""
    with sessions() as session:
        apply_profile(session, team_id, profile, now, admins)
        session.commit()
        workspace = session.get(Workspace, team_id)
        if workspace is None or not admins.include(profile, workspace):
            return None
        return settings_view(session, workspace, first)


def save_settings(
    sessions: sessionmaker[Session],
    team_id: str,
    user_id: str,
    form: Settings,
    now: datetime,
    admins: Admins,
    slack_says_admin: Callable[[], bool],
) -> list[str] | None:
    """The settings modal's Save by ``user_id``: the reps new to the app (their names come from
    Slack), or None for a workspace the app does not know. ``NotAllowed`` for anyone but an admin:
    checked when the modal opened, and again here against a forged or late submission (Slack is
    asked, ``slack_says_admin``, only when the records do not say so)."""
    with sessions() as session:
        workspace = session.get(Workspace, team_id)
        if workspace is None:
            return None
        if not (admins.by_record(user_id, workspace) or slack_says_admin()):
            raise NotAllowed("Only an admin can change the settings.")
        return apply_settings(session, team_id, form, user_id, now)


# ---------------------------------------------------------------- `/nextsteps privacy`: one request


def choose_privacy(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, now: datetime, opt_out: bool | None
) -> bool:
    """Off the leaderboard by name, or back on it (``None`` toggles); True when now off it."""
    with session_factory() as session:
        ensure_workspace(session, team_id, now)
        return set_opt_out(session, team_id, user_id, now, opt_out)
