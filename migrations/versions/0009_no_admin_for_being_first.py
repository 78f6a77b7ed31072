"""Nobody is an admin for being first: clear the stand-in installer single-workspace mode recorded.

Before this revision, a workspace without an OAuth install recorded the first person who used
the app as its installer, and the installer is an admin. Only an OAuth install has a real
installer, and it leaves its row in slack_installations; every other installer is cleared. (An
OAuth workspace uninstalled since, whose rows are gone, loses its installer too; reinstalling
records it again.) Downgrading does not bring the stand-ins back.

The timezone those workspaces took stays theirs: it is recorded as chosen, so the next admin's
timezone does not replace it. Reps get Slack's admin flag, refreshed with their profile.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone_chosen_by", sa.String(length=32), nullable=True))

    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_admin", sa.Boolean(), server_default=sa.false(), nullable=False))

    workspaces = sa.table(
        "workspaces",
        sa.column("team_id", sa.String()),
        sa.column("installer_user_id", sa.String()),
        sa.column("leaderboard_channel_chosen_by", sa.String()),
        sa.column("timezone_chosen_by", sa.String()),
    )
    installations = sa.table("slack_installations", sa.column("team_id", sa.String()))
    op.execute(
        workspaces.update().values(
            timezone_chosen_by=sa.func.coalesce(
                workspaces.c.installer_user_id, workspaces.c.leaderboard_channel_chosen_by
            )
        )
    )
    installed = sa.exists().where(installations.c.team_id == workspaces.c.team_id)
    op.execute(
        workspaces.update()
        .where(workspaces.c.installer_user_id.is_not(None), ~installed)
        .values(installer_user_id=None)
    )


def downgrade() -> None:
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.drop_column("slack_admin")

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("timezone_chosen_by")
