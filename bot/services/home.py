"""What a rep's App Home shows: their pipeline, and their last meeting while it can still be edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.pipeline import HomePage, LastMeeting
from bot.services.deal_edits import EDIT_WINDOW, last_meeting_id
from bot.services.home_keys import home_page
from bot.services.reps import ensure_rep, ensure_workspace, zone
from bot.services.store import Sessions
from models import Account, Deal, Meeting, Rep

# A write rebuilds the Home of a rep who opened it (or clicked in it) this recently; Slack
# shows the last published view when they come back, and app_home_opened rebuilds it then.
HOME_RECENT = timedelta(minutes=10)


@dataclass(frozen=True)
class HomeContent:
    page: HomePage
    tz: ZoneInfo
    last: LastMeeting | None


def home_content(
    sessions: Sessions, team_id: str, user_id: str, now: datetime, *, looked: bool, page_start: int = 0
) -> HomeContent | None:
    """The rep's Home as of ``now``, the page starting at ``page_start`` (a first-time visitor
    gets an empty pipeline).

    ``looked``: they are looking at it now (recorded). Otherwise (after a write) None unless
    they looked within ``HOME_RECENT``.
    """
    with sessions() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        if not looked and (
            rep is None or rep.home_opened_at is None or now - rep.home_opened_at > HOME_RECENT
        ):
            return None
        if rep is None:
            ensure_workspace(session, team_id, now)
            rep = ensure_rep(session, team_id, user_id, now)
        if looked:
            rep.home_opened_at = now
        session.commit()
        p = home_page(session, team_id, rep, now, page_start)
        session.commit()  # the deal keys it stored
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
        return HomeContent(p, zone(rep.timezone), last)
