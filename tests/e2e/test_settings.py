"""`/nextsteps settings`, `privacy`, `leaderboard` and `help` over signed HTTP, and the installer's welcome."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.slack import ids
from bot.slackfake.render import render_message
from models import Holiday, Rep, SalesTeam, Workspace
from tests.e2e.conftest import TEAM


def said(user, text: str) -> str:
    assert user.slash("/nextsteps", text).status == 200
    return " ".join(
        render_message(user.ephemerals()[-1], width=200).replace("*", "").replace("`", "").split()
    )


def test_an_admin_sets_up_the_workspace_and_a_team_with_errors_next_to_the_field(fake, running, person):
    fake.add_user(TEAM, "UADA", "ada", real_name="Ada Admin", tz="Europe/Paris", is_admin=True)
    fake.add_channel(TEAM, "CALL", "sales")
    fake.add_channel(TEAM, "CEAST", "east-team")
    ada = person("UADA")
    assert ada.slash("/nextsteps", "settings").status == 200
    fake.wait_until(lambda: ada.view is not None)
    assert ada.view["callback_id"] == ids.SETTINGS_MODAL
    ada.fill(ids.SETTING_TIMEZONE, "Mars/Olympus_Mons")
    ada.fill(ids.SETTING_HOLIDAYS, "2026-12-25 Christmas Day\nBoxing Day")
    ada.fill(ids.SETTING_WORK_END, time(8, 0))
    ada.fill(ids.TEAM_MANAGER + "new", "U2")
    ada.submit()
    assert ada.errors == {
        ids.SETTING_TIMEZONE: "Enter a timezone name like Europe/Berlin or America/New_York.",
        ids.SETTING_HOLIDAYS: "Line 2 (\u201cBoxing Day\u201d): start each line with a date like 2026-12-25.",
        ids.SETTING_WORK_END: "The working day must end after it starts.",
        ids.TEAM_NAME + "new": "Name the new team (or clear its other fields).",
    }
    ada.fill(ids.SETTING_TIMEZONE, "America/New_York")
    ada.fill(ids.SETTING_HOLIDAYS, "2026-12-25 Christmas Day\n2026-12-26")
    ada.fill(ids.SETTING_WORK_END, time(17, 30))
    ada.fill(ids.SETTING_CHANNEL, "CALL")
    ada.fill(ids.SETTING_WEEKDAY, "4")
    ada.fill(ids.SETTING_POST_TIME, time(16, 0))
    ada.fill(ids.SETTING_MIN_MEETINGS, "2")
    ada.fill(ids.SETTING_WORK_DAYS, ["0", "1", "2", "3"])
    ada.fill(ids.TEAM_NAME + "new", "East")
    ada.fill(ids.TEAM_REPS + "new", ["U1"])
    ada.fill(ids.TEAM_CHANNEL + "new", "CEAST")
    ada.submit()
    assert ada.errors == {} and ada.view is None
    confirmation = fake.wait_until(lambda: [m for m in ada.dms() if "Settings saved" in m["text"]])
    assert (
        confirmation[0]["text"]
        == "Settings saved. The next leaderboard goes out Friday at 16:00 (America/New_York)."
    )
    with Session(running.engine) as session:
        workspace = session.get(Workspace, TEAM)
        assert workspace is not None
        assert (workspace.timezone, workspace.leaderboard_weekday, workspace.leaderboard_time) == (
            "America/New_York",
            4,
            time(16, 0),
        )
        assert (workspace.leaderboard_channel_id, workspace.leaderboard_channel_chosen_by) == ("CALL", "UADA")
        assert (workspace.min_meetings_to_rank, workspace.work_days, workspace.work_end) == (
            2,
            "0,1,2,3",
            time(17, 30),
        )
        assert [
            (h.day.isoformat(), h.name) for h in session.scalars(select(Holiday).order_by(Holiday.day))
        ] == [
            ("2026-12-25", "Christmas Day"),
            ("2026-12-26", ""),
        ]
        team = session.scalars(select(SalesTeam)).one()
        assert (team.name, team.manager_user_id, team.channel_id, team.channel_chosen_by) == (
            "East",
            "U2",
            "CEAST",
            "UADA",
        )
        maria = session.scalars(select(Rep).where(Rep.user_id == "U1")).one()
        assert maria.sales_team_id == team.id
    fake.wait_until(lambda: _name(running, "U1") == "maria")  # the new rep's name, from Slack
    # Reopened, the modal shows what was saved.
    ada.slash("/nextsteps", "settings")
    fake.wait_until(lambda: ada.view is not None)
    shown = render_message({"blocks": ada.view["blocks"]}, width=200)
    assert "Team: East" in shown and "America/New_York" in shown


def _name(running, user_id: str) -> str:
    with Session(running.engine) as session:
        return session.scalars(select(Rep.display_name).where(Rep.user_id == user_id)).one()


def test_a_non_admin_is_refused_politely(fake, running, person, maria):
    fake.add_user(TEAM, "UADA", "ada", is_admin=True)
    ada = person("UADA")
    said(ada, "help")  # the first person to use the app stands in for the installer
    fake.wait_until(ada.dms)  # and is welcomed as such
    text = said(maria, "settings")
    assert text.startswith(
        "Only workspace admins and owners, and whoever installed Next Step, can change its settings."
    )
    assert maria.view is None


def test_the_installer_is_welcomed_once_with_the_three_things_to_set_up(fake, running, maria):
    said(maria, "help")
    said(maria, "privacy")
    welcome = fake.wait_until(lambda: maria.dms())
    fake.wait_idle(quiet=0.3)
    assert len(maria.dms()) == 1
    shown = render_message(welcome[0], width=200)
    assert "Welcome to Next Step" in shown
    for step in ("Pick the leaderboard channel", "Define your teams", "Set working hours and holidays"):
        assert step in shown


def test_privacy_toggles_being_named(fake, running, maria):
    assert said(maria, "privacy").startswith("You're off the leaderboard: your meetings still count")
    with Session(running.engine) as session:
        assert session.scalars(select(Rep.leaderboard_opt_out).where(Rep.user_id == "U1")).one() is True
    assert said(maria, "privacy").startswith("You're on the leaderboard again")


def test_leaderboard_on_demand_shows_the_askers_team_only_to_them(fake, running, maria):
    text = said(maria, "leaderboard this")
    assert "Next-step leaderboard:" in text and "so far this week" in text
    assert "No meetings logged this week." in text
    assert "week of" in said(maria, "leaderboard last")
    assert "Try /nextsteps leaderboard last" in said(maria, "leaderboard yesterday")
    assert fake.calls_to("chat.postMessage") == [] or all(
        c.params["channel"] in ("U1",) for c in fake.calls_to("chat.postMessage")
    )


def test_help_explains_every_command(fake, running, maria):
    text = said(maria, "help")
    for command in (
        "/meeting [account]",
        "/nextsteps leaderboard [this|last]",
        "/nextsteps privacy",
        "/nextsteps settings",
        "/nextsteps pause until",
        "/nextsteps resume",
    ):
        assert command in text


def test_a_workspace_with_more_teams_than_the_modal_holds_reaches_each_by_name(fake, running, person):
    from datetime import UTC, datetime

    from bot.services.reps import ensure_workspace
    from bot.slack.blocks.settings_modal import MAX_TEAMS_SHOWN

    fake.add_user(TEAM, "UADA", "ada", real_name="Ada Admin", tz="Europe/Paris", is_admin=True)
    names = [f"Region {n:02d}" for n in range(1, 17)]  # 16 teams; the modal holds 14
    with Session(running.engine) as session:
        ensure_workspace(session, TEAM, datetime.now(UTC))
        session.add_all(SalesTeam(team_id=TEAM, name=n, created_at=datetime.now(UTC)) for n in names)
        session.commit()
    ada = person("UADA")

    def team_names(view) -> list[str]:
        return [
            b["element"].get("initial_value")
            for b in view["blocks"]
            if b.get("block_id", "").startswith(ids.TEAM_NAME) and b["element"].get("initial_value")
        ]

    assert ada.slash("/nextsteps", "settings").status == 200
    view = fake.wait_until(lambda: ada.view)
    assert team_names(view) == names[:MAX_TEAMS_SHOWN] and len(view["blocks"]) <= 100
    notes = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(
        n.startswith("Showing 14 of 16 teams. To edit another, type `/nextsteps settings <team name>`")
        for n in notes
    )
    ada.close()

    assert ada.slash("/nextsteps", "settings region 16").status == 200
    view = fake.wait_until(lambda: ada.view)
    assert team_names(view)[0] == "Region 16" and len(view["blocks"]) <= 100
    ada.submit()  # saving keeps every team, shown or not
    fake.wait_until(lambda: ada.view is None)
    with Session(running.engine) as session:
        assert sorted(session.scalars(select(SalesTeam.name))) == names
