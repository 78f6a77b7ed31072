"""Buttons and dispatched choices: in the `/meeting` modal and in the coaching DM."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import select

from bot import ids
from bot.accounts import account_label
from bot.blocks.booked_it_modal import booked_it_modal
from bot.blocks.replacement_modal import replacement_modal
from bot.vocabulary import NextStepStatus
from handlers import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal, refresh_meeting_modal
from models import Account, Deal, NextStep, Rep

log = logging.getLogger("nextstep")


@guarded
def modal_choice(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Account, deal, ask type or reaction chosen in the open `/meeting` modal: re-render it."""
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != ids.MEETING_MODAL:
        return
    refresh_meeting_modal(client, context["deps"], team_id=context["team_id"], view=view)


def _message_ref(body: dict) -> dict[str, str | None]:
    container = body.get("container") or {}
    return {"channel": container.get("channel_id"), "ts": container.get("message_ts")}


def _button_value(body: dict) -> str:
    action = (body.get("actions") or [{}])[0]
    value = action.get("value")
    return value if isinstance(value, str) else ""


def _refuse(client: WebClient, body: dict, text: str) -> None:
    channel = (body.get("channel") or {}).get("id") or body["user"]["id"]
    client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)


@guarded
def booked_it(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The coaching DM's "Booked it": a small date-time modal for the unscheduled next step."""
    ack()
    deps: Deps = context["deps"]
    raw = _button_value(body)
    with deps.session() as session:
        step = session.get(NextStep, int(raw)) if raw.isdigit() else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if step is None or rep is None or step.team_id != context["team_id"] or step.rep_id != rep.id:
            _refuse(client, body, "That next step isn't one of yours, so I can't book it.")
            return
        if step.status not in (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED):
            _refuse(
                client, body, f"That next step is already {step.status}. Log a meeting with /meeting instead."
            )
            return
        deal = session.get(Deal, step.deal_id)
        view = booked_it_modal(step.id, step.description, deal.name if deal else "", step.scheduled_at)
    meta = json.loads(view["private_metadata"])
    meta["message"] = _message_ref(body)
    view["private_metadata"] = json.dumps(meta)
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def add_replacement_deal(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The declined deal's "Add a replacement deal": account and deal name, linked to the lost one."""
    ack()
    deps: Deps = context["deps"]
    raw = _button_value(body)
    with deps.session() as session:
        deal = session.get(Deal, int(raw)) if raw.isdigit() else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if deal is None or rep is None or deal.team_id != context["team_id"] or deal.owner_rep_id != rep.id:
            _refuse(client, body, "That deal isn't one of yours.")
            return
        account = session.get(Account, deal.account_id)
        view = replacement_modal(
            deal.id, account.name if account else "", deal.name, account.territory if account else None
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def log_meeting_for_account(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """A replacement account's "Log a meeting": the `/meeting` modal with that account chosen."""
    ack()
    deps: Deps = context["deps"]
    with deps.session() as session:
        account = account_label(session, context["team_id"], f"{ids.ACCOUNT_ID_PREFIX}{_button_value(body)}")
    open_meeting_modal(
        client,
        deps,
        team_id=context["team_id"],
        trigger_id=body["trigger_id"],
        account=account,
        channel_id=None,
    )


def ack_only(ack: Ack) -> None:
    """URL buttons (calendar links) still send an action; Slack wants it acknowledged."""
    ack()


def register(app: App) -> None:
    for action_id in (ids.ACCOUNT, ids.DEAL, ids.ASK_TYPE, ids.REACTION):
        app.block_action(action_id)(modal_choice)
    app.block_action(ids.BOOKED_IT)(booked_it)
    app.block_action(ids.ADD_REPLACEMENT_DEAL)(add_replacement_deal)
    app.block_action(ids.LOG_MEETING_FOR_ACCOUNT)(log_meeting_for_account)
    app.block_action(ids.CALENDAR_GOOGLE)(ack_only)
    app.block_action(ids.CALENDAR_OUTLOOK)(ack_only)
