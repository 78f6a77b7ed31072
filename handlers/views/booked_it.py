"""The "Booked it" modal saved (coaching DM, or a nudge's "Booked it" or "Rescheduled"): step booked, DMs updated."""

from __future__ import annotations

from datetime import datetime

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.meetings import BookedStep, book_step
from bot.services.nudge_answers import Answered, answer_booked
from bot.services.store import run
from bot.slack import ids
from bot.slack.blocks.confirmations import booked_confirmation
from bot.slack.view_state import ViewState
from handlers.events.app_home import refresh_home
from handlers.guard import FAILED, Submission, guarded, opened_from, submission
from handlers.meeting_flow import refresh_nudge_messages


def _booking(state: ViewState) -> tuple[datetime | None, str | None]:
    return state.instant(ids.NEXT_STEP_AT), state.text(ids.NEXT_STEP)


@guarded
def booked_it_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(
        ack, body, context, ids.BOOKED_IT_MODAL_VERSION, _booking, key="next_step_id", prefer=ids.NEXT_STEP_AT
    )
    if found is None:
        return
    sub, (at, description) = found
    if isinstance(sub.meta.get("nudge_id"), int):
        _booked_from_nudge(client, sub, at=at, description=description, user_id=body["user"]["id"])
        return
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]

    def book() -> BookedStep:
        return book_step(
            deps.session_factory,
            team_id=team_id,
            user_id=user_id,
            next_step_id=sub.meta["next_step_id"],
            at=at,
            description=description,
            now=deps.clock(),
        )

    booked = sub.save(book)
    if booked is FAILED:
        return
    ack()
    text, blocks = booked_confirmation(
        deal_name=booked.deal_name, description=booked.description, at=booked.at, tz=booked.tz
    )
    message = sub.meta.get("message") or {}
    if message.get("channel") and message.get("ts"):
        # The coaching DM's buttons are spent: say what was done, in place.
        client.chat_update(channel=message["channel"], ts=message["ts"], text=text, blocks=blocks)
    else:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    # The reminders about this step say it is booked, and lose their buttons.
    refresh_nudge_messages(client, deps, team_id=team_id, messages=booked.reminders)
    refresh_home(client, deps, team_id=team_id, user_id=user_id)  # the step is booked there too


def _booked_from_nudge(
    client: WebClient, sub: Submission, *, at: datetime | None, description: str | None, user_id: str
) -> None:
    """The booked-it modal opened from a nudge: book (or move) the step, answer the nudge, update its DM."""
    deps, team_id = sub.deps, sub.team_id

    def book() -> Answered:
        return run(
            deps.session_factory,
            answer_booked,
            team_id=team_id,
            user_id=user_id,
            nudge_id=sub.meta["nudge_id"],
            at=at,
            description=description,
            rescheduled=sub.meta.get("rescheduled") is True,
            now=deps.clock(),
        )

    done = sub.save(book)
    if done is FAILED:
        return
    sub.ack()
    refresh_nudge_messages(client, deps, team_id=team_id, messages=[*done.messages, *opened_from(sub.meta)])
    refresh_home(client, deps, team_id=team_id, user_id=user_id)  # the step is booked there too


def register(app: App) -> None:
    app.view(ids.BOOKED_IT_MODAL)(booked_it_submitted)
