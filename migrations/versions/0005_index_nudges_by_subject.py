"""Index nudges by subject: the sweep reads each due next step's and deal's past nudges without a scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 15:47:34.764086
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nudges_team_id_subject_key"), ["team_id", "subject_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudges_team_id_subject_key"))
