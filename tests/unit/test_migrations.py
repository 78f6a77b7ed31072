"""Alembic builds the schema, and the schema is exactly the models'."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.runtime.migrate import downgrade, upgrade
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


def test_migrating_a_database_with_history_keeps_every_row(databases):
    """Down to 0005 and up again with a pipeline in it: SQLite's table rebuilds must not cascade."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from bot.domain.vocabulary import NextStepStatus, NudgeKind, Reaction
    from models import Meeting, NextStep, Nudge, Reschedule
    from tests.seeds import pipeline as seed

    url = databases.create()
    upgrade(url)
    engine = make_engine(url)
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Session(engine) as session:
        rep = seed.rep(session, "T1", "U1", now, "Maria")
        deal = seed.deal(session, rep, "Acme", now - timedelta(days=30))
        meeting = seed.meeting(
            session, deal, now - timedelta(days=2), Reaction.BOOKED, step=NextStepStatus.BOOKED, step_at=now
        )
        step = session.scalars(select(NextStep).where(NextStep.meeting_id == meeting.id)).one()
        session.add(Reschedule(team_id="T1", next_step_id=step.id, from_at=now, to_at=now, changed_at=now))
        session.add(
            Nudge(
                team_id="T1",
                kind=NudgeKind.PREP,
                rep_id=rep.id,
                next_step_id=step.id,
                deal_id=deal.id,
                subject_key=f"step:{step.id}",
                window_key="1",
                due_at=now,
                sent_at=now,
            )
        )
        session.commit()
    engine.dispose()

    def counts() -> tuple[int, ...]:
        engine = make_engine(url)
        with engine.connect() as conn:
            found = tuple(
                conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()
                for model in (Meeting, NextStep, Reschedule, Nudge)
            )
        engine.dispose()
        return found

    assert counts() == (1, 1, 1, 1)
    downgrade(url, "0005")
    assert counts() == (1, 1, 1, 1)
    upgrade(url)
    assert counts() == (1, 1, 1, 1)


def test_the_upgrade_clears_the_stand_in_installer_and_keeps_oauth_installers(databases):
    """0009: single-workspace mode's first user was recorded as installer; an OAuth install has a row."""
    from sqlalchemy import select

    from models import Rep, Workspace
    from tests.seeds.migration import oauth_installation, rep_at_0008, workspace_at_0008

    url = databases.create()
    upgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as conn:
        workspace_at_0008(conn, "TSINGLE", installer="U1", timezone="Europe/Berlin")
        rep_at_0008(conn, "TSINGLE", "U1")
        workspace_at_0008(conn, "TOAUTH", installer="U9", timezone="America/Chicago")
        oauth_installation(conn, "TOAUTH", "U9")
        workspace_at_0008(conn, "TNEW", installer=None, welcomed=False)  # nobody used it yet
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        found = {
            row.team_id: (row.installer_user_id, row.timezone, row.timezone_chosen_by)
            for row in conn.execute(select(Workspace.__table__))
        }
        slack_admin = conn.execute(select(Rep.slack_admin)).scalar_one()
    engine.dispose()
    assert found == {
        # No admin any more; the timezone it took stays, as if chosen.
        "TSINGLE": (None, "Europe/Berlin", "U1"),
        "TOAUTH": ("U9", "America/Chicago", "U9"),
        # The first admin to use the app gives it their timezone.
        "TNEW": (None, "UTC", None),
    }
    assert slack_admin is False  # known as an admin once users.info says so
