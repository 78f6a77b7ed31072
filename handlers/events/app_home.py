"""The App Home tab: app_home_opened publishes it; publish_home is shared by every listener that changes it."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.services.deal_edits import EDIT_WINDOW, last_meeting_id
from bot.services.pipeline import load_pipeline
from bot.services.reps import PROFILE_MAX_AGE, SlackProfile, apply_profile, ensure_rep, ensure_workspace, zone
from bot.slack.blocks.app_home import LastMeeting, home_view
from handlers.deps import Deps
from handlers.guard import guarded
from models import Account, Deal, Meeting, Rep

log = logging.getLogger("nextstep")

# How long a user id Slack said it does not know is not asked about again.
UNKNOWN_FOR = timedelta(minutes=10)
MAX_UNKNOWN = 10_000


def build_home(deps: Deps, *, team_id: str, user_id: str, page_start: int = 0) -> dict:
    """The rep's Home view as of the deps' clock (a first-time visitor gets an empty pipeline)."""
    now = deps.clock()
    with deps.session() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        if rep is None:
            ensure_workspace(session, team_id, now)
            rep = ensure_rep(session, team_id, user_id, now)
            session.commit()
        p = load_pipeline(session, team_id, rep, now)
        last = None
        meeting_id = last_meeting_id(session, team_id, rep.id)
        meeting = session.get(Meeting, meeting_id) if meeting_id else None
        if meeting is not None and now - meeting.logged_at <= EDIT_WINDOW:
            deal = session.get(Deal, meeting.deal_id)
            account = session.get(Account, deal.account_id) if deal else None
            last = LastMeeting(
                meeting.id,
                account.name if account else "",
                deal.name if deal else "",
                meeting.held_at,
                meeting.logged_at + EDIT_WINDOW,
            )
        tz = zone(rep.timezone)
    return home_view(p, now, tz, page_start=page_start, last=last)


def publish_home(client: WebClient, deps: Deps, *, team_id: str, user_id: str, page_start: int = 0) -> None:
    view = build_home(deps, team_id=team_id, user_id=user_id, page_start=page_start)
    client.views_publish(user_id=user_id, view=view)


@guarded
def home_opened(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    ack()
    event = body.get("event") or {}
    if event.get("tab", "home") != "home":
        return
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], event["user"]  # a user id: checked at the edge
    if not known_person(client, deps, team_id=team_id, user_id=user_id):
        return
    # Slack refusing the view is answered by the guard: one line by its meaning (a dead token
    # marks the workspace), no traceback.
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def known_person(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> bool:
    """A rep we have a row for, or someone Slack confirms (users.info) and who is then stored.

    Anybody can name a user id; one Slack does not know is logged once and remembered for
    UNKNOWN_FOR, so a flood of such events costs neither rows nor a users.info each.
    """
    now = deps.clock()
    with deps.session() as session:
        if session.scalar(select(Rep.id).where(Rep.team_id == team_id, Rep.user_id == user_id)):
            return True
    key = (team_id, user_id)
    until = deps.unknown_people.get(key)
    if until is not None and now < until:
        return False
    try:
        user = client.users_info(user=user_id)["user"]
        profile = SlackProfile.from_users_info(user)
    except SlackApiError as error:
        user, reason = None, str(error.response.get("error"))
    if user is None or profile.deleted or user.get("is_bot"):
        reason = "deactivated or a bot" if user is not None else reason
        if len(deps.unknown_people) > MAX_UNKNOWN:
            deps.unknown_people.clear()
        deps.unknown_people[key] = now + UNKNOWN_FOR
        log.info("Home not shown team=%s: Slack does not know the user (%s)", team_id, reason)
        return False
    with deps.session() as session:
        apply_profile(session, team_id, profile, now, deps.admins)
        session.commit()
    deps.fresh_profiles[key] = now + PROFILE_MAX_AGE
    return True


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
