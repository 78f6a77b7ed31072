"""A manager's override of a deal's forecast: the probability set by hand, with its reason, kept
as history (a row with no probability goes back to the learned figure).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("learned", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by_user_id", sa.String(length=32), nullable=False),
        sa.Column("set_by_name", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_forecast_overrides_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_forecast_overrides_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_overrides")),
    )
    op.create_index(op.f("ix_forecast_overrides_deal_id_set_at"), "forecast_overrides", ["deal_id", "set_at"])
    op.create_index(op.f("ix_forecast_overrides_team_id"), "forecast_overrides", ["team_id"])


def downgrade() -> None:
    op.drop_table("forecast_overrides")
