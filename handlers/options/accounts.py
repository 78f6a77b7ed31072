"""Typeaheads (`block_suggestion`): the account field of the `/meeting` modal."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.services import accounts
from bot.services.store import run
from bot.slack import ids
from bot.slack.blocks.common import clip
from handlers.deps import Deps
from handlers.guard import guarded


@guarded
def account_options(ack: Ack, body: dict, context: dict) -> None:
    deps: Deps = context["deps"]
    typed = body.get("value") if isinstance(body.get("value"), str) else ""
    choices = run(
        deps.session_factory, accounts.search_accounts, context["team_id"], body["user"]["id"], typed or ""
    )
    ack(
        options=[
            {"text": {"type": "plain_text", "text": clip(c.label, 75)}, "value": c.value} for c in choices
        ]
    )


def register(app: App) -> None:
    app.options(ids.ACCOUNT)(account_options)
