"""The `/nextsteps settings` modal: the workspace's schedule, working time, nudges and teams."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.domain.settings import NEW_TEAM, Settings, TeamSettings
from bot.slack import ids
from bot.slack.blocks.common import Block, context, header, plain, section, user_text

# A multi_users_select shows at most 100 people; saving leaves the rest of a bigger team as it is.
TEAM_REPS_SHOWN = 100

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# 19 blocks for the workspace, a note when teams are left out, 5 per team: 14 teams and a new
# one stay within a modal's 100.
MAX_TEAMS_SHOWN = 14


def holidays_text(holidays: list[tuple[date, str]]) -> str:
    """The holidays as the settings modal shows them, one "YYYY-MM-DD name" a line."""
    return "\n".join(f"{day.isoformat()} {name}".strip() for day, name in holidays)


def _input(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _option(text: str, value: str) -> Block:
    return {"text": plain(text, 75), "value": value}


def _number(value: float, *, decimal: bool = False) -> Block:
    shown = f"{value:g}"
    return {"type": "number_input", "is_decimal_allowed": decimal, "initial_value": shown}


def _conversation(initial: str | None) -> Block:
    element: Block = {
        "type": "conversations_select",
        "placeholder": plain("Choose a channel"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if initial:
        element["initial_conversation"] = initial
    return element


def team_keys(view_teams: list[TeamSettings]) -> list[str]:
    return [t.key for t in view_teams[:MAX_TEAMS_SHOWN]] + [NEW_TEAM]


def _team_blocks(key: str, team: TeamSettings | None) -> list[Block]:
    name: Block = {"type": "plain_text_input", "max_length": 100}
    manager: Block = {"type": "users_select", "placeholder": plain("Choose the manager")}
    reps: Block = {"type": "multi_users_select", "placeholder": plain("Choose the reps")}
    if team is not None:
        name["initial_value"] = team.name or ""
        if team.manager:
            manager["initial_user"] = team.manager
        if team.reps:
            reps["initial_users"] = team.reps[:TEAM_REPS_SHOWN]
    title = f"*Team: {user_text(team.name or '', 100)}*" if team else "*Add a team*"
    return [
        section(title),
        _input(
            ids.TEAM_NAME + key,
            "Team name",
            name,
            optional=True,
            hint="Clear the name to remove the team; its reps join the default board." if team else None,
        ),
        _input(ids.TEAM_MANAGER + key, "Manager (gets the weekly digest)", manager, optional=True),
        _input(ids.TEAM_REPS + key, "Reps", reps, optional=True),
        _input(
            ids.TEAM_CHANNEL + key,
            "Leaderboard channel",
            _conversation(team.channel if team else None),
            optional=True,
            hint="Empty: the workspace's leaderboard channel.",
        ),
    ]


def settings_modal(view: Settings) -> dict[str, Any]:
    weekday_options = [_option(name, str(i)) for i, name in enumerate(DAY_NAMES)]
    blocks: list[Block] = [
        header("Leaderboard"),
        _input(
            ids.SETTING_TIMEZONE,
            "Workspace timezone",
            {"type": "plain_text_input", "initial_value": view.timezone, "max_length": 64},
            hint="A name like Europe/Berlin or America/New_York. Weeks and the posting time follow it.",
        ),
        _input(
            ids.SETTING_CHANNEL,
            "Leaderboard channel",
            _conversation(view.channel),
            optional=True,
            hint="Where the weekly board of reps in no team goes, and each team's unless it has its own.",
        ),
        _input(
            ids.SETTING_WEEKDAY,
            "Post on",
            {
                "type": "static_select",
                "options": weekday_options,
                "initial_option": weekday_options[view.weekday % 7],
            },
        ),
        _input(
            ids.SETTING_POST_TIME,
            "At (workspace time)",
            {"type": "timepicker", "initial_time": view.post_time.strftime("%H:%M")},
        ),
        _input(
            ids.SETTING_MIN_MEETINGS,
            "Meetings a week to be ranked",
            _number(view.min_meetings),
        ),
        header("Working time"),
        _input(
            ids.SETTING_WORK_START,
            "Working day starts",
            {"type": "timepicker", "initial_time": view.work_start.strftime("%H:%M")},
            hint="In each rep's own timezone: nudges only go out in working hours.",
        ),
        _input(
            ids.SETTING_WORK_END,
            "Working day ends",
            {"type": "timepicker", "initial_time": view.work_end.strftime("%H:%M")},
        ),
        _input(
            ids.SETTING_WORK_DAYS,
            "Working days",
            {
                "type": "checkboxes",
                "options": weekday_options,
                **(
                    {"initial_options": [weekday_options[d] for d in view.work_days]}
                    if view.work_days
                    else {}
                ),
            },
        ),
        _input(
            ids.SETTING_HOLIDAYS,
            "Holidays",
            {
                "type": "plain_text_input",
                "multiline": True,
                **({"initial_value": holidays_text(view.holidays)} if view.holidays else {}),
                "placeholder": plain("2026-12-25 Christmas Day"),
            },
            optional=True,
            hint="One a line: the date (YYYY-MM-DD), then a name if you like. No nudges on these days.",
        ),
        header("Nudges"),
        _input(
            ids.SETTING_FIRST_NUDGE_HOURS,
            "First reminder of an unscheduled step, hours after logging",
            _number(view.first_nudge_hours, decimal=True),
        ),
        _input(ids.SETTING_NUDGE_EVERY_DAYS, "Then every N working days", _number(view.nudge_every_days)),
        _input(
            ids.SETTING_MAX_NUDGES,
            "Reminders before it goes to the manager's digest",
            _number(view.max_nudges),
        ),
        _input(
            ids.SETTING_OVERDUE_HOURS,
            "Ask \u201cHow did it go?\u201d this many hours after a booked step",
            _number(view.overdue_hours, decimal=True),
        ),
        _input(
            ids.SETTING_STALLED_DAYS,
            "A deal is stalled after this many days without a meeting",
            _number(view.stalled_days),
        ),
        _input(
            ids.SETTING_FORECAST_STALE_DAYS,
            "The forecast learns a deal as lost after this many days with no meeting and nothing booked",
            _number(view.forecast_stale_days),
            hint="Only for learning: the deal itself stays open. From 14 to 730 days.",
        ),
        header("Teams"),
    ]
    if len(view.teams) > MAX_TEAMS_SHOWN:
        blocks.append(
            context(
                f"Showing {MAX_TEAMS_SHOWN} of {len(view.teams)} teams. To edit another, type "
                "`/nextsteps settings <team name>`: the teams matching it come first."
            )
        )
    keys = team_keys(view.teams)
    for team in view.teams[:MAX_TEAMS_SHOWN]:
        blocks += _team_blocks(team.key, team)
    blocks += _team_blocks(NEW_TEAM, None)
    return {
        "type": "modal",
        "callback_id": ids.SETTINGS_MODAL,
        "title": plain("Next Step settings"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"v": ids.SETTINGS_MODAL_VERSION, "teams": keys}),
        "blocks": blocks,
    }
