"""The clock's weekly work: each team's leaderboard and each manager's digest; the admins' welcome.

Called from every sweep. A workspace's week is due from its set weekday and local time
until the end of that local week, so a clock that was down at posting time posts on its
next sweep that week. Each post is claimed first under LeaderboardPost's unique key
(team, kind, scope, week) and committed before Slack is called: two clocks post once.
A clock that dies between its claim and the post leaves a claim with neither a post nor
an error; another sweep takes it over after ``STALE_CLAIM``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.services.digest import build_digest
from bot.services.leaderboard import (
    Board,
    TeamScope,
    Week,
    compute_board,
    post_moment,
    team_scopes,
    week_containing,
    workspace_zone,
)
from bot.services.permissions import Admins
from bot.slack.blocks.admin_notices import channel_fault_message, welcome_message
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.leaderboard import leaderboard_message
from bot.slack.chart import chart_alt_text, chart_png
from bot.slack.outbox import DeliveryError
from bot.slack.refusals import CHANNEL_GONE
from models import LeaderboardPost, SalesTeam, Workspace

log = logging.getLogger("nextstep.weekly")

LEADERBOARD = "leaderboard"
DIGEST = "digest"
STALE_CLAIM = timedelta(minutes=10)
# A private channel the bot is not in: tried again hourly, the admins told once.
CHANNEL_RETRY = timedelta(hours=1)
CHANNEL_FAULTS = CHANNEL_GONE  # bot/slack/refusals.py
EMPTY = "empty"


@runtime_checkable
class ChannelOutbox(Protocol):
    def post_dm(
        self, team_id: str, user_id: str, text: str, blocks: list[dict[str, Any]]
    ) -> tuple[str, str]: ...

    def post_to_channel(
        self,
        team_id: str,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
    ) -> tuple[str, str]: ...

    def join_channel(self, team_id: str, channel: str) -> None: ...

    def files_upload(
        self,
        team_id: str,
        channel: str,
        thread_ts: str | None,
        content: bytes,
        filename: str,
        title: str,
        alt_text: str | None = None,
    ) -> None: ...


@dataclass
class WeeklyReport:
    posted: int = 0
    charts: int = 0
    digests: int = 0
    faults: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    post_id: int
    previous_error: str | None
    previous_channel: str | None


def post_due_leaderboards(
    session_factory: sessionmaker[Session], outbox: Any, *, now: datetime, admins: Admins | None = None
) -> WeeklyReport:
    """Everything weekly that is due as of ``now``, in every installed workspace.

    ``admins`` says who hears of a board that can't be posted when nobody chose its channel.
    """
    admins = admins or Admins()
    report = WeeklyReport()
    if not isinstance(outbox, ChannelOutbox):
        return report  # an outbox that only sends DMs (a test double of the nudge sweep)
    with session_factory() as session:
        team_ids = session.scalars(
            select(Workspace.team_id).where(
                Workspace.tokens_revoked_at.is_(None), Workspace.uninstalled_at.is_(None)
            )
        ).all()
    for team_id in team_ids:
        try:
            _weekly_for(session_factory, outbox, team_id, now, report, admins)
        except DeliveryError as error:
            log.warning("weekly posts of %s stopped: %s", team_id, error.reason)
        except Exception:
            log.exception("weekly posts of %s failed", team_id)
    return report


def due_week(workspace: Workspace, now: datetime) -> Week | None:
    """The week whose board is due as of ``now``: from the post moment to the end of that local week."""
    week = week_containing(now, workspace_zone(workspace)).shifted(-1)
    return week if now >= post_moment(workspace, week) else None


def _weekly_for(
    session_factory: sessionmaker[Session],
    outbox: ChannelOutbox,
    team_id: str,
    now: datetime,
    report: WeeklyReport,
    admins: Admins,
) -> None:
    with session_factory() as session:
        workspace = session.get(Workspace, team_id)
        if workspace is None:
            return
        week = due_week(workspace, now)
        if week is None:
            return
        scopes = [s for s in team_scopes(session, workspace) if s.channel_id]
        managers = sorted(
            {
                m
                for m in session.scalars(
                    select(SalesTeam.manager_user_id).where(SalesTeam.team_id == team_id)
                )
                if m
            }
        )
        done = {
            (kind, key)
            for kind, key in session.execute(
                select(LeaderboardPost.kind, LeaderboardPost.scope_key).where(
                    LeaderboardPost.team_id == team_id,
                    LeaderboardPost.week_start == week.monday,
                    LeaderboardPost.posted_at.is_not(None),
                )
            )
        }
    for scope in scopes:
        if (LEADERBOARD, scope.key) in done:
            continue
        claim = claim_post(
            session_factory, team_id, LEADERBOARD, scope.key, week.monday, scope.channel_id, now
        )
        if claim is not None:
            post_board(session_factory, outbox, scope, week, claim, now, report, admins)
    for manager in managers:
        if (DIGEST, manager) in done:
            continue
        claim = claim_post(session_factory, team_id, DIGEST, manager, week.monday, None, now)
        if claim is not None:
            send_digest(session_factory, outbox, team_id, manager, week, claim, now, report)


def claim_post(
    session_factory: sessionmaker[Session],
    team_id: str,
    kind: str,
    scope_key: str,
    week_start: date,
    channel_id: str | None,
    now: datetime,
) -> Claim | None:
    """Take the week's post for this scope, or None when another clock has (or had) it."""
    with session_factory() as session:
        existing = session.scalar(
            select(LeaderboardPost).where(
                LeaderboardPost.team_id == team_id,
                LeaderboardPost.kind == kind,
                LeaderboardPost.scope_key == scope_key,
                LeaderboardPost.week_start == week_start,
            )
        )
        if existing is None:
            post = LeaderboardPost(
                team_id=team_id,
                kind=kind,
                scope_key=scope_key,
                week_start=week_start,
                channel_id=channel_id,
                claimed_at=now,
            )
            session.add(post)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None  # another clock claimed it first
            return Claim(post.id, None, None)
        if existing.posted_at is not None:
            return None
        stale = existing.last_error is None and existing.claimed_at <= now - STALE_CLAIM
        retry = existing.last_error in CHANNEL_FAULTS and (
            existing.channel_id != channel_id
            or (existing.last_error == "not_in_channel" and existing.claimed_at <= now - CHANNEL_RETRY)
        )
        if not (stale or retry):
            return None
        claim = Claim(existing.id, existing.last_error, existing.channel_id)
        # Conditional on the claim as read: of two clocks, one takes it over.
        taken = session.execute(
            update(LeaderboardPost)
            .where(
                LeaderboardPost.id == existing.id,
                LeaderboardPost.claimed_at == existing.claimed_at,
                LeaderboardPost.posted_at.is_(None),
            )
            .values(claimed_at=now, channel_id=channel_id, last_error=None)
        )
        session.commit()
        return claim if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def _finish(
    session_factory: sessionmaker[Session],
    post_id: int,
    *,
    now: datetime,
    channel: str | None = None,
    ts: str | None = None,
    error: str | None = None,
    release: bool = False,
) -> None:
    with session_factory() as session:
        post = session.get(LeaderboardPost, post_id)
        if post is None:
            return
        if release:
            session.delete(post)  # a passing fault: the next sweep claims it afresh
        elif error is not None:
            post.last_error = error[:255]
        else:
            post.posted_at, post.channel_id, post.message_ts, post.last_error = now, channel, ts, None
        session.commit()


