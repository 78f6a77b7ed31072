"""Schema migrations through Alembic, from any working directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

import migrations


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def upgrade_checked(database_url: str) -> str:
    """`nextstep db upgrade`: one line (not Alembic's traceback) when the database does not answer."""
    from bot.runtime.readiness import head_revision, schema_revision
    from models import make_engine

    engine = make_engine(database_url)
    try:
        schema_revision(engine)  # reachable, or ConfigError with the one line
    finally:
        engine.dispose()
    upgrade(database_url)
    return head_revision()


def downgrade_checked(database_url: str, revision: str) -> None:
    from bot.runtime.readiness import schema_revision
    from models import make_engine

    engine = make_engine(database_url)
    try:
        schema_revision(engine)
    finally:
        engine.dispose()
    downgrade(database_url, revision)
