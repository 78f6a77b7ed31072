"""A replacement account's "Log a meeting" and the nudge's "Log meeting": the `/meeting` modal, prefilled."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.accounts import AccountChoice, account_label
from bot.services.store import run
from bot.slack import ids
from handlers.actions.nudge_clicks import nudge_subject
from handlers.clicks import button_value
from handlers.deps import Deps
from handlers.guard import guarded
from handlers.meeting_flow import open_meeting_modal


@guarded
def log_meeting_for_account(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """A replacement account's "Log a meeting": the `/meeting` modal with that account chosen."""
    ack()
    deps: Deps = context["deps"]
    account = run(
        deps.session_factory,
        account_label,
        context["team_id"],
        f"{ids.ACCOUNT_ID_PREFIX}{button_value(body)}",
    )
    open_meeting_modal(client, body, context, account=account, channel_id=None)


@guarded
def nudge_log_meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The nudge's "Log meeting": the `/meeting` modal with its account and deal chosen."""
    ack()
    subject = nudge_subject(client, body, context, button_value(body))
    if subject is None:
        return
    account = (
        AccountChoice(f"{ids.ACCOUNT_ID_PREFIX}{subject.account_id}", subject.account_name)
        if subject.account_id is not None
        else None
    )
    open_meeting_modal(
        client,
        body,
        context,
        account=account,
        channel_id=None,
        deal_id=subject.deal_id if subject.deal_open else None,
    )


def register(app: App) -> None:
    app.block_action(ids.LOG_MEETING_FOR_ACCOUNT)(log_meeting_for_account)
    app.block_action(ids.NUDGE_LOG_MEETING)(nudge_log_meeting)
