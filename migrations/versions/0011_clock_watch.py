"""Remember whether the admins were told the clock stopped, so every web process tells them once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    watch = op.create_table(
        "clock_watch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_watch")),
    )
    op.bulk_insert(watch, [{"id": 1, "state": "ok", "changed_at": None}])


def downgrade() -> None:
    op.drop_table("clock_watch")
