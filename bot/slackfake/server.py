"""The loopback HTTP server: requests parsed as Slack parses them, answered by the families.

Routes: ``/api/<method>`` (Web API, with injected faults and rate limits), ``/response/<id>``
(response URLs) and ``/upload/<id>`` (file bytes)."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import logging
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from bot.slackfake.files import FilesMixin
from bot.slackfake.oauth import OAuthMixin
from bot.slackfake.ratelimits import RateLimitsMixin
from bot.slackfake.records import (
    Call,
    FakeSlackError,
)
from bot.slackfake.responses import ResponseUrlsMixin

log = logging.getLogger(__name__)

# Fields that form-encoded callers send as JSON strings.
JSON_FIELDS = ("view", "blocks", "attachments", "metadata")


def parse_params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if raw:
        if kind == "application/json":
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        elif kind == "multipart/form-data":
            # oauth.v2.access arrives as multipart (slack_sdk's `data=`).
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    params[name] = payload.decode("utf-8")
        else:
            params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            params[key] = json.loads(value)
    return params


# The scope each API family needs, as a missing_scope refusal names it.
_SCOPE_OF = {
    "chat": "chat:write",
    "users": "users:read",
    "files": "files:write",
    "conversations": "channels:join",
    "views": "chat:write",
}


class ServerMixin(RateLimitsMixin, ResponseUrlsMixin, FilesMixin, OAuthMixin):
    """Serves the Web API on 127.0.0.1 in a background thread."""

    def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port."""
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._stopping.clear()
        # A short poll interval keeps stop() (every test's teardown) fast.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes requests sleeping on an injected delay
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._in_flight += 1
            self._last_activity = time.monotonic()
        try:
            url = urlsplit(request.path)
            length = int(request.headers.get("Content-Length") or 0)
            raw = request.rfile.read(length) if length else b""
            if url.path.startswith("/api/"):
                status, headers, body = self._api(url.path[len("/api/") :], raw, request, url.query)
            elif url.path.startswith("/response/") and request.command == "POST":
                status, headers, body = self._response_url(url.path[len("/response/") :], raw)
            elif url.path.startswith("/upload/") and request.command == "POST":
                status, headers, body = self._receive_upload(url.path[len("/upload/") :], raw)
            else:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            request.send_response(status)
            for key, value in headers.items():
                request.send_header(key, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the client gave up (e.g. its timeout fired during an injected delay)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_activity = time.monotonic()

    def _api(
        self, method: str, raw: bytes, request: BaseHTTPRequestHandler, query: str
    ) -> tuple[int, dict[str, str], bytes]:
        content_type = request.headers.get("Content-Type", "")
        try:
            params = parse_params(raw, content_type, query)
            bad_body = None
        except (ValueError, UnicodeDecodeError):
            params, bad_body = {}, ("invalid_json" if "json" in content_type else "invalid_form_data")
        token, basic = None, None
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :].strip()
        elif authorization.startswith("Basic "):
            try:
                client_id, _, secret = (
                    base64.b64decode(authorization[len("Basic ") :]).decode("utf-8").partition(":")
                )
                basic = (client_id, secret)
            except (ValueError, UnicodeDecodeError):
                basic = ("", "")
        token = token or params.pop("token", None)
        params.pop("token", None)

        with self._lock:
            call = Call(method, params, token, self.wall_clock())
            self._recorded_call(call)
            fault = self._take_fault(method)
        status, headers = 200, {"Content-Type": "application/json; charset=utf-8"}
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.status:
            status = fault.status
            default = "ratelimited" if status == 429 else "fatal_error"
            response: dict[str, Any] = {"ok": False, "error": fault.error or default}
            if status == 429:
                headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        elif fault is not None and fault.error:
            response = {"ok": False, "error": fault.error}
            if fault.error == "missing_scope":  # Slack names the scope the method needs and what it has
                response |= {
                    "needed": _SCOPE_OF.get(method.split(".")[0], "chat:write"),
                    "provided": "commands",
                }
        elif bad_body:
            response = {"ok": False, "error": bad_body}
        else:
            with self._lock:
                retry_after = self._over_rate_limit(method, params, token)
                if retry_after is None:
                    response = self._dispatch(method, params, token, basic)
                    self._note_rate(method, params, token, response)
            if retry_after is not None:
                status, response = 429, {"ok": False, "error": "ratelimited"}
                headers["Retry-After"] = str(retry_after)
        call.status, call.response = status, response
        return status, headers, json.dumps(response).encode("utf-8")

    def _dispatch(
        self, method: str, params: dict[str, Any], token: str | None, basic: tuple[str, str] | None
    ) -> dict[str, Any]:
        try:
            if method == "oauth.v2.access":
                return {"ok": True, **self._oauth_v2_access(params, basic)}
            handler = self._methods.get(method)
            if handler is None:
                return {"ok": False, "error": "unknown_method"}
            return {"ok": True, **handler(self._authenticate(token), params)}
        except FakeSlackError as e:
            return {"ok": False, "error": e.error, **e.extra}
        except Exception:  # a bug in the fake must show up in the test, not hang it
            detail = traceback.format_exc()
            self.internal_errors.append(detail)
            log.error("fake Slack failed on %s:\n%s", method, detail)
            return {"ok": False, "error": "fatal_error"}


class _Handler(BaseHTTPRequestHandler):
    fake: ServerMixin

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read fake.calls, not stderr

    def do_POST(self) -> None:
        self.fake._serve(self)

    def do_GET(self) -> None:
        self.fake._serve(self)
