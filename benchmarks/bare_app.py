"""The baseline for ``ack_latency.py``: the least a slack_bolt app can do for `/meeting` and its Save.

- ``/meeting``: ack, then ``views.open`` with a one-block modal.
- a ``meeting_modal`` submission: insert one row and commit, then ack; with ``BARE_APP_DM=1``
  (``load.py``), then one DM to the submitter from a thread pool: the least a coaching bot does.

Bolt runs with ``process_before_response=True``, as ours does (``handlers.app``): the HTTP
answer leaves when the listener returns, with no 10 ms ack poll.

Served the way the real app is (``gunicorn 'bare_app:wsgi_app()' --worker-class gthread``),
configured from the same environment variables: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
SLACK_API_URL and DATABASE_URL. ``GET /ready`` answers 200 once the worker has loaded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
)

metadata = MetaData()
submissions = Table(
    "bare_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("view_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ONE_BLOCK_MODAL = {
    "type": "modal",
    "callback_id": "bare_modal",
    "title": {"type": "plain_text", "text": "Log a meeting"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}],
}


def make_engine(url: str) -> Engine:
    """Tuned as the real app tunes its engine, so the comparison is of the code, not the settings."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def build_app(signing_secret: str, bot_token: str, api_url: str, engine: Engine, dm: bool = False) -> App:
    # The same logging setting as ours (handlers.quiet_slack_sdk_debug): neither app formats
    # slack_sdk's debug lines, so the comparison stays one of the work each does.
    logging.getLogger("slack_sdk.web.base_client").setLevel(logging.INFO)
    client = WebClient(base_url=api_url, token=bot_token, timeout=10)
    app = App(signing_secret=signing_secret, client=client, process_before_response=True)
    after_ack = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bare-dm")

    @app.command("/meeting")
    def meeting(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=ONE_BLOCK_MODAL)

    @app.view("meeting_modal")
    def submitted(ack: Ack, body: dict) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(submissions).values(
                    team_id=body["team"]["id"],
                    user_id=body["user"]["id"],
                    view_id=body["view"]["id"],
                    created_at=datetime.now(UTC),
                )
            )
        ack()
        if dm:
            user_id = body["user"]["id"]
            after_ack.submit(client.chat_postMessage, channel=user_id, text="Meeting logged. Nice ask.")

    return app


def wsgi_app() -> Callable[..., Any]:
    """gunicorn's application factory."""
    engine = make_engine(os.environ["DATABASE_URL"])
    metadata.create_all(engine)
    app = build_app(
        os.environ["SLACK_SIGNING_SECRET"],
        os.environ["SLACK_BOT_TOKEN"],
        os.environ["SLACK_API_URL"],
        engine,
        dm=os.environ.get("BARE_APP_DM") == "1",
    )
    handler = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/ready":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return handler(environ, start_response)

    return wsgi
