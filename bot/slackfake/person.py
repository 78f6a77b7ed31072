"""Who the simulated person is, how their requests are signed and sent as Slack sends them, and
what they see in Slack (their open modal, Home tab, DMs and ephemerals)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bot.slackfake.fake import FakeSlack


@dataclass
class AppResponse:
    """What the app answered to one request."""

    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty."""
        return json.loads(self.text) if self.text.strip() else None


class PersonBase:
    """One person in one workspace: identity, signed requests, and what they see."""

    def __init__(
        self,
        fake: FakeSlack,
        events_url: str,
        signing_secret: str,
        team_id: str,
        user_id: str,
        channel_id: str = "C_GENERAL",
        team_domain: str | None = None,
        *,
        verification_token: str = "fake-verification-token",
        settle: float = 0.0,
        timeout: float = 10.0,
        rerender_wait: float = 2.0,
        wait_for_app: bool = True,
    ) -> None:
        self.fake = fake
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.user_id = user_id
        self.channel_id = channel_id
        workspace = fake.workspace(team_id)
        self.team_domain = team_domain or workspace["domain"]
        self.app_id = workspace["app_id"]
        self.bot_user_id = workspace["bot_user_id"]
        self.verification_token = verification_token
        self.settle = settle
        # False: a request returns at the app's HTTP answer, without waiting for the Web API calls
        # the app makes after it (to act while one is on its way, e.g. a stop during a slow DM).
        self.wait_for_app = wait_for_app
        self.rerender_wait = rerender_wait
        self.timeout = timeout
        try:
            self.name = str(fake.user(team_id, user_id)["name"])
        except KeyError:
            self.name = user_id
        self.errors: dict[str, str] = {}
        self.last_response: AppResponse | None = None
        self._suggestions: dict[tuple[str, str], list[dict[str, Any]]] = {}

    @property
    def view(self) -> dict[str, Any] | None:
        """The modal on top of the person's screen, with what they entered in ``state.values``."""
        views = self.fake.open_views(self.team_id, self.user_id)
        return views[-1] if views else None

    @property
    def home(self) -> dict[str, Any] | None:
        """The person's App Home tab."""
        return self.fake.home(self.team_id, self.user_id)

    def dms(self) -> list[dict[str, Any]]:
        """The app's DM messages to this person, oldest first."""
        return self.fake.dm_messages(self.team_id, self.user_id)

    def last_dm(self) -> dict[str, Any] | None:
        messages = self.dms()
        return messages[-1] if messages else None

    def ephemerals(self) -> list[dict[str, Any]]:
        """Messages only this person saw, oldest first."""
        return self.fake.ephemerals(self.team_id, self.user_id)

    def post_raw(
        self,
        body: bytes,
        content_type: str = "application/json",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        """POST any body, correctly signed unless told otherwise (for malformed-request tests)."""
        return self._post(
            body, content_type, timestamp=timestamp, signature=signature, omit_headers=omit_headers
        )

    def _post(
        self,
        body: bytes,
        content_type: str,
        *,
        extra_headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        omit_headers: bool = False,
    ) -> AppResponse:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": content_type, **(extra_headers or {})}
        if not omit_headers:
            digest = hmac.new(
                self.signing_secret.encode("utf-8"), f"v0:{ts}:".encode() + body, hashlib.sha256
            ).hexdigest()
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature if signature is not None else f"v0={digest}"
        request = urllib.request.Request(self.events_url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                response = AppResponse(
                    answer.status, answer.read().decode("utf-8"), dict(answer.headers.items())
                )
        except urllib.error.HTTPError as error:
            response = AppResponse(error.code, error.read().decode("utf-8"), dict(error.headers.items()))
        response.elapsed = time.monotonic() - started
        if self.wait_for_app:
            self.fake.wait_idle(quiet=self.settle, timeout=self.timeout)
        self.last_response = response
        return response

    def _send_payload(self, payload: dict[str, Any], **forge: Any) -> AppResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode("utf-8")
        return self._post(body, "application/x-www-form-urlencoded", **forge)

    def _require_view(self) -> dict[str, Any]:
        view = self.view
        if view is None:
            raise LookupError(f"{self.user_id} has no modal open")
        return view

    def _user_object(self) -> dict[str, Any]:
        return {"id": self.user_id, "username": self.name, "name": self.name, "team_id": self.team_id}

    def _team_object(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        channel = self.fake.channel(self.team_id, channel_id)
        if channel is None:
            return "directmessage" if channel_id.startswith("D") else channel_id.lower()
        if channel["is_im"]:
            return "directmessage"
        return "privategroup" if channel["is_private"] else str(channel["name"])
