"""`/nextsteps export`: meetings, asks, grades, reactions and next steps as CSV, streamed to a file.

Rows come off a server-side cursor in chunks (``yield_per``) and go straight to the file, so
memory stays flat however many meetings there are; Slack's upload needs the length up front,
which the finished file gives.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.errors import NotAllowed, UserFacingError
from bot.services.pauses import BadDate, parse_day
from bot.services.permissions import reps_managed_by
from bot.services.reps import zone
from models import Account, Deal, Meeting, NextStep, Rep, Reschedule

CHUNK = 500  # rows per fetch from the server-side cursor: the memory bound
HEADER = (
    "held_at_utc",
    "rep",
    "account",
    "deal",
    "deal_status",
    "kind",
    "ask",
    "ask_type_chosen",
    "ask_graded",
    "grade_reason",
    "reaction",
    "next_step",
    "next_step_status",
    "next_step_at_utc",
    "reschedules",
    "logged_at_utc",
    "edited_at_utc",
    "withdrawn_at_utc",
)


@dataclass(frozen=True)
class ExportRequest:
    scope: str  # "mine" or "team"
    start: date | None
    end: date | None


USAGE = "Try `/nextsteps export`, `/nextsteps export team` or `/nextsteps export mine 2026-10-01 2026-10-31`."


def parse_export(words: Sequence[str], today: date) -> ExportRequest:
    """`[mine|team] [from] [to]`; dates as `/nextsteps pause` reads them (2026-10-01, Oct 1, friday)."""
    rest = list(words)
    scope = "mine"
    if rest and rest[0].lower() in ("mine", "team"):
        scope = rest.pop(0).lower()
    days: list[date] = []
    try:
        for word in rest[:2]:
            days.append(parse_day(word, today))
    except BadDate as error:
        raise UserFacingError(f"{error} {USAGE}") from None
    if len(rest) > 2:
        raise UserFacingError(f"That's more than two dates. {USAGE}")
    start = days[0] if days else None
    end = days[1] if len(days) > 1 else None
    if start and end and end < start:
        raise UserFacingError("The end date is before the start date.")
    return ExportRequest(scope, start, end)


def _cell(text: str | None) -> str:
    """A rep's words as a CSV cell a spreadsheet will not run: a leading = + - @ (or tab/CR) is quoted."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""


def write_csv(
    session: Session,
    out: IO[str],
    *,
    team_id: str,
    rep_ids: Sequence[int] | None,
    start: date | None,
    end: date | None,
    tz: ZoneInfo,
) -> int:
    """Every meeting of ``rep_ids`` (None: the whole workspace) held between the days, oldest first."""
    moves = (
        select(func.count())
        .where(Reschedule.next_step_id == NextStep.id)
        .correlate(NextStep)
        .scalar_subquery()
    )
    query = (
        select(
            Meeting.held_at,
            Rep.display_name,
            Account.name.label("account"),
            Deal.name.label("deal"),
            Deal.status.label("deal_status"),
            Meeting.kind,
            Meeting.ask_text,
            Meeting.ask_type,
            Meeting.graded_ask_type,
            Meeting.grade_reason,
            Meeting.reaction,
            NextStep.description,
            NextStep.status,
            NextStep.scheduled_at,
            moves.label("moves"),
            Meeting.logged_at,
            Meeting.edited_at,
            Meeting.withdrawn_at,
        )
        .join(Rep, Rep.id == Meeting.rep_id)
        .join(Deal, Deal.id == Meeting.deal_id)
        .join(Account, Account.id == Deal.account_id)
        .outerjoin(NextStep, NextStep.meeting_id == Meeting.id)
        .where(Meeting.team_id == team_id)
        .order_by(Meeting.held_at, Meeting.id)
    )
    if rep_ids is not None:
        query = query.where(Meeting.rep_id.in_(list(rep_ids)))  # ix_meetings_team_id_rep_id_held_at
    if start is not None:
        query = query.where(Meeting.held_at >= datetime.combine(start, time(0), tz))
    if end is not None:
        query = query.where(Meeting.held_at < datetime.combine(end + timedelta(days=1), time(0), tz))
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    result = session.execute(query, execution_options={"yield_per": CHUNK})
    for chunk in result.partitions():
        writer.writerows(
            (
                _iso(r.held_at),
                _cell(r.display_name),
                _cell(r.account),
                _cell(r.deal),
                r.deal_status,
                r.kind or "",
                _cell(r.ask_text),
                r.ask_type,
                r.graded_ask_type,
                _cell(r.grade_reason or ""),
                r.reaction or "",
                _cell(r.description or ""),
                r.status or "",
                _iso(r.scheduled_at),
                r.moves or 0,
                _iso(r.logged_at),
                _iso(r.edited_at),
                _iso(r.withdrawn_at),
            )
            for r in chunk
        )
        count += len(chunk)
    result.close()
    return count


# ---------------------------------------------------------------- `/nextsteps export`: one request

TEAM_EXPORT_REFUSED = (
    "`/nextsteps export team` is for managers and admins. `/nextsteps export` (or `export mine`) "
    "gives you your own meetings."
)


@dataclass(frozen=True)
class ExportPlan:
    """What an export holds: the request as read, whose meetings (None: the whole workspace), in which zone."""

    request: ExportRequest
    rep_ids: tuple[int, ...] | None
    tz: ZoneInfo


def plan_export(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    user_id: str,
    words: Sequence[str],
    now: datetime,
    admin: Callable[[], bool],
) -> ExportPlan:
    """Read `/nextsteps export [mine|team] [from] [to]` in the asker's timezone and check who may have what.

    UserFacingError for words it can't read; NotAllowed (``TEAM_EXPORT_REFUSED``) for `team` from
    someone who manages no team and is no admin (``admin`` is asked only then: it may ask Slack).
    """
    with session_factory() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        tz = zone(rep.timezone if rep else None)
        request = parse_export(words, now.astimezone(tz).date())
        rep_ids: list[int] | None
        if request.scope == "mine":
            rep_ids = [rep.id] if rep else []
        else:
            rep_ids = [r.id for r in reps_managed_by(session, team_id, user_id)]
    if request.scope == "team" and not rep_ids:
        if not admin():
            raise NotAllowed(TEAM_EXPORT_REFUSED)
        rep_ids = None  # an admin who manages no team: the whole workspace
    return ExportPlan(request, tuple(rep_ids) if rep_ids is not None else None, tz)


@contextmanager
def exported_csv(
    session_factory: Callable[[], Session], team_id: str, plan: ExportPlan
) -> Iterator[tuple[str, int]]:
    """The export written to a temporary file: (its path, the meetings in it); the file is gone after."""
    path = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".csv", delete=False, newline="", encoding="utf-8"
        ) as out:
            path = out.name
            with session_factory() as session:
                count = write_csv(
                    session,
                    out,
                    team_id=team_id,
                    rep_ids=plan.rep_ids,
                    start=plan.request.start,
                    end=plan.request.end,
                    tz=plan.tz,
                )
        yield path, count
    finally:
        if path:
            os.unlink(path)
