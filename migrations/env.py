"""Alembic environment: the models' metadata, and the database from DATABASE_URL (or the caller)."""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from bot.config import load_database_url
from models import Base, UTCDateTime, make_engine

config = context.config
log = logging.getLogger("nextstep")
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Migrations spell column types in SQLAlchemy's terms, never in the app's classes."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection, own: bool) -> None:
    """Run the migrations on ``connection``; ``own``: env.py opened it, so it may set pragmas on it."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and own:
        # Batch mode rebuilds a table as copy, DROP, rename. With foreign keys enforced (the
        # app's engine turns them on), that DROP cascades into every table referencing it:
        # rebuilding next_steps emptied nudges and reschedules. The pragma only takes effect
        # outside a transaction, so it is set, and committed, before the migrations run.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:
            raise RuntimeError("could not turn SQLite's foreign keys off for the migration")
        connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_item=_render_item,
            # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
            render_as_batch=sqlite,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite and own:
            connection.commit()
            # Each migration has committed by now (SQLite's DDL is not transactional), so
            # this cannot undo anything: it reports rows left pointing nowhere, for a person.
            dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if dangling:
                log.warning("rows pointing nowhere after the migration: %s", dangling[:5])
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        # The caller's connection, maybe inside the caller's transaction: left as it is. On
        # SQLite the caller turns foreign keys off first (see _run), or table rebuilds cascade.
        _run(connection, own=False)
        return
    url = config.get_main_option("sqlalchemy.url") or load_database_url()
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn, own=True)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
