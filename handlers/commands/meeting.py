"""`/meeting [account]`: the meeting modal, with the account chosen when one is named."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.accounts import account_named
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import meeting_view, refresh_profile
from handlers.modals import open_failed_text, open_modal, tell_person

log = logging.getLogger("nextstep")


OPEN_FAILED = open_failed_text("Type `/meeting` again.")


@guarded
def meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The modal first, then the (empty) ack: the rep is waiting for the modal, not for the ack.

    Slack gives both 3 seconds from the command; should views.open hang, the guard answers
    for us at 2.5 s. When the modal can't be opened (Slack refuses the trigger, or times
    out, or the database fails first) the rep is told: in the ack, or through the
    command's response_url once the guard has answered.
    """
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    text = (body.get("text") or "").strip()
    try:
        account = account_named(deps.session_factory, team_id, text)
        view = meeting_view(
            deps, team_id=team_id, account=account, channel_id=body.get("channel_id"), user_id=user_id
        )
    except Exception as error:  # the database, most likely: the rep is told, nothing was written
        log.exception("/meeting could not open the modal team=%s: %s", team_id, type(error).__name__)
        tell_person(client, body, context, OPEN_FAILED, ack)
        return
    if not open_modal(client, body, context, view, ack=ack):
        return
    ack()
    # After the modal is up: the rep's timezone is fresh by the time they submit.
    refresh_profile(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.command("/meeting")(meeting)
