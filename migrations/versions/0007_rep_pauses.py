"""Keep every pause, so the leaderboard leaves a rep out of exactly the weeks a pause reached into.

Reps paused when this runs get one pause from the day of the upgrade (their start was not kept).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 11:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pauses = op.create_table(
        "rep_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.id"], name=op.f("fk_rep_pauses_rep_id_reps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_rep_pauses_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep_pauses")),
    )
    with op.batch_alter_table("rep_pauses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rep_pauses_rep_id_last_day"), ["rep_id", "last_day"], unique=False
        )
    now = datetime.now(UTC)
    reps = sa.table("reps", sa.column("id"), sa.column("team_id"), sa.column("paused_until", sa.Date()))
    rows = op.get_bind().execute(sa.select(reps).where(reps.c.paused_until.is_not(None))).all()
    if rows:
        op.bulk_insert(
            pauses,
            [
                {
                    "team_id": row.team_id,
                    "rep_id": row.id,
                    "first_day": min(now.date(), row.paused_until),
                    "last_day": row.paused_until,
                    "created_at": now,
                }
                for row in rows
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("rep_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rep_pauses_rep_id_last_day"))
    op.drop_table("rep_pauses")
