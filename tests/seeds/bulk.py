"""Bulk seeding for tests and benchmarks: workspaces, reps and due nudges, straight into the store.

What a thousand people logging meetings through Slack would leave behind, written with a few
multi-row INSERTs (SQLAlchemy Core, ``RETURNING`` in parameter order) so a test can start
its clock on a full database in a second or two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, update

from bot.domain.vocabulary import NextStepStatus, NudgeKind
from models import Account, Deal, NextStep, Nudge, Rep, Workspace

# A Tuesday afternoon in UTC: inside the default working hours (9:00-18:00, Monday-Friday).
SWEEP_AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


@dataclass(frozen=True)
class SeededRep:
    team_id: str
    user_id: str
    rep_id: int
    deal_id: int
    step_id: int


def user_id_of(team_id: str, n: int) -> str:
    return f"U{team_id}X{n:05d}"


def add_workspaces(conn: Connection, team_ids: Sequence[str], *, now: datetime = SWEEP_AT) -> None:
    """Workspaces with the default settings (working hours, nudge cadence)."""
    conn.execute(
        insert(Workspace),
        [{"team_id": t, "name": f"Workspace {t}", "created_at": now - timedelta(days=90)} for t in team_ids],
    )


def _inserted_ids(conn: Connection, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    table = model.__table__
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row.id for row in result]


def add_reps_with_due_unscheduled_steps(
    conn: Connection,
    team_id: str,
    count: int,
    *,
    now: datetime = SWEEP_AT,
    unscheduled_for: timedelta = timedelta(days=1),
) -> list[SeededRep]:
    """``count`` reps (UTC, profile fresh) with one account, deal and unscheduled next step each.

    Each step became unscheduled ``unscheduled_for`` before ``now`` and its check time has
    passed, so its first "not scheduled yet" nudge is due at ``now`` (one DM per rep).
    """
    since = now - unscheduled_for
    users = [user_id_of(team_id, n) for n in range(count)]
    rep_ids = _inserted_ids(
        conn,
        Rep,
        [
            {
                "team_id": team_id,
                "user_id": u,
                "display_name": u,
                "timezone": "UTC",
                "timezone_refreshed_at": now - timedelta(hours=1),
                "created_at": since - timedelta(days=30),
            }
            for u in users
        ],
    )
    account_ids = _inserted_ids(
        conn,
        Account,
        [
            {
                "team_id": team_id,
                "name": f"Account {u}",
                "name_key": f"account {u.lower()}",
                "created_by_rep_id": r,
                "created_at": since - timedelta(days=20),
            }
            for u, r in zip(users, rep_ids, strict=True)
        ],
    )
    deal_ids = _inserted_ids(
        conn,
        Deal,
        [
            {
                "team_id": team_id,
                "account_id": a,
                "owner_rep_id": r,
                "name": "Platform rollout",
                "last_meeting_at": since,
                "created_at": since - timedelta(days=20),
            }
            for a, r in zip(account_ids, rep_ids, strict=True)
        ],
    )
    step_ids = _inserted_ids(
        conn,
        NextStep,
        [
            {
                "team_id": team_id,
                "deal_id": d,
                "rep_id": r,
                "description": "Security review with their IT lead",
                "status": NextStepStatus.UNSCHEDULED,
                "status_changed_at": since,
                "nudge_check_at": since,
                "created_at": since,
            }
            for d, r in zip(deal_ids, rep_ids, strict=True)
        ],
    )
    return [
        SeededRep(team_id, u, r, d, s) for u, r, d, s in zip(users, rep_ids, deal_ids, step_ids, strict=True)
    ]


def add_claimed_nudges(
    conn: Connection,
    reps: Sequence[SeededRep],
    *,
    now: datetime = SWEEP_AT,
    unscheduled_for: timedelta = timedelta(days=1),
    worker: str = "seed",
) -> None:
    """The first nudge of each rep's step, claimed and not yet sent: what delivery starts from.

    What ``bot.clock.sweep.plan_and_claim`` leaves for steps seeded by
    ``add_reps_with_due_unscheduled_steps`` with the same ``now`` and ``unscheduled_for``:
    the claimed rows, and the steps' next check two days on (the second nudge).
    """
    since = now - unscheduled_for
    conn.execute(
        update(NextStep)
        .where(NextStep.id.in_([r.step_id for r in reps]))
        .values(nudge_check_at=now + timedelta(days=2))
    )
    conn.execute(
        insert(Nudge),
        [
            {
                "team_id": r.team_id,
                "kind": NudgeKind.UNSCHEDULED,
                "rep_id": r.rep_id,
                "next_step_id": r.step_id,
                "deal_id": r.deal_id,
                "subject_key": f"step:{r.step_id}",
                "window_key": f"{int(since.timestamp())}:1",
                "due_at": since + timedelta(hours=2),
                "claimed_at": now,
                "claimed_by": worker,
            }
            for r in reps
        ],
    )
