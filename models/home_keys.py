"""Every write to what a deal's stored Home key reads bumps the deal's ``signals_gen``.

One session event for every session of every process (web, clock, CLI), so no write path has to
remember it: before each flush, the deals of the new, changed and deleted meetings, next steps
(and their reschedules), forecast overrides and deals themselves are collected. A deal loaded in
the session gets ``signals_gen = signals_gen + 1`` in the same flush (no extra statement when it
is being updated anyway); the others one ``UPDATE deals`` after the flush. The bump commits with
the write, so a Home build that read the facts before it sees an older generation afterwards.

A forecast fit written again (a refit of the same day keeps its row) gets its own
``signals_gen`` bumped in its UPDATE. Not covered here, and checked where the keys are read
(bot.services.home_keys): the clock's escalations (a Core UPDATE of nudges), which fit is the
latest, and the stall threshold. A Core
UPDATE of meetings or next steps must come with an ORM write to the same deal, or bump
``signals_gen`` itself (``bot.services.meetings.log_meeting`` writes in statements and does).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from models.entities import Deal, ForecastFit, ForecastOverride, Meeting, NextStep, Reschedule

_BY_DEAL = (Meeting, NextStep, ForecastOverride)
_PENDING = "home_keys_pending"  # session.info: (deal ids, step ids) to bump after this flush


def _loaded(session: Session, cls: type, pk: int | None) -> Any:
    if pk is None:
        return None
    return session.identity_map.get(identity_key(cls, pk))


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: Any, _instances: Any) -> None:
    deal_ids: set[int] = set()
    step_ids: set[int] = set()
    changed = [*session.new, *session.dirty, *session.deleted]
    for obj in changed:
        if isinstance(obj, _BY_DEAL):
            deal_id = obj.deal_id
            if deal_id is None and getattr(obj, "deal", None) is not None:
                deal_id = obj.deal.id
            if deal_id is not None:
                deal_ids.add(deal_id)
        elif isinstance(obj, Reschedule):
            step = _loaded(session, NextStep, obj.next_step_id)
            if step is not None:
                deal_ids.add(step.deal_id)
            elif obj.next_step_id is not None:
                step_ids.add(obj.next_step_id)
        elif isinstance(obj, Deal) and obj.id is not None and obj not in session.new:
            deal_ids.add(obj.id)
        elif isinstance(obj, ForecastFit) and obj in session.dirty:
            obj.signals_gen = ForecastFit.signals_gen + 1  # in its own UPDATE
    if not deal_ids and not step_ids:
        return
    rest: set[int] = set()
    for deal_id in deal_ids:
        deal = _loaded(session, Deal, deal_id)
        if deal is not None and deal not in session.deleted:
            deal.signals_gen = Deal.signals_gen + 1
        else:
            rest.add(deal_id)
    if rest or step_ids:
        pending = session.info.setdefault(_PENDING, (set(), set()))
        pending[0].update(rest)
        pending[1].update(step_ids)


@event.listens_for(Session, "after_flush")
def _bump(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    deal_ids, step_ids = pending
    where: ColumnElement[bool] = Deal.id.in_(sorted(deal_ids))
    if step_ids:
        where = where | Deal.id.in_(select(NextStep.deal_id).where(NextStep.id.in_(sorted(step_ids))))
    session.connection().execute(
        update(Deal)
        .where(where)
        .values(signals_gen=Deal.signals_gen + 1)
        .execution_options(synchronize_session=False)
    )


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
