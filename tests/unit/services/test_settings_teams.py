"""Saving the settings modal never drops reps it could not show (a multi_users_select lists 100)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bot.domain.settings import Settings, TeamSettings
from bot.services.reps import ensure_workspace
from bot.services.settings import apply_settings
from bot.slack.blocks.settings_modal import TEAM_REPS_SHOWN
from models import Rep, SalesTeam, Workspace


def _form(**changes) -> Settings:
    """The settings modal's defaults, as saved, with ``changes``."""
    values = dict(
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
        teams=[],
    )
    return Settings(**(values | changes))


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
    form = _form(teams=[TeamSettings(key=str(team.id), name="Field", manager=None, reps=kept, channel=None)])
    apply_settings(session, "T1", form, "UADMIN", now)
    members = set(session.scalars(select(Rep.user_id).where(Rep.sales_team_id == team.id)))
    assert "U007" not in members
    assert len(members) == 119 and {f"U{n:03d}" for n in range(100, 120)} <= members


def test_holidays_that_would_not_fit_back_in_the_modal_are_refused_with_the_reason(session, now):
    from datetime import date, timedelta

    from slack_sdk.models.views import View

    from bot.services.settings import MAX_HOLIDAYS_TEXT, parse_holidays, settings_view
    from bot.slack.blocks.settings_modal import settings_modal

    days = [date(2027, 1, 1) + timedelta(days=n) for n in range(100)]
    # typed in the compact form Python also reads (20270101), every line grows by two characters
    typed = "\n".join(f"{d:%Y%m%d} {'Company offsite day':.19}" for d in days)
    assert len(typed) <= MAX_HOLIDAYS_TEXT  # Slack accepted what was typed
    holidays, error = parse_holidays(typed)
    assert holidays == [] and error == "Shorten the names: the list must fit in 3,000 characters."

    fitting, error = parse_holidays("\n".join(f"{d:%Y-%m-%d} Offsite" for d in days))
    assert error is None and len(fitting) == 100
    ensure_workspace(session, "T1", now)
    form = _form(holidays=fitting)
    apply_settings(session, "T1", form, "UADMIN", now)
    view = settings_modal(settings_view(session, session.get(Workspace, "T1")))
    View(**view).to_dict()  # valid for Slack (slack_sdk does not check an initial value's length)
    (field,) = [b for b in view["blocks"] if b.get("block_id") == "setting_holidays"]
    assert field["element"]["initial_value"].splitlines()[0] == "2027-01-01 Offsite"
    assert len(field["element"]["initial_value"]) <= MAX_HOLIDAYS_TEXT
