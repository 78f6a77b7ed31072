"""The real app over HTTP on 127.0.0.1, against the sandbox fake of Slack, driven by simulated people."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import Engine

from bot.config import Config
from bot.domain.vocabulary import AskType, Reaction
from bot.runtime.server import BackgroundServer
from bot.slack import ids
from bot.slackfake.fake import FakeSlack
from bot.slackfake.render import render_message
from bot.slackfake.user import SlackUser
from handlers.app import create_app
from handlers.deps import Deps
from handlers.web import make_wsgi_app

SECRET = "e2e-signing-secret"
TEAM = "T1"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# The console script as this environment runs it: never a `nextstep` found on PATH, which may be
# another install's (or none, in a virtualenv that was not activated).
NEXTSTEP = [sys.executable, "-m", "bot.runtime.cli"]


@dataclass
class Running:
    url: str
    deps: Deps
    engine: Engine

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_workspace(team_id=TEAM, name="Acme Sales", bot_token="xoxb-T1", bot_user_id="UBOT")
        fake.add_user(TEAM, "U1", "maria", real_name="Maria Lopez", tz="Europe/Berlin")
        fake.add_user(TEAM, "U2", "sam", real_name="Sam Park", tz="America/Los_Angeles")
        yield fake
        assert fake.internal_errors == []


def start_app(fake: FakeSlack, engine: Engine, **config: Any) -> tuple[Running, BackgroundServer]:
    settings: dict[str, Any] = {"bot_token": "xoxb-T1"} | config
    cfg = Config(signing_secret=SECRET, database_url=str(engine.url), slack_api_url=fake.api_url, **settings)
    app, deps = create_app(cfg, engine)
    server = BackgroundServer(make_wsgi_app(app, deps)).start()
    return Running(url=server.url, deps=deps, engine=engine), server


@pytest.fixture
def running(fake: FakeSlack, engine: Engine) -> Iterator[Running]:
    running, server = start_app(fake, engine)
    yield running
    fake.wait_idle(quiet=0.2)
    server.stop()
    assert_everything_sent_is_valid(fake)


@pytest.fixture
def person(fake: FakeSlack, running: Running) -> Callable[[str], SlackUser]:
    def make(user_id: str, team_id: str = TEAM) -> SlackUser:
        return SlackUser(fake, running.events_url, SECRET, team_id, user_id)

    return make


@pytest.fixture
def maria(person: Callable[[str], SlackUser]) -> SlackUser:
    return person("U1")


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def assert_everything_sent_is_valid(fake: FakeSlack) -> None:
    """Every view and message the app sent passes slack_sdk's models and Slack's block counts."""
    for call in fake.calls:
        if call.method in ("views.open", "views.update", "views.push", "views.publish"):
            view = _decoded(call.params["view"])
            View(**view).to_dict()
            assert len(view["blocks"]) <= MAX_VIEW_BLOCKS, call.method
        elif call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            blocks = _decoded(call.params.get("blocks")) or []
            for block in blocks:
                Block.parse(block).to_dict()
            assert len(blocks) <= MAX_MESSAGE_BLOCKS, call.method
            assert call.params.get("text"), f"{call.method} without fallback text"


# ---------------------------------------------------------------- what a person does in Slack, shared by the e2e tests


def block_ids(view: dict[str, Any]) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


def open_modal(user, fake, text: str = "") -> dict[str, Any]:
    response = user.slash("/meeting", text)
    assert response.status == 200
    return fake.wait_until(lambda: user.view)


def wait_for_block(user, fake, block_id: str) -> dict[str, Any]:
    return fake.wait_until(lambda: user.view if user.view and block_id in block_ids(user.view) else None)


def told(user) -> list[str]:
    """What the app said to the person alone: ephemerals, and DMs (how a click outside any
    conversation, on the Home tab or in a modal, is answered)."""
    return [str(m.get("text") or "") for m in [*user.ephemerals(), *user.dms()]]


def wait_for_block_gone(user, fake, block_id: str) -> dict[str, Any]:
    return fake.wait_until(lambda: user.view if user.view and block_id not in block_ids(user.view) else None)


def fill_booked_meeting(user, fake, account: str = "Acme Corp", at: datetime | None = None) -> datetime:
    open_modal(user, fake)
    options = user.suggest(ids.ACCOUNT, account)
    new = next(o for o in options if o["value"] == f"{ids.NEW_ACCOUNT_PREFIX}{account}")
    user.fill(ids.ACCOUNT, new["value"])
    wait_for_block(user, fake, ids.NEW_DEAL_NAME)
    user.fill(ids.ASK, "Can we meet Thursday at 10 with your CFO to walk through the proposal?")
    user.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    user.fill(ids.REACTION, Reaction.BOOKED.value)
    wait_for_block(user, fake, ids.PREP_PREFIX + "attendees")
    at = at or (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    user.fill(ids.NEXT_STEP, "Proposal walkthrough")
    user.fill(ids.NEXT_STEP_AT, at)
    user.fill(ids.PREP_PREFIX + "attendees", "Dana (VP Ops), Lee (CFO)")
    return at


def submit_with(maria, fake, **changes: Any) -> dict[str, str]:
    open_modal(maria, fake)
    maria.suggest(ids.ACCOUNT, "Umbrella")
    maria.fill(ids.ACCOUNT, "new:Umbrella")
    wait_for_block(maria, fake, ids.NEW_DEAL_NAME)
    values = {
        ids.ASK: "Can we book Tuesday at 2pm for the demo?",
        ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
        ids.REACTION: Reaction.AGREED_UNSCHEDULED.value,
    } | changes
    for block_id, value in values.items():
        if value is not None:
            maria.fill(block_id, value)
    response = maria.submit()
    assert response.status == 200
    return maria.errors


def submission(user, view: dict[str, Any]) -> bytes:
    """The form body Slack posts when the person presses Save on ``view``."""
    payload = {
        "type": "view_submission",
        "team": {"id": user.team_id, "domain": user.team_domain},
        "user": {"id": user.user_id, "username": user.name, "name": user.name, "team_id": user.team_id},
        "api_app_id": user.app_id,
        "token": "fake-verification-token",
        "trigger_id": user.fake.issue_trigger(user.team_id, user.user_id),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def install(fake, running: Running, team_id: str, installer: str) -> requests.Response:
    """What a browser does: open /slack/install, approve in Slack, come back to /slack/oauth_redirect."""
    page = requests.get(f"{running.url}/slack/install", timeout=5)
    assert page.status_code == 200
    state = re.search(r"state=([\w-]+)", page.text).group(1)
    # The state cookie is Secure (production is HTTPS); the test server is plain HTTP, so send it by hand.
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    code = f"code-{team_id}"
    fake.add_oauth_code(code, team_id, f"Team {team_id}", installer)
    return requests.get(
        f"{running.url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": cookie},
        timeout=5,
    )


def said(user, text: str) -> str:
    """What ``/nextsteps <text>`` answers the user, as one line of plain words."""
    assert user.slash("/nextsteps", text).status == 200
    return " ".join(
        render_message(user.ephemerals()[-1], width=200).replace("*", "").replace("`", "").split()
    )
