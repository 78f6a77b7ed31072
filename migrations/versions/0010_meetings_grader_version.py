"""Meetings record which grader graded their ask, so `nextstep regrade` can bring old grades up.

Existing rows were graded by the first grader (version 1). This migration only adds the
column: regrading is `nextstep regrade` (run by the Procfile's release step after the
migrations), so the migration never imports the grader, whose rules change over time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("grader_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("grader_version")
