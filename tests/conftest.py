"""Shared fixtures: a migrated throwaway database (SQLite or PostgreSQL, by DATABASE_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.config import normalize_database_url
from bot.runtime.migrate import upgrade
from models import Base, make_engine, make_session_factory


def _server_url() -> str | None:
    raw = os.environ.get("DATABASE_URL", "").strip()
    return normalize_database_url(raw) if raw and not raw.startswith("sqlite") else None


class Databases:
    """Creates and drops throwaway databases on the test server (PostgreSQL) or as files (SQLite)."""

    def __init__(self, tmp_dir: str):
        self.server = _server_url()
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def create(self) -> str:
        name = f"nextstep_test_{uuid.uuid4().hex[:10]}"
        if self.server is None:
            return f"sqlite:///{self.tmp_dir}/{name}.sqlite"
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.server is None:
            return
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(str(tmp_path_factory.mktemp("db")))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: Databases) -> str:
    """One migrated database for the session; tests empty it between them."""
    url = databases.create()
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    _empty(engine)
    engine.dispose()


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # a Tuesday afternoon
