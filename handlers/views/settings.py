"""The settings modal's Save (admins only): validated next to each field, confirmed by DM."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import FieldErrors
from bot.services.settings import apply_settings, read_settings
from bot.slack import ids
from bot.slack.blocks.help import not_admin_text
from bot.slack.view_state import ViewState
from handlers.deps import Deps
from handlers.guard import guarded, modal_error
from handlers.meeting_flow import refresh_profile
from models import Workspace

log = logging.getLogger("nextstep")

SAVED = "Settings saved. The next leaderboard goes out {when} ({tz})."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _team_keys(view: dict[str, Any]) -> list[str] | None:
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("v") != ids.SETTINGS_MODAL_VERSION:
        return None
    return [str(k) for k in meta.get("teams") or []]


@guarded
def settings_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Validate next to each field; store; confirm by DM; fetch the names of reps new to the app."""
    deps: Deps = context["deps"]
    view = body.get("view") or {}
    team_id, user_id = context["team_id"], body["user"]["id"]
    keys = _team_keys(view)
    if keys is None:
        modal_error(ack, view, "This form changed since you opened it. Please close it and open it again.")
        return
    try:
        form = read_settings(ViewState.parse(view.get("state")), keys)
    except FieldErrors as error:
        ack(response_action="errors", errors=error.errors)
        return
    with deps.session() as session:
        workspace = session.get(Workspace, team_id)
        # The opener was checked when the modal opened; this guards a forged or late submission.
        if workspace is None:
            ack()
            return
        admin_checked = deps.admins.by_record(user_id, workspace) or _still_admin(client, user_id)
        if not admin_checked:
            modal_error(ack, view, not_admin_text(deps.config.multi_workspace), prefer=ids.SETTING_TIMEZONE)
            return
        try:
            new_reps = apply_settings(session, team_id, form, user_id, deps.clock())
        except FieldErrors as error:  # a team name taken since the modal opened
            ack(response_action="errors", errors=error.errors)
            return
    ack()
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
