"""`/meeting`'s Save: validated in the app, errors next to the field, stored before the ack."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.errors import DuplicateSubmission
from bot.services.meetings import LoggedMeeting, log_meeting, read_meeting_form
from bot.slack import ids
from bot.slack.view_state import ViewState
from handlers.after_ack import Lane
from handlers.deps import Deps
from handlers.events.app_home import refresh_home
from handlers.guard import FAILED, REOPEN, errors_for_view, guarded, modal_error, save, view_metadata
from handlers.meeting_flow import refresh_nudge_messages, send_coaching

log = logging.getLogger("nextstep")


@guarded(lane=Lane.REPLY)
def meeting_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    view = body["view"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    if view_metadata(view, ids.MEETING_MODAL_VERSION) is None:
        modal_error(ack, view, REOPEN, prefer=ids.ACCOUNT)
        return
    state = ViewState.parse(view.get("state"))
    form = read_meeting_form(state)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return
    block_of = {action_id: block_id for action_id, (block_id, _) in state.values.items()}
    now = deps.clock()

    def store() -> LoggedMeeting:
        with deps.session() as session:
            return log_meeting(
                session,
                team_id=team_id,
                user_id=user_id,
                form=form,
                view_id=view.get("id"),
                now=now,
                block_of=block_of,
            )

    try:
        logged = save(ack, context, view, state, store, prefer=ids.ACCOUNT)
    except DuplicateSubmission as dup:
        log.info("duplicate submission team=%s view=%s meeting=%s", team_id, view.get("id"), dup.meeting_id)
        ack()
        return
    if logged is FAILED:
        return
    ack()
    try:
        send_coaching(client, deps, team_id=team_id, user_id=user_id, logged=logged)
        # the deal moved in their pipeline
        refresh_home(client, deps, team_id=team_id, user_id=user_id, opened_at=logged.home_opened_at)
    finally:
        # The meeting answered the deal's open nudges: their DMs say so, in place.
        refresh_nudge_messages(client, deps, team_id=team_id, messages=logged.answered_messages)


def register(app: App) -> None:
    app.view(ids.MEETING_MODAL)(meeting_submitted)
