"""The welcome DM still owed, sent on a first `/nextsteps`; and the lock the first-use commands share."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.clock.weekly import welcome_admins
from bot.services import store
from bot.services.reps import known_slack_admin
from bot.services.workspaces import ensure_workspace_row, welcome_owed
from handlers.after_ack import AFTER_ACK, Lane
from handlers.deps import Deps
from handlers.meeting_flow import refresh_profile

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
            owed, installer = welcome_owed(deps.session_factory, team_id)
            if not owed:
                return
            admins = deps.admins
            if admins.oauth:
                to = [installer] if installer else []
            elif admins.listed:
                to = sorted(admins.listed)
            else:
                with FIRST_USE:  # is this person a Slack admin or owner? (users.info, at most daily)
                    refresh_profile(client, deps, team_id=team_id, user_id=user_id)
                to = [user_id] if store.run(deps.session_factory, known_slack_admin, team_id, user_id) else []
            if not to:
                return
            with FIRST_USE:
                ensure_workspace_row(deps.session_factory, team_id, now)
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