def board_for(
    session_factory: sessionmaker[Session], scope: TeamScope, week: Week, *, with_history: bool
) -> tuple[Board, Workspace]:
    with session_factory() as session:
        workspace = session.get(Workspace, scope.team_id)
        assert workspace is not None
        board = compute_board(
            session, workspace, scope, week, as_of=post_moment(workspace, week), with_history=with_history
        )
        session.expunge(workspace)
    return board, workspace


def post_in_channel(
    outbox: ChannelOutbox, team_id: str, channel: str, text: str, blocks: list[dict[str, Any]]
) -> tuple[str, str]:
    """Post; when the bot is not in the channel, join it (public channels) and post again."""
    try:
        return outbox.post_to_channel(team_id, channel, text, blocks)
    except DeliveryError as error:
        if error.reason != "not_in_channel":
            raise
    try:
        outbox.join_channel(team_id, channel)
    except DeliveryError as error:
        if error.kind == "dead_token":
            raise
        log.info("cannot join %s in %s: %s", channel, team_id, error.reason)
        raise DeliveryError("retry", "not_in_channel") from None
    return outbox.post_to_channel(team_id, channel, text, blocks)


# Slack's answers that pass by themselves; any other code is about the post and would repeat.
PASSING_FAULTS = frozenset(
    {
        "ratelimited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "http_500",
        "http_502",
        "http_503",
        "http_504",
    }
)


