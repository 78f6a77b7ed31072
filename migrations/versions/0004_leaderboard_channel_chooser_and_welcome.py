"""Who chose each leaderboard channel (told of posting faults), and when the installer was welcomed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:16:04.782612
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sales_teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_chosen_by", sa.String(length=32), nullable=True))

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leaderboard_channel_chosen_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=True))

    # Workspaces installed before this revision are already set up: no welcome DM for them.
    op.execute("UPDATE workspaces SET welcomed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("welcomed_at")
        batch_op.drop_column("leaderboard_channel_chosen_by")

    with op.batch_alter_table("sales_teams", schema=None) as batch_op:
        batch_op.drop_column("channel_chosen_by")
