"""The WSGI app gunicorn serves: Slack's paths, the OAuth paths and the health check."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.logs import request_context
from bot.slack import payloads
from handlers.deps import Deps
from models import ClockSweep

log = logging.getLogger("nextstep")

EVENTS_PATH = "/slack/events"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")

StartResponse = Callable[..., Any]


def make_wsgi_app(app: App, deps: Deps):
    handler = SlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(deps.config.signing_secret)

    def respond(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Each request starts with no workspace or request id in its log lines (threads are reused).
        with request_context(None, None):
            return route(environ, start_response)

    def route(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return healthz(start_response)
        if path == EVENTS_PATH and method == "POST":
            rejected = reject_malformed(environ, start_response)
            if rejected is not None:
                return rejected
        if (path == EVENTS_PATH and method == "POST") or (path in OAUTH_PATHS and method == "GET"):
            try:
                return handler(environ, start_response)
            except Exception as error:  # a body Bolt cannot even parse: log it, answer 400, never 500
                log.warning("unreadable request on %s: %s", path, type(error).__name__)
                return respond(
                    start_response, "400 Bad Request", {"ok": False, "error": "unreadable request"}
                )
        return respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    def reject_malformed(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes] | None:
        """A correctly signed body that is not shaped like Slack's: log it, answer 400, store nothing.

        Unsigned requests go on to Bolt, which answers them 401. The body is read here and
        handed back to Bolt through ``wsgi.input``.
        """
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        }
        if not all(headers.values()):
            return None  # Bolt answers 401
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("malformed Slack payload ignored: body is not UTF-8")
            return respond(start_response, "400 Bad Request", {"ok": False, "error": "malformed payload"})
        try:
            signed = verifier.is_valid_request(body, headers)
        except ValueError:  # a timestamp that is not a number
            signed = False
        if not signed:
            return None
        why = payloads.problem(body, environ.get("CONTENT_TYPE", ""))
        if why is None:
            return None
        log.warning("malformed Slack payload ignored: %s", why)
        return respond(start_response, "400 Bad Request", {"ok": False, "error": "malformed payload"})

    def healthz(start_response: StartResponse) -> Iterable[bytes]:
        """200 while the database answers, with the age of the clock's last finished sweep."""
        try:
            with deps.session() as session:
                last = session.scalar(select(func.max(ClockSweep.finished_at)))
        except Exception as error:
            log.warning("health check: database unreachable: %s", type(error).__name__)
            return respond(
                start_response, "503 Service Unavailable", {"ok": False, "database": "unreachable"}
            )
        age = round((deps.clock() - last).total_seconds(), 1) if last else None
        return respond(
            start_response, "200 OK", {"ok": True, "database": "ok", "last_sweep_age_seconds": age}
        )

    return wsgi
