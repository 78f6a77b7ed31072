"""The forecast from reactions: daily fits per workspace, each open deal's weekly probability,
and the workspace's stale-deal setting.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch:
        batch.add_column(sa.Column("forecast_stale_days", sa.Integer(), server_default="90", nullable=False))
    op.create_table(
        "forecast_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("time_spent", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_forecast_fits_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_fits")),
        sa.UniqueConstraint("team_id", "local_day", name=op.f("uq_forecast_fits_team_id_local_day")),
    )
    op.create_index(op.f("ix_forecast_fits_team_id_fitted_at"), "forecast_fits", ["team_id", "fitted_at"])
    op.create_table(
        "deal_forecasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_deal_forecasts_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_forecasts_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_forecasts")),
        sa.UniqueConstraint("deal_id", "week_start", name=op.f("uq_deal_forecasts_deal_id_week_start")),
    )
    op.create_index(op.f("ix_deal_forecasts_team_id_week_start"), "deal_forecasts", ["team_id", "week_start"])


def downgrade() -> None:
    op.drop_table("deal_forecasts")
    op.drop_table("forecast_fits")
    with op.batch_alter_table("workspaces", schema=None) as batch:
        batch.drop_column("forecast_stale_days")
