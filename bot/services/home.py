"""What a rep's App Home shows: their pipeline, and their last meeting while it can still be edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, bindparam, select, update

from bot.domain.pipeline import HomePage, LastMeeting
from bot.services.deal_edits import EDIT_WINDOW, LAST_MEETING_ID
from bot.services.home_keys import home_page
from bot.services.reps import ensure_rep, ensure_workspace, zone
from bot.services.store import Sessions
from models import Account, Deal, Meeting, Rep, UTCDateTime

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


# The rep as the Home reads them (a Core read: the ORM's identity map is not needed here), and
# when they looked, written without loading them.
_REP = select(Rep.id, Rep.home_opened_at, Rep.timezone).where(
    Rep.team_id == bindparam("team", type_=String()), Rep.user_id == bindparam("user", type_=String())
)
_LOOKED = (
    update(Rep)
    .where(Rep.id == bindparam("rep", type_=Integer()))
    .values(home_opened_at=bindparam("now", type_=UTCDateTime()))
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
        connection = session.connection()
        rep = connection.execute(_REP, {"team": team_id, "user": user_id}).first()
        if not looked and (
            rep is None or rep.home_opened_at is None or now - rep.home_opened_at > HOME_RECENT
        ):
            return None
        if rep is None:  # a first-time visitor: stored, and committed before the build
            ensure_workspace(session, team_id, now)
            added = ensure_rep(session, team_id, user_id, now)
            added.home_opened_at = now  # looked: a write never builds a Home for someone unknown
            rep_id, timezone = added.id, added.timezone
            session.commit()
        else:
            rep_id, timezone = rep.id, rep.timezone
            if looked and (rep.home_opened_at is None or now - rep.home_opened_at >= OPENED_PRECISION):
                connection.execute(_LOOKED, {"rep": rep_id, "now": now})
                session.commit()  # before the build: the rep's row is not held locked through it
        p = home_page(session, team_id, rep_id, now, page_start)
        session.commit()  # the deal keys it stored
        last = None
        found = session.connection().execute(_LAST_MEETING, {"team": team_id, "rep": rep_id}).first()
        if found is not None and now - found[2] <= EDIT_WINDOW:
            meeting_id, held_at, logged_at, deal_name, account_name = found
            last = LastMeeting(meeting_id, account_name, deal_name, held_at, logged_at + EDIT_WINDOW)
        return HomeContent(p, zone(timezone), last)
