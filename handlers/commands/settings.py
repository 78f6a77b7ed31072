"""`/nextsteps settings` (opens the settings modal), `privacy` and `leaderboard [this|last]`, and the welcome DM.

The modal's Save is handlers/views/settings.py."""

from __future__ import annotations

import logging
import threading

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.clock.weekly import welcome_admins
from bot.services.leaderboard import (
    compute_board,
    post_moment,
    reported_week,
    scope_of_user,
    week_containing,
    workspace_zone,
)
from bot.services.reps import SlackProfile, apply_profile, ensure_workspace, known_slack_admin
from bot.services.settings import set_opt_out, settings_view
from bot.slack.blocks.help import not_admin_text
from bot.slack.blocks.leaderboard import leaderboard_message
from bot.slack.blocks.settings_modal import settings_modal
from handlers.deps import Deps
from handlers.guard import AFTER_ACK
from handlers.meeting_flow import refresh_profile
from models import Workspace

log = logging.getLogger("nextstep")

# The welcome runs beside the command that triggered it; both may create the workspace's and the
# person's rows on first use. One at a time, so neither trips over the other's insert.
_FIRST_USE = threading.Lock()

OPTED_OUT = (
    "You're off the leaderboard: your meetings still count in your team's totals, but your name isn't "
    "shown. `/nextsteps privacy` again to be named."
)
OPTED_IN = "You're on the leaderboard again, named with your numbers. `/nextsteps privacy` to opt out."


def welcome_on_first_use(client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """The welcome still owed, on a `/nextsteps` (after the ack): single-workspace mode has no install
    event. It goes to NEXTSTEP_ADMINS, or when none are named, to the first Slack admin or owner who
    uses the app; in OAuth mode, to the installer (normally welcomed at the install already)."""

    def run() -> None:
        try:
            now = deps.clock()
            with deps.session() as session:
                workspace = session.get(Workspace, team_id)
                if workspace is not None and workspace.welcomed_at is not None:
                    return
                installer = workspace.installer_user_id if workspace is not None else None
            admins = deps.admins
            if admins.oauth:
                to = [installer] if installer else []
            elif admins.listed:
                to = sorted(admins.listed)
            else:
                with _FIRST_USE:  # is this person a Slack admin or owner? (users.info, at most daily)
                    refresh_profile(client, deps, team_id=team_id, user_id=user_id)
                with deps.session() as session:
                    to = [user_id] if known_slack_admin(session, team_id, user_id) else []
            if not to:
                return
            with _FIRST_USE, deps.session() as session:
                ensure_workspace(session, team_id, now)
                session.commit()
            welcome_admins(
                deps.session_factory,
                lambda user, text, blocks: client.chat_postMessage(channel=user, text=text, blocks=blocks),
                team_id,
                now,
                to,
                installed=admins.oauth,
            )
        except Exception:
            log.exception("welcome DM failed team=%s", team_id)

    AFTER_ACK.submit(run)


def _admin_profile(client: WebClient, deps: Deps, team_id: str, user_id: str) -> tuple[SlackProfile, bool]:
    profile = SlackProfile.from_users_info(client.users_info(user=user_id)["user"])
    with _FIRST_USE, deps.session() as session:
        apply_profile(session, team_id, profile, deps.clock(), deps.admins)
        session.commit()
        workspace = session.get(Workspace, team_id)
        return profile, deps.admins.include(profile, workspace)


def settings_command(ack: Ack, body: dict, client: WebClient, context: dict, first: str = "") -> None:
    """Admins get the settings modal (the teams named like ``first`` first); anyone else a polite refusal."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    _, admin = _admin_profile(client, deps, team_id, user_id)
    if not admin:
        ack(text=not_admin_text(deps.config.multi_workspace))
        return
    with deps.session() as session:
        workspace = session.get(Workspace, team_id)
        assert workspace is not None
        view = settings_modal(settings_view(session, workspace, first))
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=view)


def privacy_command(ack: Ack, body: dict, context: dict, words: list[str]) -> None:
    deps: Deps = context["deps"]
    choice = {"on": True, "off": False, "out": True, "in": False}.get(words[0].lower()) if words else None
    with _FIRST_USE, deps.session() as session:
        ensure_workspace(session, context["team_id"], deps.clock())
        opted_out = set_opt_out(session, context["team_id"], body["user_id"], deps.clock(), choice)
    ack(text=OPTED_OUT if opted_out else OPTED_IN)


def leaderboard_command(ack: Ack, body: dict, context: dict, words: list[str]) -> None:
    """The asker's team's board, only for them: `this` week so far, or `last` (the default) week."""
    deps: Deps = context["deps"]
    which = words[0].lower() if words else "last"
    if which not in ("this", "last"):
        ack(
            text="Try `/nextsteps leaderboard last` (last week) or `/nextsteps leaderboard this` (this week so far)."
        )
        return
    now = deps.clock()
    with _FIRST_USE, deps.session() as session:
        workspace = ensure_workspace(session, context["team_id"], now)
        session.commit()
        tz = workspace_zone(workspace)
        scope = scope_of_user(session, workspace, body["user_id"])
        if which == "this":
            board = compute_board(
                session, workspace, scope, week_containing(now, tz), as_of=now, in_progress=True
            )
        else:
            week = reported_week(now, tz)
            board = compute_board(
                session, workspace, scope, week, as_of=min(now, post_moment(workspace, week))
            )
    text, blocks = leaderboard_message(board)
    ack(text=text, blocks=blocks)
