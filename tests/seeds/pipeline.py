"""Pipelines written straight into the store, for the pipeline tests and benchmarks/home.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, DealStatus, NextStepStatus, Reaction
from models import Account, Deal, Meeting, NextStep, Rep, Workspace


def workspace(session: Session, team_id: str, now: datetime, installer: str | None = None) -> Workspace:
    ws = session.get(Workspace, team_id)
    if ws is None:
        ws = Workspace(
            team_id=team_id, name=team_id, created_at=now - timedelta(days=400), installer_user_id=installer
        )
        session.add(ws)
        session.flush()
    return ws


def rep(session: Session, team_id: str, user_id: str, now: datetime, name: str = "", **extra: Any) -> Rep:
    workspace(session, team_id, now)
    row = Rep(
        team_id=team_id,
        user_id=user_id,
        display_name=name or user_id,
        timezone="UTC",
        timezone_refreshed_at=now,
        created_at=now - timedelta(days=300),
        **extra,
    )
    session.add(row)
    session.flush()
    return row


def deal(
    session: Session,
    owner: Rep,
    account_name: str,
    created_at: datetime,
    *,
    name: str | None = None,
    amount: str | None = None,
    stage: str | None = None,
    status: DealStatus = DealStatus.OPEN,
    lost_reason: str | None = None,
    replaces: Deal | None = None,
) -> Deal:
    account = Account(
        team_id=owner.team_id,
        name=account_name,
        name_key=account_name.casefold(),
        created_by_rep_id=owner.id,
        created_at=created_at,
    )
    session.add(account)
    session.flush()
    row = Deal(
        team_id=owner.team_id,
        account_id=account.id,
        owner_rep_id=owner.id,
        name=name or f"{account_name} opportunity",
        amount=Decimal(amount) if amount else None,
        stage=stage,
        status=status,
        lost_reason=lost_reason,
        replaces_deal_id=replaces.id if replaces else None,
        created_at=created_at,
    )
    session.add(row)
    session.flush()
    return row


def meeting(
    session: Session,
    d: Deal,
    held_at: datetime,
    reaction: Reaction | None,
    *,
    ask: str = "Can we meet Tuesday at 10 with your CFO?",
    ask_type: AskType = AskType.SCHEDULED_MEETING,
    step: NextStepStatus | None = None,
    step_at: datetime | None = None,
    logged_at: datetime | None = None,
) -> Meeting:
    """A meeting and (when ``step``) its next step; the deal's last meeting moves with it."""
    row = Meeting(
        team_id=d.team_id,
        deal_id=d.id,
        rep_id=d.owner_rep_id,
        held_at=held_at,
        ask_text=ask,
        ask_type=ask_type,
        graded_ask_type=ask_type,
        reaction=reaction,
        logged_at=logged_at or held_at,
    )
    session.add(row)
    session.flush()
    if step is not None:
        session.add(
            NextStep(
                team_id=d.team_id,
                deal_id=d.id,
                meeting_id=row.id,
                rep_id=d.owner_rep_id,
                description="Proposal walkthrough",
                scheduled_at=step_at,
                status=step,
                booked_at=held_at if step_at else None,
                status_changed_at=held_at,
                created_at=held_at,
            )
        )
    d.last_meeting_at = max(filter(None, (d.last_meeting_at, held_at)))
    session.flush()
    return row


def bulk_pipeline(
    conn: Connection, owner: Rep, deals: int, meetings: int, now: datetime, prefix: str = "Co"
) -> None:
    """``deals`` open deals and ``meetings`` meetings spread over them, with an open step on each deal."""
    team_id = owner.team_id
    accounts = conn.execute(
        insert(Account.__table__).returning(Account.__table__.c.id, sort_by_parameter_order=True),
        [
            {
                "team_id": team_id,
                "name": f"{prefix} {i:05d}",
                "name_key": f"{prefix.lower()} {i:05d}",
                "created_at": now,
            }
            for i in range(deals)
        ],
    ).all()
    deal_ids = [
        r.id
        for r in conn.execute(
            insert(Deal.__table__).returning(Deal.__table__.c.id, sort_by_parameter_order=True),
            [
                {
                    "team_id": team_id,
                    "account_id": a.id,
                    "owner_rep_id": owner.id,
                    "name": f"{prefix} deal {i:05d}",
                    "amount": Decimal(1000 + i),
                    "status": DealStatus.OPEN,
                    "created_at": now - timedelta(days=200),
                    "last_meeting_at": now - timedelta(days=i % 30),
                }
                for i, a in enumerate(accounts)
            ],
        ).all()
    ]
    reactions = [Reaction.BOOKED, Reaction.AGREED_UNSCHEDULED, Reaction.HESITANT, Reaction.DECLINED]
    batch: list[dict[str, Any]] = []
    for n in range(meetings):
        batch.append(
            {
                "team_id": team_id,
                "deal_id": deal_ids[n % len(deal_ids)],
                "rep_id": owner.id,
                "held_at": now - timedelta(days=180) + timedelta(minutes=13 * n),
                "ask_text": "Can we meet Thursday at 10 with your CFO to go through the proposal and pricing?",
                "ask_type": AskType.SCHEDULED_MEETING,
                "graded_ask_type": AskType.SCHEDULED_MEETING,
                "reaction": reactions[n % 4],
                "logged_at": now - timedelta(days=180) + timedelta(minutes=13 * n),
                "logged_via": "modal",
                "version": 1,
            }
        )
        if len(batch) == 5000:
            conn.execute(insert(Meeting.__table__), batch)
            batch = []
    if batch:
        conn.execute(insert(Meeting.__table__), batch)
    conn.execute(
        insert(NextStep.__table__),
        [
            {
                "team_id": team_id,
                "deal_id": d,
                "rep_id": owner.id,
                "description": "Follow-up",
                "status": NextStepStatus.BOOKED if i % 2 else NextStepStatus.UNSCHEDULED,
                "scheduled_at": now + timedelta(days=1 + i % 20) if i % 2 else None,
                "booked_at": now - timedelta(days=3) if i % 2 else None,
                "status_changed_at": now - timedelta(days=i % 10),
                "created_at": now - timedelta(days=10),
            }
            for i, d in enumerate(deal_ids)
        ],
    )
