"""DMs to admins: the welcome, and a leaderboard that could not be posted (with the fix)."""

from __future__ import annotations

from bot.slack.blocks.common import Block, context, header, section, user_text
from bot.slack.blocks.help import who_may_change_settings

WELCOME_STEPS = (
    (
        "Pick the leaderboard channel and when it posts",
        "`/nextsteps settings`: the workspace timezone, the channel, the weekday and time "
        "(Monday 09:00 by default), and how many meetings a rep needs to be ranked.",
    ),
    (
        "Define your teams",
        "In the same settings: each team's manager, reps and channel. Managers get a weekly digest of "
        "their team's deals with no next step. Reps in no team share the workspace's board.",
    ),
    (
        "Set working hours and holidays",
        "Nudges only go out in each rep's working hours, in their own timezone, never on your holidays.",
    ),
)


def welcome_message(user_id: str, *, installed: bool) -> tuple[str, list[Block]]:
    """To the OAuth installer (``installed``), or to an admin of a single-workspace install."""
    steps = "\n".join(f"*{n}. {title}*\n{what}" for n, (title, what) in enumerate(WELCOME_STEPS, start=1))
    setup = (
        "Three things to set up: the leaderboard channel and schedule, your teams, and working hours "
        "and holidays. Start with /nextsteps settings."
    )
    if installed:
        text = f"Thanks for installing Next Step. {setup}"
        hello = f"Thanks for installing me, <@{user_id}>."
    else:
        text = f"Next Step is ready in your workspace, and you're one of its admins. {setup}"
        hello = f"Hi <@{user_id}>, I'm ready in your workspace, and you're one of my admins."
    blocks = [
        header("Welcome to Next Step"),
        section(
            f"{hello} I help your reps end every meeting with a *scheduled* next step: they log "
            "meetings with `/meeting`, I coach the ask and nudge what slips. Three things to set up:"
        ),
        section(steps),
        context(f"{who_may_change_settings(oauth=installed)} `/nextsteps help` lists every command."),
    ]
    return text, blocks


CHANNEL_FAULT_FIX = {
    "not_in_channel": (
        "I'm not a member of {channel}, and it's private, so I can't join it myself. "
        "Invite me there (type `/invite @Next Step` in the channel) or pick another channel in "
        "`/nextsteps settings`; I'll try again within the hour."
    ),
    "is_archived": (
        "{channel} is archived. Pick another channel for this team in `/nextsteps settings` "
        "and I'll post this week's board there."
    ),
    "channel_not_found": (
        "The channel I was set to post in no longer exists. Pick another channel for this team in "
        "`/nextsteps settings` and I'll post this week's board there."
    ),
}


def channel_fault_message(
    reason: str, channel_id: str, team_name: str, week_label: str
) -> tuple[str, list[Block]]:
    """To the admin who chose the channel: what failed, and how to fix it."""
    channel = f"<#{channel_id}>"
    fix = CHANNEL_FAULT_FIX.get(reason, CHANNEL_FAULT_FIX["channel_not_found"]).format(channel=channel)
    what = f"The leaderboard of *{user_text(team_name, 100)}* for {week_label} wasn't posted."
    return f"{what} {fix}".replace("*", ""), [section(what), section(fix)]
