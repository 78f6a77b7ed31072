"""`/meeting`'s Save: validated in the app, errors next to the field, stored before the ack."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import DuplicateSubmission
from bot.services.meetings import LoggedMeeting, log_meeting, read_meeting_form
from bot.services.store import run
from bot.slack import ids
from handlers.after_ack import Lane
from handlers.events.app_home import refresh_home
from handlers.guard import FAILED, guarded, later, submission
from handlers.meeting_flow import refresh_nudge_messages, send_coaching

log = logging.getLogger("nextstep")


# Inline: the busiest Save stores and acks on the request thread; the DM waits its turn after.
@guarded(inline=True)
def meeting_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(ack, body, context, ids.MEETING_MODAL_VERSION, read_meeting_form, prefer=ids.ACCOUNT)
    if found is None:
        return
    sub, form = found
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]
    view_id = sub.view.get("id")
    block_of = {action_id: block_id for action_id, (block_id, _) in sub.state.values.items()}
    now = deps.clock()

    def store() -> LoggedMeeting:
        return run(
            deps.session_factory,
            log_meeting,
            team_id=team_id,
            user_id=user_id,
            form=form,
            view_id=view_id,
            now=now,
            block_of=block_of,
        )

    try:
        logged = sub.save(store)
    except DuplicateSubmission as dup:
        log.info("duplicate submission team=%s view=%s meeting=%s", team_id, view_id, dup.meeting_id)
        ack()
        return
    if logged is FAILED:
        return
    ack()

    def after() -> None:
        try:
            send_coaching(client, deps, team_id=team_id, user_id=user_id, logged=logged)
            # the deal moved in their pipeline
            refresh_home(client, deps, team_id=team_id, user_id=user_id, opened_at=logged.home_opened_at)
        finally:
            # The meeting answered the deal's open nudges: their DMs say so, in place.
            refresh_nudge_messages(client, deps, team_id=team_id, messages=logged.answered_messages)

    later(after, context, Lane.REPLY, "meeting_submitted")


def register(app: App) -> None:
    app.view(ids.MEETING_MODAL)(meeting_submitted)