def post_board(
    session_factory: sessionmaker[Session],
    outbox: ChannelOutbox,
    scope: TeamScope,
    week: Week,
    claim: Claim,
    now: datetime,
    report: WeeklyReport,
    admins: Admins | None = None,
) -> None:
    assert scope.channel_id is not None
    board, _ = board_for(session_factory, scope, week, with_history=True)
    text, blocks = leaderboard_message(board)
    try:
        channel, ts = post_in_channel(outbox, scope.team_id, scope.channel_id, text, blocks)
    except DeliveryError as error:
        if error.kind == "dead_token":
            _finish(session_factory, claim.post_id, now=now, release=True)
            raise
        if error.reason not in CHANNEL_FAULTS:
            if error.reason in PASSING_FAULTS or not error.reason.islower():
                # Slack busy or unreachable (a code, or an exception's name): the next sweep tries again.
                log.warning("leaderboard of %s/%s not posted yet: %s", scope.team_id, scope.key, error.reason)
                _finish(session_factory, claim.post_id, now=now, release=True)
            else:
                # Slack refused this post itself (invalid_blocks, msg_too_long…): retrying every minute
                # would only repeat it. Kept on the claim for the operator, and logged.
                log.error("leaderboard of %s/%s refused by Slack: %s", scope.team_id, scope.key, error.reason)
                _finish(session_factory, claim.post_id, now=now, error=error.reason)
            return
        _finish(session_factory, claim.post_id, now=now, error=error.reason)
        report.faults.append(f"{scope.key}: {error.reason}")
        told_already = claim.previous_error == error.reason and claim.previous_channel == scope.channel_id
        if not told_already:
            fault_text, fault_blocks = channel_fault_message(
                error.reason, scope.channel_id, scope.name, week.label
            )
            for admin in fault_owners(session_factory, scope, admins or Admins()):
                try:
                    outbox.post_dm(scope.team_id, admin, fault_text, fault_blocks)
                except DeliveryError as dm_error:
                    log.warning("admin %s not told of %s: %s", admin, error.reason, dm_error.reason)
        return
    _finish(session_factory, claim.post_id, now=now, channel=channel, ts=ts)
    report.posted += 1
    try:
        chart_title = f"{scope.name}: booked rate and meetings, last 8 weeks"
        png = chart_png(board.history, chart_title)
        outbox.files_upload(
            scope.team_id,
            channel,
            ts,
            png,
            f"leaderboard-{week.monday.isoformat()}.png",
            "Booked rate and meetings, last 8 weeks",
            alt_text=chart_alt_text(board.history, chart_title),
        )
        report.charts += 1
    except DeliveryError as error:  # the board is up; a missing chart is not worth a second post
        log.warning("chart of %s/%s not uploaded: %s", scope.team_id, scope.key, error.reason)


def fault_owners(session_factory: sessionmaker[Session], scope: TeamScope, admins: Admins) -> list[str]:
    """Who is told the board can't be posted: whoever chose its channel, else the admins."""
    if scope.chosen_by:
        return [scope.chosen_by]
    with session_factory() as session:
        workspace = session.get(Workspace, scope.team_id)
        return admins.to_tell(session, workspace) if workspace is not None else []


def send_digest(
    session_factory: sessionmaker[Session],
    outbox: ChannelOutbox,
    team_id: str,
    manager: str,
    week: Week,
    claim: Claim,
    now: datetime,
    report: WeeklyReport,
) -> None:
    with session_factory() as session:
        workspace = session.get(Workspace, team_id)
        assert workspace is not None
        digest = build_digest(session, workspace, manager, now)
    if digest.empty:
        _finish(session_factory, claim.post_id, now=now, error=EMPTY)  # the week is done: nothing to say
        return
    text, blocks = digest_message(digest, week.label)
    try:
        channel, ts = outbox.post_dm(team_id, manager, text, blocks)
    except DeliveryError as error:
        if error.kind == "retry":
            _finish(session_factory, claim.post_id, now=now, release=True)
        else:
            _finish(session_factory, claim.post_id, now=now, error=error.reason)
        if error.kind == "dead_token":
            raise
        return
    _finish(session_factory, claim.post_id, now=now, channel=channel, ts=ts)
    report.digests += 1


# ---------------------------------------------------------------- the welcome


def claim_welcome(session: Session, team_id: str, now: datetime) -> bool:
    """Take the workspace's welcome, once: the claim is a conditional UPDATE, so two callers send one."""
    taken = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.welcomed_at.is_(None))
        .values(welcomed_at=now)
    )
    session.commit()
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def welcome_admins(
    session_factory: sessionmaker[Session],
    send_dm: Callable[[str, str, list[dict[str, Any]]], object],
    team_id: str,
    now: datetime,
    admins: Sequence[str],
    *,
    installed: bool,
) -> list[str]:
    """The welcome DM to each of ``admins`` if the workspace still owes it: ``send_dm(user, text,
    blocks)``; who got it. ``installed``: they installed the app (OAuth), rather than being named."""
    if not admins:
        return []
    with session_factory() as session:
        if not claim_welcome(session, team_id, now):
            return []
    welcomed = []
    for user_id in admins:
        text, blocks = welcome_message(user_id, installed=installed)
        try:
            send_dm(user_id, text, blocks)
        except Exception as error:  # one wrong id in NEXTSTEP_ADMINS must not cost the others theirs
            log.warning("welcome DM to %s in %s not sent: %s", user_id, team_id, _reason(error))
            continue
        welcomed.append(user_id)
    return welcomed


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None and hasattr(response, "get") else None
    return str(code or type(error).__name__)
