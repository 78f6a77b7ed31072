"""Reading a click on a nudge DM (or a coaching DM) and answering it in place: shared by the nudge buttons.

No listener here, so no register(app): the buttons' own modules register theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.domain.errors import NotAllowed, UserFacingError
from bot.services import nudge_answers
from bot.services.nudge_answers import Answered, NudgeSubject
from bot.slack import ids
from handlers.clicks import tell
from handlers.deps import Deps
from handlers.meeting_flow import refresh_nudge_messages


def message_ref(body: dict) -> dict[str, str | None]:
    """The message the click came from, as private metadata carries it."""
    container = body.get("container") or {}
    return {"channel": container.get("channel_id"), "ts": container.get("message_ts")}


def clicked_message(body: dict) -> list[tuple[str, str]]:
    """The message the click came from, as (channel, ts), when it is one."""
    ref = message_ref(body)
    channel, ts = ref["channel"], ref["ts"]
    return [(channel, ts)] if channel and ts else []


def nudge_subject(client: WebClient, body: dict, context: dict, raw: str) -> NudgeSubject | None:
    """The clicked nudge when it is this person's; otherwise a polite refusal and None."""
    deps: Deps = context["deps"]
    try:
        return nudge_answers.nudge_subject(
            deps.session_factory,
            team_id=context["team_id"],
            user_id=body["user"]["id"],
            nudge_id=ids.parse_row_id(raw),
        )
    except NotAllowed as error:
        tell(client, body, context, str(error))
        return None


def already_answered(client: WebClient, body: dict, context: dict, subject: NudgeSubject) -> bool:
    """A click on a stale copy of an answered nudge: show the DM as it stands instead."""
    if subject.answer is None:
        return False
    messages = clicked_message(body) + ([subject.message] if subject.message else [])
    refresh_nudge_messages(client, context["deps"], team_id=context["team_id"], messages=messages)
    return True


def answer_in_place(client: WebClient, body: dict, context: dict, answer: Callable[[], Answered]) -> None:
    """Run one nudge answer (a service call) for the clicking rep; refuse politely, or update the DM(s) in place."""
    try:
        done = answer()
    except UserFacingError as error:
        tell(client, body, context, str(error))
        return
    refresh_nudge_messages(
        client, context["deps"], team_id=context["team_id"], messages=[*done.messages, *clicked_message(body)]
    )
