"""Pausing a rep's nudges (holidays, parental leave) and resuming them without a burst."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.errors import UserFacingError
from bot.domain.vocabulary import OPEN_NEXT_STEP_STATUSES, DealStatus
from bot.services.reps import ensure_rep, ensure_workspace, zone
from bot.services.watching import watching
from models import Deal, NextStep, Nudge, Rep, RepPause, one_of

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
WEEKDAYS = {d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
MAX_PAUSE = timedelta(days=365)


class BadDate(UserFacingError):
    pass


def parse_day(text: str, today: date) -> date:
    """A day as people type it: 2026-12-20, 20 Dec, Dec 20, 20/12 isn't accepted (ambiguous), friday, tomorrow."""
    words = text.strip().lower().replace(",", " ").split()
    if words and words[0] == "until":
        words = words[1:]
    phrase = " ".join(words)
    if not phrase:
        raise BadDate("Which day? For example `/nextsteps pause until 2026-12-20` or `until Dec 20`.")
    if phrase == "tomorrow":
        return today + timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", phrase):
        try:
            return date.fromisoformat(phrase)
        except ValueError:
            raise BadDate(f"{phrase} isn't a date.") from None
    weekday = phrase.removeprefix("next ")[:3]
    if weekday in WEEKDAYS and phrase.removeprefix("next ").isalpha():
        ahead = (WEEKDAYS[weekday] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    match = re.fullmatch(r"(\d{1,2}) ([a-z]+)(?: (\d{4}))?|([a-z]+) (\d{1,2})(?: (\d{4}))?", phrase)
    if match:
        day_s, month_s, year_s = (
            (match.group(1), match.group(2), match.group(3))
            if match.group(1)
            else (match.group(5), match.group(4), match.group(6))
        )
        month = MONTHS.get(month_s[:3])
        if month is not None:
            year = int(year_s) if year_s else today.year
            try:
                found = date(year, month, int(day_s))
            except ValueError:
                raise BadDate(f"{phrase} isn't a date.") from None
            if not year_s and found < today:
                found = found.replace(year=year + 1)
            return found
    raise BadDate(f"I couldn't read {phrase!r} as a day. Try `2026-12-20`, `Dec 20` or `friday`.")


def pause(session: Session, *, team_id: str, user_id: str, until: date, today: date, now: datetime) -> Rep:
    """No nudges through ``until`` (the rep's local date); nothing is escalated meanwhile."""
    if until < today:
        raise BadDate("That day has passed. Pick a day from today on.")
    if until - today > MAX_PAUSE:
        raise BadDate("Pauses last at most a year.")
    ensure_workspace(session, team_id, now)
    rep = ensure_rep(session, team_id, user_id, now)
    rep.paused_until = until
    current = _current_pause(session, rep, today)
    if current is not None:  # a new date for the pause already running
        current.last_day = until
    else:
        session.add(RepPause(team_id=team_id, rep_id=rep.id, first_day=today, last_day=until, created_at=now))
    session.commit()
    return rep


def _current_pause(session: Session, rep: Rep, today: date) -> RepPause | None:
    """The pause running on ``today`` (ix_rep_pauses_rep_id_last_day)."""
    return session.scalar(
        select(RepPause)
        .where(RepPause.rep_id == rep.id, RepPause.last_day >= today, RepPause.first_day <= today)
        .order_by(RepPause.first_day.desc(), RepPause.id.desc())
        .limit(1)
    )


def resume(session: Session, *, team_id: str, user_id: str, now: datetime) -> Rep | None:
    """End the pause now: what fell due meanwhile starts over from here, one nudge at a time."""
    rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
    if rep is None or rep.paused_until is None:
        return None
    rep.paused_until = None
    rep.resumed_at = now
    today = now.astimezone(zone(rep.timezone)).date()
    current = _current_pause(session, rep, today)
    if current is not None:
        if current.first_day >= today:  # over the same day it began: no day was missed
            session.delete(current)
        else:
            current.last_day = today - timedelta(days=1)
    # The sweep pushed their checks to the pause's end; look again now instead.
    session.execute(
        update(NextStep)
        .where(NextStep.rep_id == rep.id, one_of(NextStep.status, OPEN_NEXT_STEP_STATUSES))
        .values(**watching(NextStep, now))
    )
    session.execute(
        update(Deal)
        .where(Deal.owner_rep_id == rep.id, Deal.status == DealStatus.OPEN)
        .values(**watching(Deal, now))
    )
    session.execute(
        update(Nudge)
        .where(Nudge.rep_id == rep.id, Nudge.sent_at.is_(None), Nudge.gave_up_at.is_(None))
        .values(next_attempt_at=None)
    )
    session.commit()
    return rep


# ---------------------------------------------------------------- `/nextsteps pause` and `resume`: one request each


def pause_nudges(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, text: str, now: datetime
) -> date:
    """Pause the rep's nudges through the day ``text`` names (read in their timezone); that day."""
    with session_factory() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        today = now.astimezone(zone(rep.timezone if rep else None)).date()
        until = parse_day(text, today)
        pause(session, team_id=team_id, user_id=user_id, until=until, today=today, now=now)
    return until


def resume_nudges(
    session_factory: Callable[[], Session], *, team_id: str, user_id: str, now: datetime
) -> bool:
    """End the rep's pause; False when they had none."""
    with session_factory() as session:
        return resume(session, team_id=team_id, user_id=user_id, now=now) is not None
