"""`/nextsteps settings`, `privacy`, `leaderboard` and `help` over signed HTTP; who is an admin, who is welcomed."""

from __future__ import annotations

from datetime import time

from slack_sdk.models.blocks import Block
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.slack import ids
from bot.slackfake.render import render_message
from bot.slackfake.user import SlackUser
from models import Holiday, Rep, SalesTeam, Workspace
from tests.e2e.conftest import SECRET, TEAM, assert_everything_sent_is_valid, said, start_app
from tests.seeds.migration import rep_at_0008, workspace_at_0008


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
    ada.fill(ids.SETTING_FORECAST_STALE_DAYS, "7")
    ada.submit()
    assert ada.errors == {
        ids.SETTING_TIMEZONE: "Enter a timezone name like Europe/Berlin or America/New_York.",
        ids.SETTING_HOLIDAYS: "Line 2 (\u201cBoxing Day\u201d): start each line with a date like 2026-12-25.",
        ids.SETTING_WORK_END: "The working day must end after it starts.",
        ids.TEAM_NAME + "new": "Name the new team (or clear its other fields).",
        ids.SETTING_FORECAST_STALE_DAYS: "Enter a whole number from 14 to 730.",
    }
    ada.fill(ids.SETTING_TIMEZONE, "America/New_York")
    ada.fill(ids.SETTING_HOLIDAYS, "2026-12-25 Christmas Day\n2026-12-26")
    ada.fill(ids.SETTING_WORK_END, time(17, 30))
    ada.fill(ids.SETTING_CHANNEL, "CALL")
    ada.fill(ids.SETTING_WEEKDAY, "4")
    ada.fill(ids.SETTING_POST_TIME, time(16, 0))
    ada.fill(ids.SETTING_MIN_MEETINGS, "2")
    ada.fill(ids.SETTING_WORK_DAYS, ["0", "1", "2", "3"])
    ada.fill(ids.SETTING_FORECAST_STALE_DAYS, "180")
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
        assert workspace.forecast_stale_days == 180
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


def _workspace(running) -> Workspace:
    with Session(running.engine) as session:
        workspace = session.get(Workspace, TEAM)
        assert workspace is not None
        return workspace


def _welcomes(fake, user_id: str) -> list[dict]:
    return [m for m in fake.dm_messages(TEAM, user_id) if "Welcome to Next Step" in render_message(m)]


def test_the_first_person_to_use_a_fresh_install_is_no_admin_for_being_first(fake, running, maria):
    said(maria, "help")  # Maria is no Slack admin, and nobody used the app before her
    text = said(maria, "settings")
    assert text.startswith(
        "Only Slack's workspace admins and owners, and the people listed in Next Step's "
        "NEXTSTEP_ADMINS setting, can change Next Step's settings."
    )
    assert "add their Slack member ID to NEXTSTEP_ADMINS" in text
    fake.wait_idle(quiet=0.3)
    assert maria.view is None and fake.calls_to("views.open") == []
    assert maria.dms() == [], "no welcome: she is no admin"
    workspace = _workspace(running)
    assert workspace.installer_user_id is None and workspace.welcomed_at is None
    assert workspace.timezone == "UTC", "the workspace waits for an admin's timezone, not hers"


def test_a_slack_admin_may_change_the_settings_and_the_first_one_is_welcomed(fake, running, maria, person):
    fake.add_user(TEAM, "UADA", "ada", real_name="Ada Admin", tz="Europe/Paris", is_admin=True)
    fake.add_user(TEAM, "UOWEN", "owen", tz="Asia/Tokyo", is_owner=True)
    said(maria, "help")
    ada = person("UADA")
    said(ada, "help")
    (welcome,) = fake.wait_until(lambda: _welcomes(fake, "UADA"))
    shown = render_message(welcome, width=200)
    assert "Hi @UADA, I'm ready in your workspace, and you're one of my admins." in shown
    assert "Pick the leaderboard channel" in shown and "NEXTSTEP_ADMINS" in shown
    assert ada.slash("/nextsteps", "settings").status == 200
    assert fake.wait_until(lambda: ada.view)["callback_id"] == ids.SETTINGS_MODAL
    # The workspace takes its first admin's timezone: Ada's, not Maria's (who came first).
    assert _workspace(running).timezone == "Europe/Paris"
    owen = person("UOWEN")  # an owner is an admin too; the welcome went out once, to Ada
    assert owen.slash("/nextsteps", "settings").status == 200
    assert fake.wait_until(lambda: owen.view)["callback_id"] == ids.SETTINGS_MODAL
    fake.wait_idle(quiet=0.3)
    assert owen.dms() == [] and maria.dms() == [] and len(ada.dms()) == 1
    assert _workspace(running).timezone == "Europe/Paris"
    assert said(maria, "settings").startswith("Only Slack's workspace admins and owners")


