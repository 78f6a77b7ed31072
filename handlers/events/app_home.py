"""The App Home tab: app_home_opened publishes it; publish_home is shared by every listener that changes it."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import select

from bot.services.deal_edits import EDIT_WINDOW, last_meeting_id
from bot.services.pipeline import load_pipeline
from bot.services.reps import ensure_rep, ensure_workspace, zone
from bot.slack.blocks.app_home import LastMeeting, home_view
from handlers.deps import Deps
from handlers.guard import guarded
from models import Account, Deal, Meeting, Rep


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
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home(client, context["deps"], team_id=context["team_id"], user_id=event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
