"""`/nextsteps help`: every command, in one ephemeral message."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.slack.blocks.common import user_text

COMMANDS = (
    (
        "/meeting [account]",
        "Log a meeting you just held: what you asked for and how they reacted. "
        "I'll coach you on the ask and keep the next step from slipping.",
    ),
    (
        "/nextsteps pause until <day>",
        "No nudges through that day (a holiday, a conference). "
        "What falls due meanwhile starts again afterwards, one nudge at a time.",
    ),
    ("/nextsteps resume", "End a pause early."),
    ("/nextsteps deal <name>", "A deal's history: every meeting, ask, reaction and next step."),
    ("/nextsteps team", "For managers: your reps' pipelines and hygiene."),
    (
        "/nextsteps forecast [team] [charts]",
        "Each open deal's chance to be won, learned from how your workspace's deals ended: the expected "
        "value and wins, the likeliest deals, and where more time is least likely to pay off. Yours, "
        "your team's by rep if you manage one, any team's for admins; `charts` sends the charts to your DM.",
    ),
    (
        "/nextsteps export [mine|team] [from] [to]",
        "Your meetings (or your team's) as a CSV file, in your DM with me.",
    ),
    (
        "/nextsteps leaderboard [this|last]",
        "Your team's board, just for you: last week's (as posted) or this week's so far. "
        "Ranked by booked rate: meetings that ended with a date on their calendar.",
    ),
    (
        "/nextsteps privacy",
        "Opt out of being named on the leaderboard (your meetings still count in the team's totals); "
        "again to opt back in.",
    ),
    (
        "/nextsteps settings [team name]",
        "For admins: timezone, the leaderboard's channel and schedule, who gets ranked, working hours "
        "and days, holidays, nudge timings, and teams (manager, reps, channel); a team name puts "
        "that team first.",
    ),
    ("/nextsteps help", "This list."),
)

# Who may change the settings, and how to add someone: in the help, the refusal and the welcome.
ADMINS = {
    False: (
        "Slack's workspace admins and owners, and the people listed in Next Step's `NEXTSTEP_ADMINS` setting",
        "To add someone, ask whoever runs Next Step to add their Slack member ID to `NEXTSTEP_ADMINS` "
        "(comma-separated) and restart it.",
    ),
    True: (
        "Slack's workspace admins and owners, and whoever installed Next Step",
        "To add someone, make them a workspace admin or owner in Slack.",
    ),
}


def who_may_change_settings(oauth: bool) -> str:
    """Who the admins are, then how to add one (``oauth``: the app was installed through OAuth)."""
    who, add = ADMINS[oauth]
    return f"Settings are for admins: {who}. {add}"


def not_admin_text(oauth: bool) -> str:
    """The refusal of `/nextsteps settings` to someone who isn't an admin."""
    who, add = ADMINS[oauth]
    return f"Only {who}, can change Next Step's settings. {add} Meanwhile, `/nextsteps help` lists what you can do."


RESUMED = "Welcome back. Nudges start again from now, one at a time, not everything at once."
NOT_PAUSED = "You weren't paused, so there's nothing to resume."


def paused_text(until: date) -> str:
    return (
        f"Paused through {until:%A} {until.day} {until:%B %Y}. No nudges until then, and nothing goes to "
        "your manager meanwhile. `/nextsteps resume` to come back early."
    )


def help_blocks(unknown: str | None = None, *, oauth: bool = False) -> tuple[str, list[dict[str, Any]]]:
    lines = "\n".join(f"\u2022 `{cmd}`  {what}" for cmd, what in COMMANDS)
    admins = who_may_change_settings(oauth)
    intro = (
        f"I don't know `{user_text(unknown, 50)}` yet. Here's what I can do:"
        if unknown
        else "End every meeting with a *scheduled* next step. Here's how I help:"
    )
    text = f"{intro}\n{lines}\n{admins}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        {"type": "section", "text": {"type": "mrkdwn", "text": lines}},
        {"type": "section", "text": {"type": "mrkdwn", "text": admins}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Ask for a date on their calendar before you leave the meeting. Their reaction tells you where the deal stands.",
                }
            ],
        },
    ]
    return text, blocks
