"""The `/meeting` flow's Slack calls, shared by the command, the buttons and the submission."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.coaching import coach
from bot.domain.vocabulary import AskType, Reaction
from bot.services.accounts import AccountChoice, chosen_account, open_deals
from bot.services.meetings import LoggedMeeting, replacement_accounts
from bot.services.nudge_answers import nudge_message_for
from bot.services.reps import PROFILE_MAX_AGE, SlackProfile, profile_fresh_until, store_profile, zone
from bot.services.store import run
from bot.slack import ids
from bot.slack.blocks.coaching_dm import coaching_message
from bot.slack.blocks.meeting_modal import MeetingModal, meeting_modal
from handlers.deps import Deps
from handlers.modals import open_modal
from handlers.refusals import handle_refusal

log = logging.getLogger("nextstep")
_E = TypeVar("_E", AskType, Reaction)


def meeting_view(
    deps: Deps,
    *,
    team_id: str,
    account: AccountChoice | None,
    channel_id: str | None,
    deal_id: int | None = None,
    user_id: str | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """The `/meeting` modal as first shown; ``deal_id`` preselects that deal when it is one of the
    account's open deals, ``notes`` pre-fills the notes (the message shortcut)."""
    deals = run(deps.session_factory, open_deals, team_id, account.value, user_id) if account else []
    return meeting_modal(
        MeetingModal(
            now=deps.clock(),
            account=(account.value, account.label) if account else None,
            deals=deals,
            deal=str(deal_id) if deal_id is not None else None,
            channel_id=channel_id,
            notes=notes,
        )
    )


def open_meeting_modal(
    client: WebClient,
    body: dict[str, Any],
    context: dict[str, Any],
    *,
    account: AccountChoice | None,
    channel_id: str | None,
    deal_id: int | None = None,
    notes: str | None = None,
) -> bool:
    """views.open: the trigger expires 3 s after the click, so this runs first thing. True when open."""
    user = body.get("user") or {}
    view = meeting_view(
        context["deps"],
        team_id=context["team_id"],
        account=account,
        channel_id=channel_id,
        deal_id=deal_id,
        user_id=user.get("id") if isinstance(user, dict) else None,
        notes=notes,
    )
    return open_modal(client, body, context, view)


def refresh_meeting_modal(
    client: WebClient, deps: Deps, *, team_id: str, view: dict[str, Any], user_id: str | None = None
) -> None:
    """Re-render the open modal after a choice (account, deal, reaction), keeping what was typed."""
    values: dict[str, dict[str, Any]] = {}
    for actions in ((view.get("state") or {}).get("values") or {}).values():
        values.update(actions)

    def chosen(action_id: str) -> str | None:
        option = (values.get(action_id) or {}).get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None  # a client may send anything
        return value if isinstance(value, str) else None

    account_value = chosen(ids.ACCOUNT)
    account, deals = chosen_account(deps.session_factory, team_id, account_value, user_id)
    try:
        channel_id = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (ValueError, AttributeError):
        channel_id = None
    new_view = meeting_modal(
        MeetingModal(
            now=deps.clock(),
            account=(account.value, account.label) if account else None,
            deals=deals,
            deal=chosen(ids.DEAL),
            ask_type=_member(AskType, chosen(ids.ASK_TYPE)),
            reaction=_member(Reaction, chosen(ids.REACTION)),
            channel_id=channel_id,
        )
    )
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=new_view)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        # A newer choice already re-rendered the modal; that render wins.
        log.info("views.update hash_conflict team=%s view=%s", team_id, view.get("id"))


def _member(enum: type[_E], value: str | None) -> _E | None:
    try:
        return enum(value) if value is not None else None
    except ValueError:
        return None


def refresh_profile(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> str | None:
    """users.info → the rep's name and timezone, at most daily. The zone it stored, if it asked."""
    now = deps.clock()
    key = (team_id, user_id)
    fresh_until = deps.fresh_profiles.get(key)
    if fresh_until is not None and now < fresh_until:
        return None
    stored_until = profile_fresh_until(deps.session_factory, team_id, user_id, now)
    if stored_until is not None:
        deps.fresh_profiles[key] = stored_until
        return None
    user = client.users_info(user=user_id)["user"]
    profile = SlackProfile.from_users_info(user)
    store_profile(deps.session_factory, team_id, profile, now, deps.admins)
    deps.fresh_profiles[key] = now + PROFILE_MAX_AGE
    return profile.timezone


def send_coaching(
    client: WebClient, deps: Deps, *, team_id: str, user_id: str, logged: LoggedMeeting
) -> None:
    """The coaching DM for a freshly logged meeting."""
    assert logged.coaching is not None
    inp = logged.coaching
    try:
        timezone = refresh_profile(client, deps, team_id=team_id, user_id=user_id)
    except SlackApiError as error:  # coach anyway, in the zone we last knew
        timezone = None
        if not handle_refusal(error, deps, team_id, "users.info before coaching"):
            log.warning("users.info failed team=%s: %s", team_id, error.response.get("error"))
    tz = zone(timezone) if timezone is not None else inp.rep_tz
    # today, the rep's: right after the meeting or days later, never a day gone by
    inp = replace(inp, rep_tz=tz, counted_from=deps.clock().astimezone(tz).date())
    if inp.reaction is Reaction.DECLINED:  # the rep's other accounts to work instead
        found = run(deps.session_factory, replacement_accounts, team_id, logged.rep_id, logged.account_id)
        inp = replace(inp, replacement_accounts=tuple(found))
    text, blocks = coaching_message(coach(inp), meeting_id=logged.meeting_id)
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def refresh_nudge_messages(
    client: WebClient, deps: Deps, *, team_id: str, messages: Iterable[tuple[str, str]]
) -> None:
    """chat.update each nudge DM in place so it says what was answered; one failure skips only that DM."""
    now = deps.clock()
    for channel, ts in dict.fromkeys(messages):
        rendered = run(deps.session_factory, nudge_message_for, team_id, channel, ts, now)
        if rendered is None:
            continue  # not a nudge DM we know (an older copy of one, say)
        text, blocks = rendered
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            if not handle_refusal(error, deps, team_id, "nudge DM not updated"):
                log.warning(
                    "nudge DM not updated team=%s channel=%s: %s",
                    team_id,
                    channel,
                    error.response.get("error"),
                )
