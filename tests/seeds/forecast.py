"""Deal histories (bot.domain.forecast.DealTimeline) written straight into the store, in bulk:
for the forecast's service tests and benchmarks/forecast.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert

from bot.domain.forecast import DealTimeline
from bot.domain.vocabulary import DealStatus
from models import Account, Deal, Meeting, NextStep

CHUNK = 5000


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        ids += [
            r.id
            for r in conn.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + CHUNK]
            )
        ]
    return ids


def store_timelines(
    conn: Connection, team_id: str, rep_id: int, timelines: Sequence[DealTimeline], prefix: str = "Co"
) -> dict[int, int]:
    """Write the deals with their meetings and steps; the stored deal id of each timeline's deal_id."""
    if not timelines:
        return {}
    accounts = _insert(
        conn,
        Account.__table__,
        [
            {
                "team_id": team_id,
                "name": f"{prefix} {t.deal_id}",
                "name_key": f"{prefix.lower()} {t.deal_id}",
                "created_at": t.created_at,
            }
            for t in timelines
        ],
    )
    deal_ids = _insert(
        conn,
        Deal.__table__,
        [
            {
                "team_id": team_id,
                "account_id": a,
                "owner_rep_id": rep_id,
                "name": f"{prefix} deal {t.deal_id}",
                "status": t.status,
                "lost_reason": "other" if t.status is DealStatus.LOST else None,
                "closed_at": t.closed_at,
                "created_at": t.created_at,
                "last_meeting_at": t.meetings[-1].held_at if t.meetings else None,
            }
            for a, t in zip(accounts, timelines, strict=True)
        ],
    )
    stored = dict(zip((t.deal_id for t in timelines), deal_ids, strict=True))
    meetings: list[dict[str, Any]] = []
    owners: list[int] = []
    for t in timelines:
        for m in t.meetings:
            meetings.append(
                {
                    "team_id": team_id,
                    "deal_id": stored[t.deal_id],
                    "rep_id": rep_id,
                    "held_at": m.held_at,
                    "ask_text": "Can we meet Thursday at 10?",
                    "ask_type": m.graded,
                    "graded_ask_type": m.graded,
                    "reaction": m.reaction,
                    "logged_at": m.logged_at,
                    "logged_via": "modal",
                    "version": 1,
                }
            )
            owners.append(m.id)
    meeting_ids = dict(zip(owners, _insert(conn, Meeting.__table__, meetings), strict=True))
    steps = [
        {
            "team_id": team_id,
            "deal_id": stored[t.deal_id],
            "meeting_id": meeting_ids.get(s.meeting_id) if s.meeting_id is not None else None,
            "rep_id": rep_id,
            "description": "Follow-up",
            "status": s.status,
            "scheduled_at": s.scheduled_at,
            "booked_at": s.booked_at,
            "status_changed_at": s.status_changed_at,
            "created_at": s.created_at,
        }
        for t in timelines
        for s in t.steps
    ]
    for start in range(0, len(steps), CHUNK):
        conn.execute(insert(NextStep.__table__), steps[start : start + CHUNK])
    return stored
