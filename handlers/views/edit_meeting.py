"""The edit-meeting modal's Save: the meeting as corrected; the first version stays in the history."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.vocabulary import AskType, MeetingKind, Reaction
from bot.services.deal_edits import MeetingEdit, edit_meeting
from bot.services.store import run
from bot.slack import ids
from bot.slack.view_state import ViewState
from handlers.events.app_home import refresh_home
from handlers.guard import guarded, submission


def _edit(state: ViewState) -> MeetingEdit:
    return MeetingEdit(
        held_at=state.instant(ids.HELD_AT),
        kind=state.member(ids.KIND, MeetingKind),
        ask_text=state.text(ids.ASK),
        ask_type=state.member(ids.ASK_TYPE, AskType),
        reaction=state.member(ids.REACTION, Reaction),
        notes=state.text(ids.NOTES),
    )


@guarded
def edit_meeting_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    found = submission(ack, body, context, ids.EDIT_MEETING_MODAL_VERSION, _edit, key="meeting_id")
    if found is None:
        return
    sub, edit = found
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]

    def store() -> None:
        run(
            deps.session_factory,
            edit_meeting,
            team_id=team_id,
            user_id=user_id,
            meeting_id=sub.meta["meeting_id"],
            edit=edit,
            now=deps.clock(),
        )

    if sub.saved(store):
        client.chat_postMessage(
            channel=user_id,
            text="Meeting edited. The version you first logged is kept in the deal's history.",
        )
        refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(ids.EDIT_MEETING_MODAL)(edit_meeting_submitted)
