"""The engine: a session that only read keeps PostgreSQL's prepared statements; one that wrote and
did not commit leaves nothing behind, on either database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from models import Rep, make_session_factory
from tests.seeds import pipeline as seed

_READ = select(Rep.display_name).where(Rep.team_id == "T1", Rep.user_id == "U1")


def _prepared(engine: Engine) -> list[str]:
    """The statements the next pooled connection holds prepared (PostgreSQL only)."""
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_a_statement_read_in_many_sessions_is_planned_once_per_connection(engine, now):
    sessions = make_session_factory(engine)
    with sessions() as session:
        seed.rep(session, "T1", "U1", now, "Dana")
        session.commit()
    for _ in range(8):  # each one as a request that only reads: closed, never committed
        with sessions() as session:
            assert session.execute(_READ).scalar_one() == "Dana"
    if engine.dialect.name == "postgresql":
        # psycopg prepares a statement on its 5th run, and forgets them all at a ROLLBACK: had
        # the read-only sessions ended with one, nothing would be prepared here.
        assert any("FROM reps" in s and "display_name" in s for s in _prepared(engine))
    else:  # SQLite's own statement cache is per connection and survives rollbacks: nothing changed
        assert engine.dialect.do_rollback.__func__ is type(engine.dialect).do_rollback  # type: ignore[attr-defined]


@pytest.mark.parametrize("read_first", [False, True])
def test_a_session_that_wrote_and_did_not_commit_leaves_nothing(engine, now, read_first):
    sessions = make_session_factory(engine)
    with sessions() as session:
        seed.workspace(session, "T1", now)
        session.commit()
    with sessions() as session:
        if read_first:
            session.execute(_READ).all()
        seed.rep(session, "T1", "U1", now, "Dana")  # flushed: the INSERT ran
        session.execute(_READ).all()  # a read after the write: the transaction still wrote
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Rep)) == 0
    with engine.connect() as conn:  # a raw write on a plain connection, closed without commit
        conn.execute(text("UPDATE workspaces SET name = 'changed'"))
    with sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM workspaces WHERE name = 'changed'")) == 0


def test_a_failed_read_and_a_failed_write_roll_back_and_the_connection_goes_on(engine, now):
    sessions = make_session_factory(engine)
    with sessions() as session:
        seed.rep(session, "T1", "U1", now, "Dana")
        session.commit()
    with sessions() as session, pytest.raises(DBAPIError):
        session.execute(text("SELECT no_such_column FROM reps")).all()
    with sessions() as session:
        seed.rep(session, "T1", "U2", now, "Sam")
        with pytest.raises(IntegrityError):
            seed.rep(session, "T1", "U1", now, "Dana again")  # the same user twice
    with sessions() as session:
        assert session.scalars(select(Rep.display_name)).all() == ["Dana"]
        assert session.execute(_READ).scalar_one() == "Dana"
