"""Remember which meeting counted as a next step happening, so withdrawing it reopens the step.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_by_meeting_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_next_steps_done_by_meeting_id_meetings"),
            "meetings",
            ["done_by_meeting_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_next_steps_done_by_meeting_id"), ["done_by_meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_next_steps_done_by_meeting_id"))
        batch_op.drop_constraint(batch_op.f("fk_next_steps_done_by_meeting_id_meetings"), type_="foreignkey")
        batch_op.drop_column("done_by_meeting_id")
