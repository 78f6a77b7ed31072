"""When each rep last looked at their App Home: after a write it is rebuilt only for those who did lately.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.add_column(sa.Column("home_opened_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.drop_column("home_opened_at")
