"""`/meeting [account]`: the meeting modal, with the account chosen when one is named."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.accounts import find_account
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal, refresh_profile

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


def register(app: App) -> None:
    app.command("/meeting")(meeting)
