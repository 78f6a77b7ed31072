"""A forgotten clock is noticed: the web process DMs the admins when sweeps stop, and when they resume.

On Heroku a clock dyno left at zero (or crashed) is otherwise silent: nobody polls /healthz,
and the only sign is nudges that never come. Every web worker looks once a minute; the change
is claimed in the database (``ClockWatch``), so the admins hear once per change however many
workers and dynos watch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.services.permissions import Admins
from bot.services.reps import SlackProfile
from bot.slack.tokens import TokenSource
from models import ClockSweep, ClockWatch, Workspace

log = logging.getLogger("nextstep.clock_watch")

STALE_AFTER = timedelta(minutes=10)
CHECK_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class ClockChange:
    stale: bool  # True: sweeps stopped; False: they resumed
    last_sweep_at: datetime | None


def last_sweep_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(ClockSweep.finished_at)))


def claim_clock_change(
    session_factory: sessionmaker[Session], now: datetime, watching_since: datetime
) -> ClockChange | None:
    """The change to tell the admins about, if this process claimed it (None: no change, or another did).

    A deployment that never swept counts from when this process started watching.
    """
    with session_factory() as session:
        if session.get(ClockWatch, 1) is None:  # the migration adds it; a wiped table gets it back
            session.add(ClockWatch(id=1, state="ok"))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # another process put it back first
        last = last_sweep_at(session)
        stale = now - (last or watching_since) >= STALE_AFTER
        before, after = ("ok", "stale") if stale else ("stale", "ok")
        result = session.execute(
            update(ClockWatch)
            .where(ClockWatch.id == 1, ClockWatch.state == before)
            .values(state=after, changed_at=now)
        )
        session.commit()
    return ClockChange(stale, last) if result.rowcount == 1 else None  # type: ignore[attr-defined]


def clock_message(change: ClockChange, now: datetime) -> str:
    if change.last_sweep_at is None:
        since = "has not run since this deployment started"
    else:
        minutes = int((now - change.last_sweep_at).total_seconds() // 60)
        since = f"has not run for {minutes} minutes (last sweep {change.last_sweep_at:%Y-%m-%d %H:%M} UTC)"
    if change.stale:
        return (
            f":warning: Next Step's clock {since}, so no nudges, digests or leaderboards are going out. "
            "Start the clock process: on Heroku `heroku ps:scale clock=1`, then `heroku run nextstep check`. "
            "You'll hear from me again when it runs."
        )
    return (
        ":white_check_mark: Next Step's clock is running again. The nudges it missed go out now, "
        "in each rep's working hours."
    )


def _members(client: WebClient) -> list[SlackProfile]:
    """The workspace's people (users.list, paged), to find its admins."""
    members: list[SlackProfile] = []
    cursor = None
    while True:
        page: Any = client.users_list(limit=200, cursor=cursor) if cursor else client.users_list(limit=200)
        members += [SlackProfile.from_users_info(m) for m in page.get("members") or []]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


def tell_admins(
    session_factory: sessionmaker[Session], tokens: TokenSource, api_url: str, text: str, admins: Admins
) -> list[tuple[str, str]]:
    """DM every live workspace's admins; the (team, user) pairs that got it."""
    with session_factory() as session:
        workspaces = list(
            session.scalars(
                select(Workspace).where(
                    Workspace.tokens_revoked_at.is_(None), Workspace.uninstalled_at.is_(None)
                )
            )
        )
    told: list[tuple[str, str]] = []
    for workspace in workspaces:
        token = tokens.bot_token(workspace.team_id)
        if token is None:
            continue
        client = WebClient(token=token, base_url=api_url, timeout=10)
        try:
            members = _members(client)
        except Exception as error:  # the installer still hears
            log.warning("users.list failed team=%s: %s", workspace.team_id, type(error).__name__)
            members = []
        for user_id in admins.among(workspace, members):
            try:
                client.chat_postMessage(channel=user_id, text=text)
                told.append((workspace.team_id, user_id))
            except Exception as error:
                log.warning("clock notice not sent team=%s user=%s: %s", workspace.team_id, user_id, error)
    return told


def watch_once(
    session_factory: sessionmaker[Session],
    tokens: TokenSource,
    api_url: str,
    now: datetime,
    watching_since: datetime,
    admins: Admins | None = None,
) -> ClockChange | None:
    """Look at the clock once; tell the admins if this process claimed a change."""
    change = claim_clock_change(session_factory, now, watching_since)
    if change is None:
        return None
    told = tell_admins(session_factory, tokens, api_url, clock_message(change, now), admins or Admins())
    if change.stale:
        log.warning("the clock has not swept for 10 minutes or more; told %d admins", len(told))
    else:
        log.info("the clock sweeps again; told %d admins", len(told))
    return change


def start_clock_watch(
    session_factory: sessionmaker[Session],
    tokens: TokenSource,
    api_url: str,
    clock: Callable[[], datetime],
    admins: Admins,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """A daemon thread in each web worker: a look a minute until ``stop``."""
    stop = stop or threading.Event()
    since = clock()

    def run() -> None:
        while not stop.wait(CHECK_EVERY_SECONDS):
            try:
                watch_once(session_factory, tokens, api_url, clock(), since, admins)
            except SQLAlchemyError as error:  # /healthz and the requests say the same; not a traceback
                log.warning("clock watch: database error (%s)", type(error).__name__)
            except Exception:
                log.exception("clock watch failed; looking again in a minute")

    thread = threading.Thread(target=run, name="clock-watch", daemon=True)
    thread.start()
    return thread
