"""`/nextsteps settings`: admins get the settings modal. Its Save is handlers/views/settings.py."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.services.reps import SlackProfile, apply_profile
from bot.services.settings import settings_view
from bot.slack.blocks.help import not_admin_text
from bot.slack.blocks.settings_modal import settings_modal
from handlers.commands.welcome import FIRST_USE
from handlers.deps import Deps
from handlers.modals import open_modal
from models import Workspace


def _admin_profile(client: WebClient, deps: Deps, team_id: str, user_id: str) -> tuple[SlackProfile, bool]:
    profile = SlackProfile.from_users_info(client.users_info(user=user_id)["user"])
    with FIRST_USE, deps.session() as session:
        apply_profile(session, team_id, profile, deps.clock(), deps.admins)
        session.commit()
        workspace = session.get(Workspace, team_id)
        return profile, deps.admins.include(profile, workspace)


def settings_command(ack: Ack, body: dict, client: WebClient, context: dict, first: str = "") -> None:
    """Admins get the settings modal (the teams named like ``first`` first); anyone else a polite refusal."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    _, admin = _admin_profile(client, deps, team_id, user_id)
    if not admin:
        ack(text=not_admin_text(deps.config.multi_workspace))
        return
    with deps.session() as session:
        workspace = session.get(Workspace, team_id)
        assert workspace is not None
        view = settings_modal(settings_view(session, workspace, first))
    ack()
    open_modal(client, body, context, view)
