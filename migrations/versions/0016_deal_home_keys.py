"""Each open deal's stored App Home key, so a Home page scores only the deals it shows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 13:10:00

``deal_home_keys`` holds what the Home sorts and totals by (urgency bucket and anchor, step
state, flags, the chance counted); ``deals.signals_gen`` is bumped by every write to what that
key reads, and ``forecast_fits.signals_gen`` by every write to a fit (a refit of the same day
keeps its row), so a key of an older generation is recomputed (bot.services.home_keys).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("signals_gen", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("forecast_fits") as batch:
        batch.add_column(sa.Column("signals_gen", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "deal_home_keys",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("gen", sa.Integer(), nullable=False),
        sa.Column("fit_id", sa.Integer(), nullable=False),
        sa.Column("fit_gen", sa.Integer(), nullable=False),
        sa.Column("stalled_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("time_sink", sa.Boolean(), nullable=False),
        sa.Column("replace_now", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("expected_micros", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name="fk_deal_home_keys_deal_id_deals", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("deal_id", name="pk_deal_home_keys"),
    )


def downgrade() -> None:
    op.drop_table("deal_home_keys")
    with op.batch_alter_table("forecast_fits") as batch:
        batch.drop_column("signals_gen")
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("signals_gen")
