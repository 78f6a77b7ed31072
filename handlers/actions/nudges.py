"""Buttons and dispatched choices: in the `/meeting` modal, the coaching DM and the nudge DM."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import NotAllowed, UserFacingError
from bot.domain.vocabulary import NextStepStatus
from bot.services.accounts import AccountChoice, account_label
from bot.services.nudge_answers import NOT_YOURS, Answered, NudgeSubject, didnt_happen, snooze, subject_of
from bot.slack import ids
from bot.slack.blocks.booked_it_modal import booked_it_modal
from bot.slack.blocks.mark_lost_modal import mark_lost_modal
from bot.slack.blocks.replacement_modal import replacement_modal
from handlers.clicks import button_value, tell
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal, refresh_meeting_modal, refresh_nudge_messages
from models import Account, Deal, NextStep, Rep

log = logging.getLogger("nextstep")


@guarded
def modal_choice(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Account, deal, ask type or reaction chosen in the open `/meeting` modal: re-render it."""
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != ids.MEETING_MODAL:
        return
    refresh_meeting_modal(
        client, context["deps"], team_id=context["team_id"], view=view, user_id=body["user"]["id"]
    )


def _message_ref(body: dict) -> dict[str, str | None]:
    container = body.get("container") or {}
    return {"channel": container.get("channel_id"), "ts": container.get("message_ts")}


