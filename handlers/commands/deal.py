"""`/nextsteps deal <name>`: the history of a deal the asker may see; nothing about any other."""

from __future__ import annotations

import logging

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy import select

from bot.services.deal_history import find_deals
from bot.services.permissions import reps_managed_by
from bot.slack import ids
from bot.slack.blocks.common import button, section, user_text
from handlers.deal_access import history_view, is_admin
from handlers.deps import Deps
from handlers.modals import open_modal
from models import Account, Rep

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
    with deps.session() as session:
        owners: list[int] | None = None
        if not admin:  # their own deals and their reps': filtered in the query, so none is crowded out
            own = session.scalar(select(Rep.id).where(Rep.team_id == team_id, Rep.user_id == user_id))
            owners = ([own] if own is not None else []) + [
                r.id for r in reps_managed_by(session, team_id, user_id)
            ]
        found = find_deals(session, team_id, text, limit=10, owner_rep_ids=owners)
        shown = [(d.id, d.name, a.name if (a := session.get(Account, d.account_id)) else "") for d in found]
    if not shown:
        log.info("deal lookup found nothing visible team=%s request=%s", team_id, context.get("request_id"))
        respond(
            text=f"I found no deal matching \u201c{user_text(text, 80)}\u201d among the deals you can see."
        )
        return
    if len(shown) == 1:
        view = history_view(deps, team_id, user_id, shown[0][0])
        if view is not None:
            open_modal(client, body, context, view)
            return
    blocks = [section(f"Deals matching \u201c{user_text(text, 80)}\u201d:", block_id="deal_matches")]
    for deal_id, name, account in shown:
        blocks.append(
            section(
                f"*{user_text(account, 100)}* \u00b7 {user_text(name, 100)}",
                block_id=f"deal_match_{deal_id}",
                accessory=button(
                    "History", ids.OPEN_DEAL, value=str(deal_id), label=f"History of {account}, {name}"
                ),
            )
        )
    respond(text=f"{len(shown)} deals match.", blocks=blocks)
