"""Index nudges by deal: a logged meeting answers its deal's open nudges without a scan.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:05:46.689221
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudges_deal_id"), ["deal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudges_deal_id"))
