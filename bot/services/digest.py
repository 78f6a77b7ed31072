"""The manager's weekly digest: their team's pipeline hygiene, deal by deal.

Deals whose unscheduled step went three nudges unanswered (escalated), booked steps gone
overdue, stalled deals, open deals with no next step, and deals of reps who left. Each
deal appears once, under the first of those it matches. Above them, the team's forecast against
last week's (as people saw both) and the deals that moved most, each with what moved it. An
empty digest (nothing to act on, no forecast moved) is not sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.outlook import ForecastChange
from bot.domain.vocabulary import OPEN_NEXT_STEP_STATUSES, DealStatus, NextStepStatus, RepStatus
from bot.services.outlook import forecast_change
from bot.services.permissions import reps_managed_by
from bot.services.pipeline import escalated_steps
from models import Account, Deal, NextStep, Workspace

ESCALATED = "escalated"
OVERDUE = "overdue"
STALLED = "stalled"
NO_NEXT_STEP = "no_next_step"
REP_LEFT = "rep_left"
# In the order a manager should act on them.
CATEGORIES = (
    (ESCALATED, "Nudged 3 times, still no date"),
    (OVERDUE, "Booked step passed, nothing logged"),
    (STALLED, "Stalled"),
    (NO_NEXT_STEP, "No next step"),
    (REP_LEFT, "Deals of reps who left"),
)


@dataclass(frozen=True)
class DigestItem:
    deal_id: int
    deal_name: str
    account_name: str
    rep_name: str
    detail: str


@dataclass
class Digest:
    manager_user_id: str
    items: dict[str, list[DigestItem]] = field(default_factory=dict)
    forecast: ForecastChange | None = None  # the team's forecast against last week's, and the movers

    @property
    def empty(self) -> bool:
        return not any(self.items.values()) and (self.forecast is None or not self.forecast.moves)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.items.values())


def _ago(now: datetime, then: datetime) -> str:
    days = max(0, (now - then).days)
    return "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"


def build_digest(session: Session, workspace: Workspace, manager_user_id: str, now: datetime) -> Digest:
    """What this manager's reps' deals need, as of ``now``."""
    reps = {rep.id: rep for rep in reps_managed_by(session, workspace.team_id, manager_user_id)}
    digest = Digest(manager_user_id)
    if not reps:
        return digest
    digest.forecast = forecast_change(session, workspace.team_id, list(reps), now)
    # The team's open deals, through ix_deals_team_id_owner_rep_id_status.
    deals = list(
        session.scalars(
            select(Deal)
            .where(
                Deal.team_id == workspace.team_id,
                Deal.owner_rep_id.in_(list(reps)),
                Deal.status == DealStatus.OPEN,
            )
            .order_by(Deal.id)
        )
    )
    if not deals:
        return digest
    deal_ids = [d.id for d in deals]
    accounts = {
        a.id: a.name
        for a in session.scalars(select(Account).where(Account.id.in_({d.account_id for d in deals})))
    }
    steps: dict[int, list[NextStep]] = defaultdict(list)
    for step in session.scalars(  # ix_next_steps_deal_id_status
        select(NextStep).where(NextStep.deal_id.in_(deal_ids), NextStep.status.in_(OPEN_NEXT_STEP_STATUSES))
    ):
        steps[step.deal_id].append(step)
    escalated = escalated_steps(session, deal_ids)
    overdue_after = timedelta(minutes=workspace.overdue_after_minutes)
    stalled_after = timedelta(days=workspace.stalled_after_days)
    items: dict[str, list[DigestItem]] = {key: [] for key, _ in CATEGORIES}
    for deal in deals:
        rep = reps[deal.owner_rep_id]
        open_steps = steps.get(deal.id, [])
        unscheduled = [s for s in open_steps if s.status == NextStepStatus.UNSCHEDULED]
        booked = [s for s in open_steps if s.status == NextStepStatus.BOOKED and s.scheduled_at is not None]
        last = deal.last_meeting_at or deal.created_at

        def item(detail: str, deal: Deal = deal, rep_name: str = rep.display_name) -> DigestItem:
            return DigestItem(deal.id, deal.name, accounts.get(deal.account_id, ""), rep_name, detail)

        if rep.status == RepStatus.LEFT:
            items[REP_LEFT].append(item(f"{rep.display_name} left; last meeting {_ago(now, last)}"))
        elif given_up := [st for st in unscheduled if st.id in escalated]:
            items[ESCALATED].append(item(f"\u201c{given_up[0].description}\u201d agreed, never scheduled"))
        elif overdue := [s for s in booked if s.scheduled_at and s.scheduled_at < now - overdue_after]:
            assert overdue[0].scheduled_at is not None
            items[OVERDUE].append(
                item(f"\u201c{overdue[0].description}\u201d was due {_ago(now, overdue[0].scheduled_at)}")
            )
        elif last < now - stalled_after and not any(s.scheduled_at and s.scheduled_at > now for s in booked):
            items[STALLED].append(item(f"no meeting for {(now - last).days} days"))
        elif not open_steps:
            items[NO_NEXT_STEP].append(item(f"last meeting {_ago(now, last)}, nothing agreed since"))
    digest.items = {key: value for key, value in items.items() if value}
    return digest
