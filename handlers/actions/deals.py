"""The pipeline in Slack: App Home, deal history, deal and meeting edits, `/nextsteps deal|team|export`."""

from __future__ import annotations

import logging
import os
import tempfile
import urllib.request
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.domain.errors import NotAllowed, UserFacingError
from bot.domain.pipeline import hygiene
from bot.domain.vocabulary import (
    AskType,
    DealStatus,
    LostReason,
    MeetingKind,
    NextStepStatus,
    Reaction,
    RepStatus,
)
from bot.services.accounts import AccountChoice
from bot.services.deal_edits import (
    DealDetails,
    MeetingEdit,
    close_deal,
    edit_deal,
    edit_meeting,
    editable_meeting,
    owned_deal,
    reassign_deal,
    withdraw_meeting,
)
from bot.services.deal_history import find_deals, load_history
from bot.services.export import parse_export, write_csv
from bot.services.permissions import manager_of, may_see_deal, reps_managed_by
from bot.services.pipeline import load_pipeline
from bot.services.reps import SlackProfile, zone
from bot.slack import ids
from bot.slack.blocks.booked_it_modal import booked_it_modal
from bot.slack.blocks.coaching_dm import WITHDRAWN_NOTE, withdrawn_in_place
from bot.slack.blocks.common import button, section, user_text
from bot.slack.blocks.deal_history import history_modal
from bot.slack.blocks.deal_modals import deal_lost_modal, edit_deal_modal, edit_meeting_modal, reassign_modal
from bot.slack.blocks.team_pipeline import NOT_A_MANAGER, team_message
from bot.slack.view_state import ViewState
from handlers.deps import Deps
from handlers.events.app_home import publish_home
from handlers.guard import REOPEN, guarded, modal_error, saved, view_metadata
from handlers.meeting_flow import open_meeting_modal, refresh_nudge_messages
from models import Account, Deal, NextStep, Rep, Workspace

log = logging.getLogger("nextstep")

# The same words whether the deal is someone else's, in another workspace or does not exist.
DEAL_REFUSED = (
    "I can't show you that deal. You can see your own deals, those of the reps you manage, "
    "and every deal if you're a workspace admin."
)
TEAM_EXPORT_REFUSED = (
    "`/nextsteps export team` is for managers and admins. `/nextsteps export` (or `export mine`) "
    "gives you your own meetings."
)


_int = ids.parse_row_id


def _button_value(body: dict) -> str:
    value = (body.get("actions") or [{}])[0].get("value")
    return value if isinstance(value, str) else ""


def _tell(client: WebClient, body: dict, text: str) -> None:
    """A short private answer where the click happened (the DM when it came from the Home tab)."""
    user_id = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or user_id
    client.chat_postEphemeral(channel=channel, user=user_id, text=text)


def _admin(client: WebClient, deps: Deps, team_id: str, user_id: str) -> bool:
    """In NEXTSTEP_ADMINS, the OAuth installer, or a Slack admin or owner (users.info)."""
    with deps.session() as session:
        workspace = session.get(Workspace, team_id)
        if deps.admins.by_record(user_id, workspace):
            return True
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.warning("users.info failed team=%s: %s", team_id, error.response.get("error"))
        return False
    return deps.admins.include(SlackProfile.from_users_info(user), workspace)


def _may_see(client: WebClient, deps: Deps, team_id: str, user_id: str, deal_id: int | None) -> bool:
    """Owner, their manager, or an admin; Slack is asked about admin only for a deal of this workspace."""
    if deal_id is None:
        return False
    with deps.session() as session:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.team_id != team_id:
            return False
        if may_see_deal(session, deal, team_id, user_id, admin=False):
            return True
    return _admin(client, deps, team_id, user_id)


