"""The one engine and session factory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, **kwargs: object) -> Engine:
    """An engine tuned for the backend: SQLite gets WAL and foreign keys, PostgreSQL a checked pool."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets the web and clock processes read while one of them writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    engine = create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    if engine.dialect.driver == "psycopg":
        _keep_prepared_statements(engine)
    return engine


_WROTE = "nextstep_wrote"  # in a DBAPI connection's info: its transaction ran more than SELECTs


def _keep_prepared_statements(engine: Engine) -> None:
    """Let psycopg keep its prepared statements: a transaction that only read ends with COMMIT.

    psycopg prepares a statement the 5th time a connection runs it, and forgets all of them at
    every ROLLBACK (it cannot know what a rolled-back transaction dropped). SQLAlchemy ends each
    session that only read with a rollback (``Session.close``, the pool's reset on return), so no
    statement ever stayed prepared and PostgreSQL planned every one again: most of the database's
    time on a Home page, where planning took 3 ms against 1 ms of running.

    For a transaction that ran only SELECTs, COMMIT and ROLLBACK are the same to the database
    (nothing to undo; its snapshot and row locks released alike). Any other statement (a write,
    a savepoint, SET, DDL) or a failed transaction still rolls back as before.
    """
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool) -> None:
        if many or statement.lstrip()[:6].upper() != "SELECT":
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _committed(conn: Any) -> None:
        conn.info.pop(_WROTE, None)

    rollback = engine.dialect.do_rollback

    def do_rollback(connection: Any) -> None:
        try:
            wrote = connection.info.pop(_WROTE, False)
        except (AttributeError, NotImplementedError):  # the dialect's first connect: no pool record
            wrote = True
        raw = getattr(connection, "dbapi_connection", connection)
        pgconn = getattr(raw, "pgconn", None)
        if not wrote and pgconn is not None and pgconn.transaction_status == TransactionStatus.INTRANS:
            raw.commit()
        else:
            rollback(connection)

    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
