"""The edit-meeting modal's Save: the meeting as corrected; the first version stays in the history."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.vocabulary import AskType, MeetingKind, Reaction
from bot.services.deal_edits import MeetingEdit, edit_meeting
from bot.slack import ids
from handlers.deps import Deps
from handlers.events.app_home import refresh_home
from handlers.guard import guarded, saved, submitted


@guarded
def edit_meeting_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = submitted(ack, body, ids.EDIT_MEETING_MODAL_VERSION, "meeting_id")
    if found is None:
        return
    view, state, meeting_id = found

    def enum(action_id: str, kind: Any) -> Any:
        value = state.option(action_id)
        return kind(value) if value in set(kind) else None

    edit = MeetingEdit(
        held_at=state.instant(ids.HELD_AT),
        kind=enum(ids.KIND, MeetingKind),
        ask_text=state.text(ids.ASK),
        ask_type=enum(ids.ASK_TYPE, AskType),
        reaction=enum(ids.REACTION, Reaction),
        notes=state.text(ids.NOTES),
    )
    team_id, user_id = context["team_id"], body["user"]["id"]

    def save() -> None:
        with deps.session() as session:
            edit_meeting(
                session, team_id=team_id, user_id=user_id, meeting_id=meeting_id, edit=edit, now=deps.clock()
            )

    if saved(ack, context, view, state, save):
        client.chat_postMessage(
            channel=user_id,
            text="Meeting edited. The version you first logged is kept in the deal's history.",
        )
        refresh_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(ids.EDIT_MEETING_MODAL)(edit_meeting_submitted)
