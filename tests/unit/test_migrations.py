"""Alembic builds the schema, and the schema is exactly the models'."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.migrate import downgrade, upgrade
from models import Base, make_engine


def test_upgrade_downgrade_upgrade_matches_the_models(databases):
    url = databases.create()
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"meetings", "next_steps", "nudges", "slack_installations", "slack_oauth_states"} <= tables


def test_the_sweep_and_weekly_queries_have_their_indexes(database_url):
    engine = make_engine(database_url)
    insp = inspect(engine)
    step_indexes = {tuple(ix["column_names"]) for ix in insp.get_indexes("next_steps")}
    meeting_indexes = {tuple(ix["column_names"]) for ix in insp.get_indexes("meetings")}
    engine.dispose()
    assert ("status", "scheduled_at") in step_indexes
    assert ("team_id", "rep_id", "held_at") in meeting_indexes
