"""The real app over HTTP on 127.0.0.1, against the sandbox fake of Slack, driven by simulated people."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import Engine

from bot.config import Config
from bot.runtime.server import BackgroundServer
from bot.slackfake.fake import FakeSlack
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
