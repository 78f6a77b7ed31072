"""What a nudge needs from the store: the workspace's nudge settings, the rep's working calendar and pauses, and the item a nudge DM shows.

Shared by the clock (planning and delivering nudges) and by the answers to nudges (snoozing, redrawing a DM).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.nudge_kinds import Subject, kind_row
from bot.domain.nudges import (
    DealState,
    NudgeItem,
    NudgeSettings,
    StepState,
    SubjectState,
    WindowKey,
)
from bot.domain.vocabulary import DealStatus, NextStepStatus, NudgeKind
from bot.domain.worktime import WorkCalendar, parse_days
from bot.services.reps import zone
from models import Account, Deal, Holiday, NextStep, Nudge, Rep, Workspace


def settings_of(workspace: Workspace) -> NudgeSettings:
    return NudgeSettings(
        first_after=timedelta(minutes=workspace.unscheduled_first_after_minutes),
        every_working_days=workspace.unscheduled_every_working_days,
        max_nudges=workspace.unscheduled_max_nudges,
        overdue_after=timedelta(minutes=workspace.overdue_after_minutes),
        stalled_after=timedelta(days=workspace.stalled_after_days),
    )


def holidays_of(session: Session, team_id: str) -> frozenset[date]:
    return frozenset(session.scalars(select(Holiday.day).where(Holiday.team_id == team_id)).all())


def calendar_of(
    session: Session, workspace: Workspace, rep: Rep, holidays: frozenset[date] | None = None
) -> WorkCalendar:
    """The rep's working calendar; ``holidays`` when the caller read them already (once per sweep)."""
    if holidays is None:
        holidays = holidays_of(session, workspace.team_id)
    return WorkCalendar(
        tz=zone(rep.timezone),
        start=workspace.work_start,
        end=workspace.work_end,
        days=parse_days(workspace.work_days),
        holidays=frozenset(holidays),
    )


def resume_floor(rep: Rep, cal: WorkCalendar) -> datetime | None:
    """Nothing is due before the end of the rep's last pause."""
    floors = [rep.resumed_at] if rep.resumed_at else []
    if rep.paused_until is not None:
        floors.append(cal.at_local(rep.paused_until + timedelta(days=1), time(0)))
    return max(floors) if floors else None


def is_paused(rep: Rep, cal: WorkCalendar, now: datetime) -> bool:
    return rep.paused_until is not None and cal.local_date(now) <= rep.paused_until


def nudge_item(session: Session, nudge: Nudge, workspace: Workspace, now: datetime) -> NudgeItem:
    """The DM item for one claimed nudge, as the sweep sends it (answer not filled in)."""
    kind = NudgeKind(nudge.kind)
    step = session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None
    deal = session.get(Deal, nudge.deal_id or (step.deal_id if step else 0))
    account = session.get(Account, deal.account_id) if deal else None
    window = window_of(nudge)
    last = (deal.last_meeting_at or deal.created_at) if deal else now
    return NudgeItem(
        nudge_id=nudge.id,
        kind=kind,
        account_name=account.name if account else "",
        deal_name=deal.name if deal else "",
        description=step.description if step else None,
        scheduled_at=step.scheduled_at if step else None,
        ordinal=(window.reminder or 1) if window else 1,  # which unscheduled reminder it is
        max_nudges=workspace.unscheduled_max_nudges,
        days_quiet=max(0, (now - last).days),
        prep=(
            (
                ("attendees", step.prep_attendees),
                ("agenda", step.prep_agenda),
                ("materials", step.prep_materials),
                ("evaluation", step.prep_evaluation),
                ("step_after", step.prep_step_after),
            )
            if step
            else ()
        ),
    )


def window_of(nudge: Nudge) -> WindowKey | None:
    """The nudge's window; None for a key the rules never wrote (it matches no window)."""
    try:
        return WindowKey.parse(nudge.window_key)
    except ValueError:
        return None


def nudge_subject(session: Session, nudge: Nudge) -> NextStep | Deal | None:
    """The next step or deal the nudge is about (its kind's subject); None when it is gone."""
    if kind_row(nudge.kind).subject is Subject.DEAL:
        return session.get(Deal, nudge.deal_id) if nudge.deal_id else None
    return session.get(NextStep, nudge.next_step_id) if nudge.next_step_id else None


def subject_state(subject: NextStep | Deal) -> SubjectState:
    return step_state(subject) if isinstance(subject, NextStep) else deal_state(subject)


def step_state(step: NextStep) -> StepState:
    """The next step as the nudge rules read it."""
    return StepState(
        status=NextStepStatus(step.status),
        status_changed_at=step.status_changed_at,
        scheduled_at=step.scheduled_at,
        booked_at=step.booked_at or step.created_at,
    )


def deal_state(deal: Deal, booked_ahead: datetime | None = None) -> DealState:
    """The deal as the nudge rules read it (``booked_ahead``: its earliest booked step still ahead)."""
    return DealState(
        status=DealStatus(deal.status),
        last_activity=deal.last_meeting_at or deal.created_at,
        booked_ahead=booked_ahead,
    )
