"""Nudge scheduling: when to look at a next step or deal next, resumes after a pause, clock sweeps.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:34:14.151757
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clock_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_sweeps")),
    )
    with op.batch_alter_table("clock_sweeps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clock_sweeps_finished_at"), ["finished_at"], unique=False)

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_meeting_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("stall_check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_deals_stall_check_at"), ["stall_check_at"], unique=False)

    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nudge_check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_next_steps_nudge_check_at"), ["nudge_check_at"], unique=False)

    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudges_sent_at_due_at"))
        batch_op.create_index(
            batch_op.f("ix_nudges_sent_at_gave_up_at_next_attempt_at"),
            ["sent_at", "gave_up_at", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_nudges_team_id_channel_id_message_ts"),
            ["team_id", "channel_id", "message_ts"],
            unique=False,
        )

    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.drop_column("resumed_at")

    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudges_team_id_channel_id_message_ts"))
        batch_op.drop_index(batch_op.f("ix_nudges_sent_at_gave_up_at_next_attempt_at"))
        batch_op.create_index(batch_op.f("ix_nudges_sent_at_due_at"), ["sent_at", "due_at"], unique=False)

    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_next_steps_nudge_check_at"))
        batch_op.drop_column("nudge_check_at")

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_stall_check_at"))
        batch_op.drop_column("stall_check_at")
        batch_op.drop_column("last_meeting_at")

    with op.batch_alter_table("clock_sweeps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clock_sweeps_finished_at"))

    op.drop_table("clock_sweeps")
