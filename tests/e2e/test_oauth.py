"""Many workspaces through Slack's OAuth v2 install flow; tokens live in slack_sdk's store, in our database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.slack import ids
from bot.slackfake.user import SlackUser
from models import Meeting, Workspace
from models.slack_tables import bots, installations
from tests.e2e.conftest import (
    SECRET,
    Running,
    assert_everything_sent_is_valid,
    install,
    said,
    start_app,
    submit_with,
)


@pytest.fixture
def oauth_app(fake, engine) -> Iterator[Running]:
    running, server = start_app(
        fake, engine, bot_token=None, client_id=fake.oauth_client_id, client_secret=fake.oauth_client_secret
    )
    yield running
    fake.wait_idle(quiet=0.2)
    server.stop()
    assert_everything_sent_is_valid(fake)


def rows(engine, table, team_id: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table).where(table.c.team_id == team_id))


def test_install_stores_the_token_and_the_workspace_then_serves_it(fake, oauth_app):
    fake.add_workspace(team_id="T9", name="Globex", bot_token="xoxb-unused", bot_user_id="UBOT9")
    fake.add_user("T9", "U9", "hank", tz="America/Chicago", is_admin=True)
    finished = install(fake, oauth_app, "T9", "U9")
    assert finished.status_code == 200
    assert rows(oauth_app.engine, installations, "T9") == 1 and rows(oauth_app.engine, bots, "T9") == 1
    with Session(oauth_app.engine) as session:
        workspace = session.get(Workspace, "T9")
        assert workspace.installer_user_id == "U9" and workspace.name == "Team T9"
    # The installer is welcomed at once, with the three things to set up.
    (welcome,) = fake.dm_messages("T9", "U9")
    assert welcome["text"].startswith("Thanks for installing Next Step. Three things to set up")
    installed_token = fake.calls_to("oauth.v2.access")[-1].response["access_token"]

    hank = SlackUser(fake, oauth_app.events_url, SECRET, "T9", "U9")
    assert submit_with(hank, fake) == {}
    fake.wait_until(hank.last_dm)
    assert {c.token for c in fake.calls_to("views.open")} == {installed_token}
    assert oauth_app.deps.tokens.bot_token("T9") == installed_token


def test_a_workspace_that_never_installed_gets_nothing(fake, oauth_app):
    stranger = SlackUser(fake, oauth_app.events_url, SECRET, "T1", "U1")
    response = stranger.slash("/meeting")
    assert response.status < 500
    fake.wait_idle(quiet=0.2)
    assert fake.calls_to("views.open") == []


@pytest.mark.parametrize("event_type", ["tokens_revoked", "app_uninstalled"])
def test_revoking_or_uninstalling_removes_the_tokens_at_once_and_keeps_the_data(fake, oauth_app, event_type):
    fake.add_workspace(team_id="T9", name="Globex", bot_token="xoxb-unused", bot_user_id="UBOT9")
    fake.add_user("T9", "U9", "hank", tz="America/Chicago")
    install(fake, oauth_app, "T9", "U9")
    hank = SlackUser(fake, oauth_app.events_url, SECRET, "T9", "U9")
    submit_with(hank, fake)
    fake.wait_until(lambda: len(hank.dms()) == 2)  # the welcome, then the coaching DM

    event = {"type": event_type}
    if event_type == "tokens_revoked":
        event["tokens"] = {"bot": ["UBOT9"]}
    assert hank.send_event(event).status == 200
    fake.wait_until(
        lambda: rows(oauth_app.engine, bots, "T9") == rows(oauth_app.engine, installations, "T9") == 0
    )
    assert oauth_app.deps.tokens.bot_token("T9") is None
    with Session(oauth_app.engine) as session:
        workspace = session.get(Workspace, "T9")
        assert workspace.tokens_revoked_at is not None
        assert (workspace.uninstalled_at is not None) == (event_type == "app_uninstalled")
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1, "history is kept"


def test_the_installer_stays_an_admin_and_is_the_one_welcomed(fake, oauth_app):
    fake.add_workspace(team_id="T9", name="Globex", bot_token="xoxb-unused", bot_user_id="UBOT9")
    fake.add_user("T9", "U9", "hank", tz="America/Chicago")  # no Slack admin: installing makes him one
    fake.add_user("T9", "U10", "ivy", is_admin=True)
    fake.add_user("T9", "U11", "joe")
    assert install(fake, oauth_app, "T9", "U9").status_code == 200
    hank, ivy, joe = (SlackUser(fake, oauth_app.events_url, SECRET, "T9", u) for u in ("U9", "U10", "U11"))
    assert (
        "Settings are for admins: Slack's workspace admins and owners, and whoever installed Next Step."
        in (said(joe, "help"))
    )
    for admin in (hank, ivy):
        assert admin.slash("/nextsteps", "settings").status == 200
        assert fake.wait_until(lambda admin=admin: admin.view)["callback_id"] == ids.SETTINGS_MODAL
    refusal = said(joe, "settings")
    assert refusal.startswith(
        "Only Slack's workspace admins and owners, and whoever installed Next Step, can change Next Step's settings."
    )
    assert "make them a workspace admin or owner in Slack" in refusal
    fake.wait_idle(quiet=0.3)
    (welcome,) = fake.dm_messages("T9", "U9")
    assert welcome["text"].startswith("Thanks for installing Next Step.")
    assert ivy.dms() == [] and joe.dms() == []
    with Session(oauth_app.engine) as session:
        assert session.get(Workspace, "T9").timezone == "America/Chicago"  # the installer's, first admin seen