@guarded
def booked_it(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The coaching DM's "Booked it": a small date-time modal for the unscheduled next step."""
    ack()
    deps: Deps = context["deps"]
    raw = button_value(body)
    with deps.session() as session:
        step_id = ids.parse_row_id(raw)
        step = session.get(NextStep, step_id) if step_id else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if step is None or rep is None or step.team_id != context["team_id"] or step.rep_id != rep.id:
            tell(client, body, "That next step isn't one of yours, so I can't book it.")
            return
        if step.status not in (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED):
            tell(
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
    raw = button_value(body)
    with deps.session() as session:
        deal_id = ids.parse_row_id(raw)
        deal = session.get(Deal, deal_id) if deal_id else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if deal is None or rep is None or deal.team_id != context["team_id"] or deal.owner_rep_id != rep.id:
            tell(client, body, "That deal isn't one of yours.")
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
        account = account_label(session, context["team_id"], f"{ids.ACCOUNT_ID_PREFIX}{button_value(body)}")
    open_meeting_modal(
        client,
        deps,
        team_id=context["team_id"],
        trigger_id=body["trigger_id"],
        account=account,
        channel_id=None,
        user_id=body["user"]["id"],
    )


# ---------------------------------------------------------------- the nudge DM's buttons


def _container(body: dict) -> list[tuple[str, str]]:
    """The message the click came from, as (channel, ts), when it is one."""
    ref = _message_ref(body)
    channel, ts = ref["channel"], ref["ts"]
    return [(channel, ts)] if channel and ts else []


def _subject(client: WebClient, body: dict, context: dict, raw: str) -> NudgeSubject | None:
    """The clicked nudge when it is this person's; otherwise a polite refusal and None."""
    deps: Deps = context["deps"]
    nudge_id = ids.parse_row_id(raw)
    try:
        if nudge_id is None:
            raise NotAllowed(NOT_YOURS)
        with deps.session() as session:
            return subject_of(
                session, team_id=context["team_id"], user_id=body["user"]["id"], nudge_id=nudge_id
            )
    except NotAllowed as error:
        tell(client, body, str(error))
        return None


def _already_answered(client: WebClient, body: dict, context: dict, subject: NudgeSubject) -> bool:
    """A click on a stale copy of an answered nudge: show the DM as it stands instead."""
    if subject.answer is None:
        return False
    messages = _container(body) + ([subject.message] if subject.message else [])
    refresh_nudge_messages(client, context["deps"], team_id=context["team_id"], messages=messages)
    return True


@guarded
def nudge_log_meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The nudge's "Log meeting": the `/meeting` modal with its account and deal chosen."""
    ack()
    subject = _subject(client, body, context, button_value(body))
    if subject is None:
        return
    account = (
        AccountChoice(f"{ids.ACCOUNT_ID_PREFIX}{subject.account_id}", subject.account_name)
        if subject.account_id is not None
        else None
    )
    open_meeting_modal(
        client,
        context["deps"],
        team_id=context["team_id"],
        trigger_id=body["trigger_id"],
        account=account,
        channel_id=None,
        user_id=body["user"]["id"],
        deal_id=subject.deal_id if subject.deal_open else None,
    )


def _open_booking(body: dict, client: WebClient, context: dict, *, rescheduled: bool) -> None:
    subject = _subject(client, body, context, button_value(body))
    if subject is None or _already_answered(client, body, context, subject):
        return
    if subject.next_step_id is None or not subject.next_step_open:
        tell(client, body, "That next step is closed already. Log a meeting with /meeting instead.")
        return
    view = booked_it_modal(
        subject.next_step_id,
        subject.description,
        subject.deal_name,
        None if rescheduled else subject.scheduled_at,  # the old time has passed: no use as a default
        nudge_id=subject.nudge_id,
        rescheduled=rescheduled,
    )
    meta = json.loads(view["private_metadata"])
    meta["message"] = _message_ref(body)
    view["private_metadata"] = json.dumps(meta)
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def nudge_booked_it(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """An unscheduled nudge's "Booked it": the date-time modal; saving it answers the nudge."""
    ack()
    _open_booking(body, client, context, rescheduled=False)


@guarded
def nudge_rescheduled(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """An overdue nudge's "Rescheduled": the date-time modal for the new time."""
    ack()
    _open_booking(body, client, context, rescheduled=True)


def _answer_in_place(
    client: WebClient, body: dict, context: dict, raw_id: str, answer: Callable[[Session, int], Answered]
) -> None:
    """Run one nudge answer for the clicking rep; refuse politely, or update the DM(s) in place."""
    deps: Deps = context["deps"]
    nudge_id = ids.parse_row_id(raw_id)
    try:
        if nudge_id is None:
            raise NotAllowed(NOT_YOURS)
        with deps.session() as session:
            done = answer(session, nudge_id)
    except UserFacingError as error:
        tell(client, body, str(error))
        return
    refresh_nudge_messages(
        client, deps, team_id=context["team_id"], messages=[*done.messages, *_container(body)]
    )


@guarded
def nudge_didnt_happen(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """An overdue nudge's "Didn't happen": kept as missed, a new unscheduled step; the DM says so in place."""
    ack()
    deps: Deps = context["deps"]
    _answer_in_place(
        client,
        body,
        context,
        button_value(body),
        lambda session, nudge_id: didnt_happen(
            session,
            team_id=context["team_id"],
            user_id=body["user"]["id"],
            nudge_id=nudge_id,
            now=deps.clock(),
        ),
    )


@guarded
def nudge_snooze(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Snooze chosen in a nudge (option value "<nudge id>:<choice>"): postponed, the DM updated in place."""
    ack()
    deps: Deps = context["deps"]
    option = (body.get("actions") or [{}])[0].get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    raw, _, choice = (value if isinstance(value, str) else "").partition(":")
    _answer_in_place(
        client,
        body,
        context,
        raw,
        lambda session, nudge_id: snooze(
            session,
            team_id=context["team_id"],
            user_id=body["user"]["id"],
            nudge_id=nudge_id,
            choice=choice,
            now=deps.clock(),
        ),
    )


@guarded
def nudge_mark_lost(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The nudge's "Mark lost": a small modal asks why; saving it closes the deal."""
    ack()
    subject = _subject(client, body, context, button_value(body))
    if subject is None or _already_answered(client, body, context, subject):
        return
    view = mark_lost_modal(subject.nudge_id, subject.account_name, subject.deal_name, _message_ref(body))
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def nudge_replace(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """A stalled deal's "Add a replacement deal": the replacement modal, as from the coaching DM."""
    ack()
    subject = _subject(client, body, context, button_value(body))
    if subject is None:
        return
    if subject.deal_id is None:
        tell(client, body, NOT_YOURS)
        return
    view = replacement_modal(subject.deal_id, subject.account_name, subject.deal_name, subject.territory)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def ack_only(ack: Ack) -> None:
    """URL buttons (calendar links) still send an action; Slack wants it acknowledged."""
    ack()


def register(app: App) -> None:
    for action_id in (ids.ACCOUNT, ids.DEAL, ids.ASK_TYPE, ids.REACTION):
        app.block_action(action_id)(modal_choice)
    app.block_action(ids.BOOKED_IT)(booked_it)
    app.block_action(ids.ADD_REPLACEMENT_DEAL)(add_replacement_deal)
    app.block_action(ids.LOG_MEETING_FOR_ACCOUNT)(log_meeting_for_account)
    app.block_action(ids.NUDGE_LOG_MEETING)(nudge_log_meeting)
    app.block_action(ids.NUDGE_BOOKED_IT)(nudge_booked_it)
    app.block_action(ids.NUDGE_RESCHEDULED)(nudge_rescheduled)
    app.block_action(ids.NUDGE_DIDNT_HAPPEN)(nudge_didnt_happen)
    app.block_action(ids.NUDGE_SNOOZE)(nudge_snooze)
    app.block_action(ids.NUDGE_MARK_LOST)(nudge_mark_lost)
    app.block_action(ids.NUDGE_REPLACE)(nudge_replace)
    app.block_action(ids.CALENDAR_GOOGLE)(ack_only)
    app.block_action(ids.CALENDAR_OUTLOOK)(ack_only)
