"""The settings modal's Save (admins only): validated next to each field, confirmed by DM."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import FieldErrors, NotAllowed
from bot.domain.settings import Settings
from bot.services.settings import read_settings, save_settings
from bot.slack import ids
from bot.slack.blocks.help import not_admin_text
from bot.slack.view_state import ViewState
from handlers.guard import guarded, modal_error, submission
from handlers.meeting_flow import refresh_profile

log = logging.getLogger("nextstep")

SAVED = "Settings saved. The next leaderboard goes out {when} ({tz})."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _team_keys(view: dict[str, Any]) -> list[str]:
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        return []
    return [str(k) for k in meta.get("teams") or []] if isinstance(meta, dict) else []


@guarded
def settings_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Validate next to each field; store; confirm by DM; fetch the names of reps new to the app."""
    keys = _team_keys(body["view"])

    def read(state: ViewState) -> Settings | FieldErrors:
        try:
            return read_settings(state, keys)
        except FieldErrors as error:
            return error

    found = submission(ack, body, context, ids.SETTINGS_MODAL_VERSION, read, prefer=ids.SETTING_TIMEZONE)
    if found is None:
        return
    sub, form = found
    if isinstance(form, FieldErrors):
        ack(response_action="errors", errors=form.errors)
        return
    deps, team_id, user_id = sub.deps, sub.team_id, body["user"]["id"]

    def store() -> list[str] | None:
        return save_settings(
            deps.session_factory,
            team_id,
            user_id,
            form,
            deps.clock(),
            deps.admins,
            slack_says_admin=lambda: _still_admin(client, user_id),
        )

    try:
        new_reps = store()
    except NotAllowed:
        modal_error(ack, sub.view, not_admin_text(deps.config.multi_workspace), prefer=ids.SETTING_TIMEZONE)
        return
    except FieldErrors as error:  # a team name taken since the modal opened
        ack(response_action="errors", errors=error.errors)
        return
    ack()
    if new_reps is None:  # a workspace the app does not know: a forged submission
        return
    when = f"{WEEKDAYS[form.weekday]} at {form.post_time:%H:%M}"
    client.chat_postMessage(channel=user_id, text=SAVED.format(when=when, tz=form.timezone))
    for rep_user in new_reps:
        try:
            refresh_profile(client, deps, team_id=team_id, user_id=rep_user)
        except SlackApiError as error:
            log.warning("users.info failed team=%s: %s", team_id, error.response.get("error"))


def _still_admin(client: WebClient, user_id: str) -> bool:
    user = client.users_info(user=user_id)["user"]
    return bool(user.get("is_admin") or user.get("is_owner"))


def register(app: App) -> None:
    app.view(ids.SETTINGS_MODAL)(settings_submitted)
