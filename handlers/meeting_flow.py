"""The `/meeting` flow's Slack calls, shared by the command, the buttons and the submission."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.domain.coaching import CoachingInput, Prep, coach
from bot.domain.vocabulary import AskType, MeetingKind, Reaction
from bot.services.accounts import AccountChoice, account_label, open_deals
from bot.services.meetings import LoggedMeeting, replacement_accounts
from bot.services.nudge_answers import nudge_message_for
from bot.services.reps import PROFILE_MAX_AGE, SlackProfile, apply_profile, profile_is_stale, zone
from bot.slack import ids
from bot.slack.blocks.coaching_dm import coaching_message
from bot.slack.blocks.meeting_modal import MeetingModal, meeting_modal
from handlers.deps import Deps
from handlers.modals import open_modal
from handlers.refusals import handle_refusal
from models import Account, Deal, Meeting, NextStep, Rep

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
    deals: list[tuple[int, str]] = []
    if account is not None and not account.is_new:
        with deps.session() as session:
            deals = open_deals(session, team_id, account.value, user_id)
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
    with deps.session() as session:
        account = account_label(session, team_id, account_value) if account_value else None
        deals = open_deals(session, team_id, account.value, user_id) if account else []
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


def refresh_profile(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> None:
    """users.info → the rep's name and timezone, at most daily."""
    now = deps.clock()
    key = (team_id, user_id)
    fresh_until = deps.fresh_profiles.get(key)
    if fresh_until is not None and now < fresh_until:
        return
    with deps.session() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        if not profile_is_stale(rep, now):
            assert rep is not None and rep.timezone_refreshed_at is not None
            deps.fresh_profiles[key] = rep.timezone_refreshed_at + PROFILE_MAX_AGE
            return
    user = client.users_info(user=user_id)["user"]
    with deps.session() as session:
        apply_profile(session, team_id, SlackProfile.from_users_info(user), now, deps.admins)
        session.commit()
    deps.fresh_profiles[key] = now + PROFILE_MAX_AGE


def send_coaching(
    client: WebClient, deps: Deps, *, team_id: str, user_id: str, logged: LoggedMeeting
) -> None:
    """The coaching DM for a freshly logged meeting."""
    try:
        refresh_profile(client, deps, team_id=team_id, user_id=user_id)
    except SlackApiError as error:  # coach anyway, in the zone we last knew
        if not handle_refusal(error, deps, team_id, "users.info before coaching"):
            log.warning("users.info failed team=%s: %s", team_id, error.response.get("error"))
    with deps.session() as session:
        # One statement for what the DM says (it ran five session.get()s before).
        row = session.execute(
            select(
                Meeting.reaction,
                Meeting.ask_text,
                Meeting.ask_type,
                Meeting.kind,
                Deal.id.label("deal_id"),
                Deal.name.label("deal_name"),
                Account.id.label("account_id"),
                Account.name.label("account_name"),
                Account.territory,
                Rep.id.label("rep_id"),
                Rep.timezone,
                Rep.streak,
                NextStep.id.label("step_id"),
                NextStep.description,
                NextStep.scheduled_at,
                NextStep.prep_attendees,
                NextStep.prep_agenda,
                NextStep.prep_materials,
                NextStep.prep_evaluation,
                NextStep.prep_step_after,
            )
            .select_from(Meeting)
            .join(Deal, Deal.id == Meeting.deal_id)
            .join(Account, Account.id == Deal.account_id)
            .join(Rep, Rep.id == Meeting.rep_id)
            .outerjoin(NextStep, NextStep.id == logged.next_step_id)
            .where(Meeting.id == logged.meeting_id)
        ).one()
        reaction = Reaction(row.reaction) if row.reaction else None
        replacements = (
            tuple(replacement_accounts(session, team_id, row.rep_id, row.account_id))
            if reaction is Reaction.DECLINED
            else ()
        )
    step = row.step_id is not None
    inp = CoachingInput(
        rep_tz=zone(row.timezone),
        account_name=row.account_name,
        deal_name=row.deal_name,
        ask_text=row.ask_text,
        chosen=AskType(row.ask_type),
        reaction=reaction,
        kind=MeetingKind(row.kind) if row.kind else None,
        next_step_description=row.description if step else None,
        next_step_at=row.scheduled_at if step else None,
        prep=Prep(
            attendees=row.prep_attendees if step else None,
            agenda=row.prep_agenda if step else None,
            materials=row.prep_materials if step else None,
            evaluation=row.prep_evaluation if step else None,
            step_after=row.prep_step_after if step else None,
        ),
        next_step_id=row.step_id,
        deal_id=row.deal_id,
        replacement_accounts=replacements,
        territory=row.territory,
        # today, the rep's: right after the meeting or days later, never a day gone by
        counted_from=deps.clock().astimezone(zone(row.timezone)).date(),
        streak=row.streak,
    )
    text, blocks = coaching_message(coach(inp), meeting_id=logged.meeting_id)
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def refresh_nudge_messages(
    client: WebClient, deps: Deps, *, team_id: str, messages: Iterable[tuple[str, str]]
) -> None:
    """chat.update each nudge DM in place so it says what was answered; one failure skips only that DM."""
    now = deps.clock()
    for channel, ts in dict.fromkeys(messages):
        with deps.session() as session:
            rendered = nudge_message_for(session, team_id, channel, ts, now)
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
