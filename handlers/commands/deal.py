"""`/nextsteps deal <name>`: the history of a deal the asker may see; nothing about any other."""

from __future__ import annotations

import logging

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.services.deal_history import deals_visible_to
from bot.slack.blocks.deal_history import deal_matches, no_deal_matches
from handlers.deal_access import history_view, is_admin
from handlers.deps import Deps
from handlers.modals import open_modal

log = logging.getLogger("nextstep")


def deal_command(ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict, text: str) -> None:
    """`/nextsteps deal <name>`: the history of a deal the asker may see; nothing about any other."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    if not text.strip():
        respond(text="Which deal? For example `/nextsteps deal Acme`.")
        return
    admin = is_admin(client, deps, team_id, user_id)
    shown = deals_visible_to(deps.session_factory, team_id, user_id, text, admin)
    if not shown:
        log.info("deal lookup found nothing visible team=%s request=%s", team_id, context.get("request_id"))
        respond(text=no_deal_matches(text))
        return
    if len(shown) == 1:
        view = history_view(deps, team_id, user_id, shown[0].deal_id)
        if view is not None:
            open_modal(client, body, context, view)
            return
    reply, blocks = deal_matches(text, [(d.deal_id, d.name, d.account_name) for d in shown])
    respond(text=reply, blocks=blocks)