def _history_view(deps: Deps, team_id: str, user_id: str, deal_id: int) -> dict | None:
    """The history modal; call only once ``_may_see`` said yes (a viewer who isn't the owner may reassign)."""
    now = deps.clock()
    with deps.session() as session:
        viewer = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        history = load_history(session, team_id, deal_id, now)
        deal = session.get(Deal, deal_id)
        tz = zone(viewer.timezone if viewer else None)
        owner_is_viewer = deal is not None and viewer is not None and deal.owner_rep_id == viewer.id
    return history_modal(history, now, tz, can_reassign=not owner_is_viewer) if history else None


# ---------------------------------------------------------------- App Home


@guarded
def home_opened(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    ack()
    event = body.get("event") or {}
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home(client, context["deps"], team_id=context["team_id"], user_id=event["user"])


@guarded
def home_page(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    ack()
    start = _int(_button_value(body)) or 0
    publish_home(
        client, context["deps"], team_id=context["team_id"], user_id=body["user"]["id"], page_start=start
    )


@guarded
def open_deal(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The deal's history, from the Home tab, a nudge or the manager's digest (value: deal id)."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    deal_id = _int(_button_value(body))
    view = (
        _history_view(deps, team_id, user_id, deal_id)
        if deal_id is not None and _may_see(client, deps, team_id, user_id, deal_id)
        else None
    )
    if view is None:
        log.info("deal history refused team=%s request=%s", team_id, context.get("request_id"))
        _tell(client, body, DEAL_REFUSED)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def home_log_meeting(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The Home tab's "Log a meeting": the `/meeting` modal with the deal's account and the deal chosen."""
    ack()
    deps: Deps = context["deps"]
    team_id = context["team_id"]
    try:
        with deps.session() as session:
            deal = owned_deal(session, team_id, body["user"]["id"], _int(_button_value(body)) or 0)
            account = session.get(Account, deal.account_id)
            choice = AccountChoice(
                f"{ids.ACCOUNT_ID_PREFIX}{deal.account_id}", account.name if account else ""
            )
            deal_id = deal.id if deal.status == DealStatus.OPEN else None
    except NotAllowed as error:
        _tell(client, body, str(error))
        return
    open_meeting_modal(
        client,
        deps,
        team_id=team_id,
        trigger_id=body["trigger_id"],
        account=choice,
        channel_id=None,
        user_id=body["user"]["id"],
        deal_id=deal_id,
    )


@guarded
def home_book_step(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The Home tab's "Book the next step": the same small "Booked it" modal as the coaching DM's."""
    ack()
    deps: Deps = context["deps"]
    step_id = _int(_button_value(body))
    with deps.session() as session:
        step = session.get(NextStep, step_id) if step_id else None
        rep = session.scalar(
            select(Rep).where(Rep.team_id == context["team_id"], Rep.user_id == body["user"]["id"])
        )
        if step is None or rep is None or step.team_id != context["team_id"] or step.rep_id != rep.id:
            _tell(client, body, "That next step isn't one of yours, so I can't book it.")
            return
        if step.status not in (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED):
            _tell(client, body, f"That next step is already {step.status}. Log a meeting instead.")
            return
        deal = session.get(Deal, step.deal_id)
        view = booked_it_modal(step.id, step.description, deal.name if deal else "", step.scheduled_at)
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def home_deal_menu(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """The deal's overflow menu: edit the deal, mark it won, mark it lost."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    option = (body.get("actions") or [{}])[0].get("selected_option") or {}
    choice, _, raw = str(option.get("value") or "").partition(":")
    deal_id = _int(raw) or 0
    try:
        with deps.session() as session:
            deal = owned_deal(session, team_id, user_id, deal_id)
            account = session.get(Account, deal.account_id)
            account_name = account.name if account else ""
            if choice == "edit":
                view = edit_deal_modal(
                    deal.id, account_name, deal.name, deal.amount, deal.stage, deal.expected_close
                )
            elif choice == "lost":
                view = deal_lost_modal(deal.id, account_name, deal.name)
            elif choice == "won":
                messages = close_deal(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    deal_id=deal.id,
                    won=True,
                    reason=None,
                    now=deps.clock(),
                )
                view = None
            else:
                raise NotAllowed("That choice isn't offered.")
    except UserFacingError as error:
        _tell(client, body, str(error))
        return
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)
        return
    refresh_nudge_messages(client, deps, team_id=team_id, messages=messages)
    publish_home(client, deps, team_id=team_id, user_id=user_id)


@guarded
def edit_meeting_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """ "Edit it" on the last meeting (coaching DM or Home tab): the edit modal, within 7 days."""
    ack()
    deps: Deps = context["deps"]
    try:
        with deps.session() as session:
            meeting = editable_meeting(
                session,
                team_id=context["team_id"],
                user_id=body["user"]["id"],
                meeting_id=_int(_button_value(body)) or 0,
                now=deps.clock(),
            )
            deal = session.get(Deal, meeting.deal_id)
            account = session.get(Account, deal.account_id) if deal else None
            view = edit_meeting_modal(meeting, account.name if account else "", deal.name if deal else "")
    except UserFacingError as error:
        _tell(client, body, str(error))
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


@guarded
def withdraw_meeting_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """ "Withdraw it": out of the metrics, still in the deal's history."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    try:
        with deps.session() as session:
            withdraw_meeting(
                session,
                team_id=team_id,
                user_id=user_id,
                meeting_id=_int(_button_value(body)) or 0,
                now=deps.clock(),
            )
    except UserFacingError as error:
        _tell(client, body, str(error))
        return
    _tell(client, body, WITHDRAWN_NOTE)
    message, container = body.get("message"), body.get("container") or {}
    if isinstance(message, dict) and container.get("type") == "message" and message.get("blocks"):
        # the coaching DM it came from loses its Edit/Withdraw buttons and says what was done
        client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=str(message.get("text") or WITHDRAWN_NOTE),
            blocks=withdrawn_in_place(message["blocks"]),
        )
    publish_home(client, deps, team_id=team_id, user_id=user_id)


# ---------------------------------------------------------------- modal submissions


def _submitted(
    ack: Ack, body: dict, context: dict, version: str, key: str
) -> tuple[dict[str, Any], ViewState, int] | None:
    view = body["view"]
    meta = view_metadata(view, version)
    if meta is None or not isinstance(meta.get(key), int):
        modal_error(ack, view, REOPEN)
        return None
    state = ViewState.parse(view.get("state"))
    return view, state, meta[key]


@guarded
def edit_deal_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = _submitted(ack, body, context, ids.EDIT_DEAL_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    raw_close = ((state.values.get(ids.DEAL_CLOSE) or ("", {}))[1]).get("selected_date")
    try:
        from datetime import date

        close = date.fromisoformat(raw_close) if isinstance(raw_close, str) else None
    except ValueError:
        close = None
    details = DealDetails(
        state.text(ids.DEAL_NAME), state.text(ids.DEAL_AMOUNT), state.text(ids.DEAL_STAGE), close
    )
    team_id, user_id = context["team_id"], body["user"]["id"]

    def save() -> None:
        with deps.session() as session:
            edit_deal(
                session, team_id=team_id, user_id=user_id, deal_id=deal_id, details=details, now=deps.clock()
            )

    if saved(ack, context, view, state, save):
        publish_home(client, deps, team_id=team_id, user_id=user_id)


@guarded
def deal_lost_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = _submitted(ack, body, context, ids.DEAL_LOST_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    raw = state.option(ids.LOST_REASON)
    reason = LostReason(raw) if raw in set(LostReason) else None
    team_id, user_id = context["team_id"], body["user"]["id"]
    messages: list[tuple[str, str]] = []

    def save() -> None:
        with deps.session() as session:
            messages.extend(
                close_deal(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    deal_id=deal_id,
                    won=False,
                    reason=reason,
                    now=deps.clock(),
                )
            )

    if saved(ack, context, view, state, save):
        refresh_nudge_messages(client, deps, team_id=team_id, messages=messages)
        publish_home(client, deps, team_id=team_id, user_id=user_id)


@guarded
def reassign_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = _submitted(ack, body, context, ids.REASSIGN_MODAL_VERSION, "deal_id")
    if found is None:
        return
    view, state, deal_id = found
    to_user = ((state.values.get(ids.REASSIGN_TO) or ("", {}))[1]).get("selected_user")
    team_id, user_id = context["team_id"], body["user"]["id"]
    admin = _admin(client, deps, team_id, user_id)

    def save() -> None:
        with deps.session() as session:
            reassign_deal(
                session,
                team_id=team_id,
                user_id=user_id,
                admin=admin,
                deal_id=deal_id,
                to_user_id=to_user if isinstance(to_user, str) else "",
                now=deps.clock(),
            )

    saved(ack, context, view, state, save)


@guarded
def edit_meeting_submitted(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    deps: Deps = context["deps"]
    found = _submitted(ack, body, context, ids.EDIT_MEETING_MODAL_VERSION, "meeting_id")
    if found is None:
        return
    view, state, meeting_id = found

    def enum(action_id: str, kind: Any) -> Any:
        value = state.option(action_id)
        return kind(value) if value in set(kind) else None

    edit = MeetingEdit(
        held_at=state.instant(ids.HELD_AT),
        kind=enum(ids.KIND, MeetingKind),
        ask_text=state.text(ids.ASK),
        ask_type=enum(ids.ASK_TYPE, AskType),
        reaction=enum(ids.REACTION, Reaction),
        notes=state.text(ids.NOTES),
    )
    team_id, user_id = context["team_id"], body["user"]["id"]

    def save() -> None:
        with deps.session() as session:
            edit_meeting(
                session, team_id=team_id, user_id=user_id, meeting_id=meeting_id, edit=edit, now=deps.clock()
            )

    if saved(ack, context, view, state, save):
        client.chat_postMessage(
            channel=user_id,
            text="Meeting edited. The version you first logged is kept in the deal's history.",
        )
        publish_home(client, deps, team_id=team_id, user_id=user_id)


# ---------------------------------------------------------------- /nextsteps deal | team | export


def deal_command(ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict, text: str) -> None:
    """`/nextsteps deal <name>`: the history of a deal the asker may see; nothing about any other."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    if not text.strip():
        respond(text="Which deal? For example `/nextsteps deal Acme`.")
        return
    admin = _admin(client, deps, team_id, user_id)
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
        view = _history_view(deps, team_id, user_id, shown[0][0])
        if view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
    blocks = [section(f"Deals matching \u201c{user_text(text, 80)}\u201d:", block_id="deal_matches")]
    for deal_id, name, account in shown:
        blocks.append(
            section(
                f"*{user_text(account, 100)}* \u00b7 {user_text(name, 100)}",
                block_id=f"deal_match_{deal_id}",
                accessory=button("History", ids.OPEN_DEAL, value=str(deal_id)),
            )
        )
    respond(text=f"{len(shown)} deals match.", blocks=blocks)


def team_command(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """`/nextsteps team`: the pipelines and hygiene of the manager's reps."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    now = deps.clock()
    with deps.session() as session:
        reps = reps_managed_by(session, team_id, user_id)
        if not reps:
            ack(text=NOT_A_MANAGER)
            return
        rows = [
            hygiene(r.display_name, r.status == RepStatus.LEFT, load_pipeline(session, team_id, r, now), now)
            for r in reps
        ]
    text, blocks = team_message(rows)
    ack(text=text, blocks=blocks)


def export_command(
    ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict, words: list[str]
) -> None:
    """`/nextsteps export [mine|team] [from] [to]`: a CSV of what the asker may see, uploaded to their DM."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    now = deps.clock()
    with deps.session() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        tz = zone(rep.timezone if rep else None)
        try:
            request = parse_export(words, now.astimezone(tz).date())
        except UserFacingError as error:
            ack(text=str(error))
            return
        rep_ids: list[int] | None
        if request.scope == "mine":
            rep_ids = [rep.id] if rep else []
        else:
            rep_ids = [r.id for r in reps_managed_by(session, team_id, user_id)]
    if request.scope == "team" and not rep_ids:
        if not _admin(client, deps, team_id, user_id):
            ack(text=TEAM_EXPORT_REFUSED)
            return
        rep_ids = None  # an admin who manages no team: the whole workspace
    ack(text="Preparing your export. It will arrive in your DM with me in a moment.")
    path = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".csv", delete=False, newline="", encoding="utf-8"
        ) as out:
            path = out.name
            with deps.session() as session:
                count = write_csv(
                    session,
                    out,
                    team_id=team_id,
                    rep_ids=rep_ids,
                    start=request.start,
                    end=request.end,
                    tz=tz,
                )
        upload_file(
            client,
            path,
            channel_user=user_id,
            filename=f"nextstep-{request.scope}-{now:%Y%m%d}.csv",
            comment=f"Your export: {count} {'meeting' if count == 1 else 'meetings'} "
            f"({'your team' if request.scope == 'team' else 'yours'}"
            + (f", from {request.start}" if request.start else "")
            + (f" to {request.end}" if request.end else "")
            + ").",
        )
    finally:
        if path:
            os.unlink(path)


def upload_file(client: WebClient, path: str, *, channel_user: str, filename: str, comment: str) -> None:
    """Slack's v2 upload, with the bytes streamed from disk (slack_sdk's files_upload_v2 reads them all into memory)."""
    length = os.path.getsize(path)
    posted = client.chat_postMessage(channel=channel_user, text=comment)
    ticket = client.files_getUploadURLExternal(filename=filename, length=length)
    with open(path, "rb") as data:
        request = urllib.request.Request(
            ticket["upload_url"],
            data=data,
            headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
    client.files_completeUploadExternal(
        files=[{"id": ticket["file_id"], "title": filename}], channel_id=posted["channel"]
    )


def reassign_clicked(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    """Open the reassign modal for a manager or an admin (the button appears in the deal history)."""
    ack()
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user"]["id"]
    deal_id = _int(_button_value(body))
    with deps.session() as session:
        deal = session.get(Deal, deal_id) if deal_id else None
        owner = session.get(Rep, deal.owner_rep_id) if deal else None
        allowed = (
            deal is not None
            and owner is not None
            and deal.team_id == team_id
            and manager_of(session, owner) == user_id
        )
        names = (
            (session.get(Account, deal.account_id), deal.name, owner.display_name) if deal and owner else None
        )
    if not allowed and not (
        deal is not None and deal.team_id == team_id and _admin(client, deps, team_id, user_id)
    ):
        _tell(client, body, "Only the rep's manager or an admin can reassign a deal.")
        return
    assert names is not None and deal_id is not None
    account, name, owner_name = names
    client.views_open(
        trigger_id=body["trigger_id"],
        view=reassign_modal(deal_id, account.name if account else "", name, owner_name),
    )


def register(app: App) -> None:
    """Also registers this feature's modal submissions (handlers.views, wired after, ends with the catch-all)."""
    app.event("app_home_opened")(home_opened)
    app.block_action(ids.OPEN_DEAL)(open_deal)
    app.block_action(ids.HOME_PAGE)(home_page)
    app.block_action(ids.HOME_LOG_MEETING)(home_log_meeting)
    app.block_action(ids.HOME_BOOK_STEP)(home_book_step)
    app.block_action(ids.HOME_DEAL_MENU)(home_deal_menu)
    app.block_action(ids.EDIT_MEETING)(edit_meeting_clicked)
    app.block_action(ids.WITHDRAW_MEETING)(withdraw_meeting_clicked)
    app.block_action(ids.REASSIGN_DEAL)(guarded(reassign_clicked))
    app.view(ids.EDIT_DEAL_MODAL)(edit_deal_submitted)
    app.view(ids.DEAL_LOST_MODAL)(deal_lost_submitted)
    app.view(ids.REASSIGN_MODAL)(reassign_submitted)
    app.view(ids.EDIT_MEETING_MODAL)(edit_meeting_submitted)
    # Read-only: a stray submission of the history modal just closes it.
    app.view(ids.DEAL_HISTORY_MODAL)(lambda ack: ack())
