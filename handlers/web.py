"""The WSGI app gunicorn serves: Slack's paths, the OAuth paths and the health check."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest

from bot.logs import request_context
from bot.services.workspaces import last_sweep_finished
from bot.slack import payloads
from handlers.deps import Deps

log = logging.getLogger("nextstep")

EVENTS_PATH = "/slack/events"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")

StartResponse = Callable[..., Any]
# A body over 1 MiB is read (its signature decides 401 or 400); one this large is not even read.
MAX_READ = 8 * 1024 * 1024
# Slack's rule: a request signed more than five minutes ago (or ahead) may be a replay.
SIGNATURE_MAX_AGE = 5 * 60


def make_wsgi_app(app: App, deps: Deps):
    handler = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = deps.config.signing_secret.encode()

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
            return slack_request(environ, start_response)
        if path in OAUTH_PATHS and method == "GET":
            try:
                return handler(environ, start_response)
            except Exception as error:  # never 500: a bad query string is the browser's to fix
                log.warning("unreadable request on %s: %s", path, type(error).__name__)
                return respond(
                    start_response, "400 Bad Request", {"ok": False, "error": "unreadable request"}
                )
        return respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    def slack_request(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Signature first, then one parse; Bolt gets only the checked payload, as parsed.

        Bolt's own signature check is off (handlers.app): this one runs before anything reads
        the body, on the exact bytes Slack signed, and answers 401 whatever the body holds.
        """
        raw_length = environ.get("CONTENT_LENGTH") or "0"
        length = int(raw_length) if raw_length.isascii() and raw_length.isdigit() else -1
        if length < 0:
            return respond(start_response, "400 Bad Request", {"ok": False, "error": "bad content length"})
        if length > MAX_READ:
            return respond(start_response, "413 Payload Too Large", {"ok": False, "error": "too large"})
        body = environ["wsgi.input"].read(length) if length else b""
        content_type = environ.get("CONTENT_TYPE", "")
        if payloads.is_ssl_check(body, content_type):  # Slack checking our certificate: nothing to do
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        if not signed(body, environ):
            log.info("Slack request refused (401): invalid or stale signature")  # never the body
            return respond(start_response, "401 Unauthorized", {"ok": False, "error": "invalid signature"})
        try:
            payload = payloads.parse(body, content_type)
        except payloads.Malformed as why:
            return malformed(start_response, body, str(why))
        try:
            answer = app.dispatch(bolt_request(payload, environ))
        except Exception as error:  # the edge above should make this unreachable: still never 500
            log.warning("request not handled: %s", type(error).__name__)
            return respond(start_response, "400 Bad Request", {"ok": False, "error": "unreadable request"})
        response = WsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def bolt_request(payload: dict[str, Any], environ: dict[str, Any]) -> BoltRequest:
        """The payload as Bolt's request, already parsed: Bolt does not read the body again.

        Bolt takes a parsed body only in its "socket_mode". Bolt reads the mode in two places: its
        signature check (off here: ours ran above, on the bytes) and ``to_copyable``, which then keeps
        the parsed body rather than re-reading a raw one. Nothing else differs from an HTTP request.
        """
        return BoltRequest(body=payload, headers=WsgiHttpRequest(environ).get_headers(), mode="socket_mode")

    def signed(body: bytes, environ: dict[str, Any]) -> bool:
        """Slack's v0 signature over these exact bytes, made within the last five minutes."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature):
            return False
        if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
            return False
        expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={expected}".encode(), signature.encode("utf-8", "replace"))

    def malformed(start_response: StartResponse, body: bytes, why: str) -> Iterable[bytes]:
        """Signed but not a Slack payload: say so in the log, ask Slack not to retry, store nothing."""
        request_id = uuid.uuid4().hex[:12]
        team = payloads.team_named(body)
        log.warning("malformed Slack payload refused team=%s request=%s: %s", team, request_id, why)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("malformed payload request=%s body=%r", request_id, body[:2000])
        answer = json.dumps({"ok": False, "error": "malformed payload"}).encode()
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(answer))),
                ("X-Slack-No-Retry", "1"),
            ],
        )
        return [answer]

    def healthz(start_response: StartResponse) -> Iterable[bytes]:
        """200 while the database answers, with the age of the clock's last finished sweep."""
        try:
            last = last_sweep_finished(deps.session_factory)
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
