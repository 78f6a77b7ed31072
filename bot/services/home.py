"""What a rep's App Home shows: their pipeline, and their last meeting while it can still be edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.pipeline import HomePage, LastMeeting
from bot.services.deal_edits import EDIT_WINDOW, LAST_MEETING_ID
from bot.services.home_keys import home_page
from bot.services.reps import ensure_rep, ensure_workspace, zone
from bot.services.store import Sessions
from models import Account, Deal, Meeting, Rep

# A write rebuilds the Home of a rep who opened it (or clicked in it) this recently; Slack
# shows the last published view when they come back, and app_home_opened rebuilds it then.
HOME_RECENT = timedelta(minutes=10)
# When they looked is written again only once it is this old: a rep clicking through their Home
# costs no write a click (HOME_RECENT is then counted from up to this much earlier).
OPENED_PRECISION = timedelta(minutes=1)

# The rep's last meeting still in the edit window, with its deal and account: one statement.
# The meeting is found first (the newest logged, by index), then joined: joined before the
# LIMIT, the planner may join every meeting of a rep with thousands.
_LAST_MEETING = (
    select(Meeting.id, Meeting.held_at, Meeting.logged_at, Deal.name, Account.name)
    .join(Deal, Deal.id == Meeting.deal_id)
    .join(Account, Account.id == Deal.account_id)
    .where(Meeting.id == LAST_MEETING_ID.scalar_subquery())
)


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
        wrote = rep is None
        if rep is None:
            ensure_workspace(session, team_id, now)
            rep = ensure_rep(session, team_id, user_id, now)
        if looked and (rep.home_opened_at is None or now - rep.home_opened_at >= OPENED_PRECISION):
            rep.home_opened_at = now
            wrote = True
        if wrote:  # committed before the build: the rep's row is not held locked through it
            session.commit()
        p = home_page(session, team_id, rep, now, page_start)
        session.commit()  # the deal keys it stored
        last = None
        found = session.connection().execute(_LAST_MEETING, {"team": team_id, "rep": rep.id}).first()
        if found is not None and now - found[2] <= EDIT_WINDOW:
            meeting_id, held_at, logged_at, deal_name, account_name = found
            last = LastMeeting(meeting_id, account_name, deal_name, held_at, logged_at + EDIT_WINDOW)
        return HomeContent(p, zone(rep.timezone), last)
