"""The welcome DM still owed, sent on a first `/nextsteps`; and the lock the first-use commands share."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.clock.weekly import welcome_admins
from bot.services.reps import ensure_workspace, known_slack_admin
from handlers.after_ack import AFTER_ACK, Lane
from handlers.deps import Deps
from handlers.meeting_flow import refresh_profile
from models import Workspace

log = logging.getLogger("nextstep")

# The welcome runs beside the command that triggered it; both may create the workspace's and the
# person's rows on first use. One at a time, so neither trips over the other's insert.
FIRST_USE = threading.Lock()


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
                with FIRST_USE:  # is this person a Slack admin or owner? (users.info, at most daily)
                    refresh_profile(client, deps, team_id=team_id, user_id=user_id)
                with deps.session() as session:
                    to = [user_id] if known_slack_admin(session, team_id, user_id) else []
            if not to:
                return
            with FIRST_USE, deps.session() as session:
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

    AFTER_ACK.submit(run, Lane.REPLY, "welcome")