def test_the_users_in_nextstep_admins_may_change_the_settings_and_are_welcomed(fake, engine, person):
    fake.add_user(TEAM, "UADA", "ada", tz="Europe/Paris", is_admin=True)
    # Sam is no Slack admin, but named; UGONE is a typo for someone not in the workspace.
    running, server = start_app(fake, engine, admins=frozenset({"U2", "UGONE"}))
    try:
        (welcome,) = fake.wait_until(lambda: _welcomes(fake, "U2"))  # as the app starts
        assert welcome["text"].startswith(
            "Next Step is ready in your workspace, and you're one of its admins."
        )
        sam, maria, ada = (SlackUser(fake, running.events_url, SECRET, TEAM, u) for u in ("U2", "U1", "UADA"))
        assert sam.slash("/nextsteps", "settings").status == 200
        assert fake.wait_until(lambda: sam.view)["callback_id"] == ids.SETTINGS_MODAL
        assert _workspace(running).timezone == "America/Los_Angeles"  # Sam's: the first admin's
        sam.fill(ids.SETTING_WEEKDAY, "2")
        sam.submit()
        assert sam.errors == {} and sam.view is None
        assert fake.wait_until(lambda: [m for m in sam.dms() if "Settings saved" in m["text"]])
        assert said(maria, "settings").startswith("Only Slack's workspace admins and owners")
        assert ada.slash("/nextsteps", "settings").status == 200  # Slack's admins stay admins
        assert fake.wait_until(lambda: ada.view)["callback_id"] == ids.SETTINGS_MODAL
    finally:
        fake.wait_idle(quiet=0.3)
        server.stop()
    # Started again (another worker, a restart): nobody is welcomed twice, and nobody else at all.
    running, server = start_app(fake, engine, admins=frozenset({"U2", "UADA"}))
    fake.wait_idle(quiet=0.3)
    server.stop()
    assert len(_welcomes(fake, "U2")) == 1
    assert _welcomes(fake, "U1") == [] and _welcomes(fake, "UADA") == []
    assert_everything_sent_is_valid(fake)


def test_the_first_user_recorded_as_installer_before_the_fix_is_refused_after_the_migration(
    fake, databases, person
):
    """A database from before the fix: Maria, first to use the app, was recorded as its installer."""
    from bot.runtime.migrate import upgrade
    from models import make_engine

    url = databases.create()
    upgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as conn:
        workspace_at_0008(conn, TEAM, installer="U1", timezone="Europe/Berlin")
        rep_at_0008(conn, TEAM, "U1")
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    fake.add_user(TEAM, "UADA", "ada", tz="Europe/Paris", is_admin=True)
    running, server = start_app(fake, engine)
    try:
        maria = SlackUser(fake, running.events_url, SECRET, TEAM, "U1")
        assert said(maria, "settings").startswith("Only Slack's workspace admins and owners")
        ada = SlackUser(fake, running.events_url, SECRET, TEAM, "UADA")
        assert ada.slash("/nextsteps", "settings").status == 200
        assert fake.wait_until(lambda: ada.view)["callback_id"] == ids.SETTINGS_MODAL
        fake.wait_idle(quiet=0.3)
        workspace = _workspace(running)
        assert workspace.installer_user_id is None
        # The timezone the workspace took then is kept, not replaced by the next admin's; and the
        # workspace was welcomed then, so nobody is welcomed again.
        assert workspace.timezone == "Europe/Berlin"
        assert maria.dms() == [] and ada.dms() == []
        assert maria.view is None
    finally:
        server.stop()
        engine.dispose()
    assert_everything_sent_is_valid(fake)


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
    assert (
        "Settings are for admins: Slack's workspace admins and owners, and the people listed in Next Step's "
        "NEXTSTEP_ADMINS setting. To add someone, ask whoever runs Next Step to add their Slack member ID "
        "to NEXTSTEP_ADMINS (comma-separated) and restart it."
    ) in text
    blocks = maria.ephemerals()[-1]["blocks"]
    assert [Block.parse(b).to_dict() for b in blocks] == blocks


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
