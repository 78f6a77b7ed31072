"""The weekly metrics' index carries what the board counts (PostgreSQL): index-only week scans.

On PostgreSQL the index is rebuilt with INCLUDE (reaction, graded_ask_type, deal_id,
withdrawn_at). The rebuild holds a write lock on meetings for as long as it takes
(seconds for a million meetings): run the release step outside busy hours. SQLite has no
INCLUDE and keeps its index as it is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_meetings_team_id_rep_id_held_at"
COLUMNS = ["team_id", "rep_id", "held_at"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="meetings")
    op.create_index(
        INDEX,
        "meetings",
        COLUMNS,
        postgresql_include=["reaction", "graded_ask_type", "deal_id", "withdrawn_at"],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="meetings")
    op.create_index(INDEX, "meetings", COLUMNS)
