"""The WSGI app gunicorn serves: Slack's paths, the OAuth paths and the health check."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from handlers import Deps

log = logging.getLogger("nextstep")

EVENTS_PATH = "/slack/events"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")

StartResponse = Callable[..., Any]


def make_wsgi_app(app: App, deps: Deps, last_sweep_age: Callable[[], float | None] = lambda: None):  # type: ignore[no-untyped-def]
    handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def respond(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return healthz(start_response)
        if (path == EVENTS_PATH and method == "POST") or (path in OAUTH_PATHS and method == "GET"):
            try:
                return handler(environ, start_response)
            except Exception as error:  # a body Bolt cannot even parse: log it, answer 400, never 500
                log.warning("unreadable request on %s: %s", path, type(error).__name__)
                return respond(start_response, "400 Bad Request", {"ok": False, "error": "unreadable request"})
        return respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    def healthz(start_response: StartResponse) -> Iterable[bytes]:
        try:
            with deps.session() as session:
                session.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check: database unreachable: %s", type(error).__name__)
            return respond(start_response, "503 Service Unavailable", {"ok": False, "database": "unreachable"})
        return respond(start_response, "200 OK", {"ok": True, "database": "ok", "last_sweep_age_seconds": last_sweep_age()})

    return wsgi
