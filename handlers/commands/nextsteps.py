"""Slash commands: `/meeting [account]` and `/nextsteps …`."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.domain.errors import UserFacingError
from bot.services.accounts import find_account
from bot.services.pauses import parse_day, pause, resume
from bot.services.reps import zone
from bot.slack.blocks.help import NOT_PAUSED, RESUMED, help_blocks, paused_text
from handlers.commands import settings as weekly
from handlers.commands.deal import deal_command
from handlers.commands.export import export_command
from handlers.commands.team import team_command
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal, refresh_profile
from models import Rep

log = logging.getLogger("nextstep")


OPEN_FAILED = "Slack didn't let me open the form just then. Type `/meeting` again."


@guarded
def meeting(ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict) -> None:
    """The modal first, then the (empty) ack: the rep is waiting for the modal, not for the ack.

    Slack gives both 3 seconds from the command; should views.open hang, the guard answers
    for us at 2.5 s. When the modal can't be opened (Slack refuses the trigger, or times
    out, or the database fails first) the rep is told: in the ack, or through the
    command's response_url once the guard has answered.
    """
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    text = (body.get("text") or "").strip()
    account = None
    try:
        if text:
            with deps.session() as session:
                account = find_account(session, team_id, text)
        open_meeting_modal(
            client,
            deps,
            team_id=team_id,
            trigger_id=body["trigger_id"],
            account=account,
            channel_id=body.get("channel_id"),
            user_id=user_id,
        )
    except Exception as error:
        if isinstance(error, SlackApiError):
            log.warning("views.open failed team=%s: %s", team_id, error.response.get("error"))
        else:
            log.exception("/meeting could not open the modal team=%s: %s", team_id, type(error).__name__)
        if ack.response is None:  # still unanswered: say it in the ack
            ack(text=OPEN_FAILED)
        else:  # the guard already answered Slack, empty: say it where the command was typed
            respond(text=OPEN_FAILED, response_type="ephemeral", replace_original=False)
        return
    ack()
    # After the modal is up: the rep's timezone is fresh by the time they submit.
    refresh_profile(client, deps, team_id=team_id, user_id=user_id)


@guarded
def nextsteps(ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict) -> None:
    words = (body.get("text") or "").split()
    sub = words[0].lower() if words else "help"
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    weekly.welcome_on_first_use(client, deps, team_id, user_id)
    if sub == "settings":
        weekly.settings_command(ack, body, client, context, " ".join(words[1:]))
        return
    if sub == "privacy":
        weekly.privacy_command(ack, body, context, words[1:])
        return
    if sub == "leaderboard":
        weekly.leaderboard_command(ack, body, context, words[1:])
        return
    if sub == "deal":
        deal_command(ack, body, client, respond, context, " ".join(words[1:]))
        return
    if sub == "team":
        team_command(ack, body, client, context)
        return
    if sub == "export":
        export_command(ack, body, client, respond, context, words[1:])
        return
    if sub == "pause":
        now = deps.clock()
        try:
            with deps.session() as session:
                rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
                tz = zone(rep.timezone if rep else None)
                today = now.astimezone(tz).date()
                until = parse_day(" ".join(words[1:]), today)
                pause(session, team_id=team_id, user_id=user_id, until=until, today=today, now=now)
        except UserFacingError as error:
            ack(text=str(error))
            return
        ack(text=paused_text(until))
        return
    if sub == "resume":
        with deps.session() as session:
            rep = resume(session, team_id=team_id, user_id=user_id, now=deps.clock())
        ack(text=RESUMED if rep else NOT_PAUSED)
        return
    text, blocks = help_blocks(unknown=None if sub == "help" else sub, oauth=deps.config.multi_workspace)
    ack(text=text, blocks=blocks)


def register(app: App) -> None:
    app.command("/meeting")(meeting)
    app.command("/nextsteps")(nextsteps)
