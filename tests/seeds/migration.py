"""Rows as an older schema held them, written with plain SQL before a test upgrades the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, text

THEN = datetime(2026, 11, 2, 9, tzinfo=UTC)


def workspace_at_0008(
    conn: Connection, team_id: str, *, installer: str | None, timezone: str = "UTC", welcomed: bool = True
) -> None:
    """A workspace as revision 0008 knew it (``installer``: the stand-in or the OAuth installer)."""
    conn.execute(
        text(
            "INSERT INTO workspaces (team_id, name, timezone, installer_user_id, leaderboard_weekday,"
            " leaderboard_time, min_meetings_to_rank, work_start, work_end, work_days,"
            " unscheduled_first_after_minutes, unscheduled_every_working_days, unscheduled_max_nudges,"
            " overdue_after_minutes, stalled_after_days, created_at, welcomed_at) VALUES"
            " (:team, :team, :tz, :installer, 0, '09:00:00', 3, '09:00:00', '18:00:00', '0,1,2,3,4',"
            " 120, 2, 3, 120, 14, :at, :welcomed)"
        ),
        {
            "team": team_id,
            "tz": timezone,
            "installer": installer,
            "at": THEN,
            "welcomed": THEN if welcomed else None,
        },
    )


def rep_at_0008(conn: Connection, team_id: str, user_id: str) -> None:
    conn.execute(
        text(
            "INSERT INTO reps (team_id, user_id, display_name, timezone, status, leaderboard_opt_out,"
            " streak, created_at) VALUES (:team, :user, :user, 'UTC', 'active', false, 0, :at)"
        ),
        {"team": team_id, "user": user_id, "at": THEN},
    )


def oauth_installation(conn: Connection, team_id: str, installer: str) -> None:
    """The row slack_sdk's installation store keeps for an OAuth install."""
    conn.execute(
        text(
            "INSERT INTO slack_installations (client_id, app_id, team_id, bot_token, user_id,"
            " is_enterprise_install, installed_at) VALUES ('111.222', 'A1', :team, 'xoxb-x', :user, false, :at)"
        ),
        {"team": team_id, "user": installer, "at": THEN.replace(tzinfo=None)},
    )
