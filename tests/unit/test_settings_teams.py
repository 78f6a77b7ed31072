"""Saving the settings modal never drops reps it could not show (a multi_users_select lists 100)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bot.blocks.settings_modal import TEAM_REPS_SHOWN
from bot.reps import ensure_workspace
from bot.settings import SettingsForm, TeamForm, apply_settings
from models import Rep, SalesTeam


def test_a_team_bigger_than_the_modal_keeps_the_reps_it_did_not_show(session, now):
    ensure_workspace(session, "T1", now)
    team = SalesTeam(team_id="T1", name="Field", created_at=now)
    session.add(team)
    session.flush()
    session.add_all(
        Rep(
            team_id="T1",
            user_id=f"U{n:03d}",
            display_name=f"Rep {n:03d}",
            sales_team_id=team.id,
            created_at=now,
        )
        for n in range(120)
    )
    session.commit()
    shown = [f"U{n:03d}" for n in range(TEAM_REPS_SHOWN)]
    kept = [u for u in shown if u != "U007"]  # the admin took one rep out of the 100 shown
    form = SettingsForm(
        timezone="Europe/Berlin",
        channel=None,
        weekday=0,
        post_time=time(9),
        min_meetings=3,
        work_start=time(9),
        work_end=time(18),
        work_days=[0, 1, 2, 3, 4],
        holidays=[],
        first_nudge_hours=2,
        nudge_every_days=2,
        max_nudges=3,
        overdue_hours=2,
        stalled_days=14,
        teams=[TeamForm(key=str(team.id), name="Field", manager=None, reps=kept, channel=None)],
    )
    apply_settings(session, "T1", form, "UADMIN", now)
    members = set(session.scalars(select(Rep.user_id).where(Rep.sales_team_id == team.id)))
    assert "U007" not in members
    assert len(members) == 119 and {f"U{n:03d}" for n in range(100, 120)} <= members
