"""A covering index of the meetings that count, by deal: the App Home's counts and last meetings.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 10:10:00

The Home counts each open deal's meetings and reads its last five (a LATERAL top-5 per deal on
PostgreSQL). With the columns it reads included and withdrawn meetings left out, both are
index-only scans: 500 deals with 20k meetings cost a few milliseconds, not 20k heap visits.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_meetings_counted_deal_id_held_at",
        "meetings",
        ["deal_id", "held_at", "id"],
        postgresql_include=["logged_at", "reaction", "graded_ask_type"],
        postgresql_where=sa.text("withdrawn_at IS NULL"),
        sqlite_where=sa.text("withdrawn_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_meetings_counted_deal_id_held_at", table_name="meetings")
