"""Slack's refusals, by what they mean: one table read by the request handlers and the clock.

A refusal is Slack answering ``ok: false`` for a reason no retry will change. Each has a
meaning the app acts on (stop using a dead token; stop writing to a person who left or a
channel that is gone; tell the operator a scope is missing) and is logged once, at WARNING,
without a traceback: it is news about the workspace, not a bug in the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slack_sdk.errors import SlackApiError


class Meaning(StrEnum):
    DEAD_TOKEN = "dead_token"  # the workspace's token no longer works: stop until it is reinstalled
    USER_GONE = "user_gone"  # the person left the workspace or was deactivated
    CHANNEL_GONE = "channel_gone"  # the channel was deleted or archived, or the bot is not in it
    MISSING_SCOPE = "missing_scope"  # installed with fewer scopes than the app asks for


REFUSALS: dict[str, Meaning] = {
    "invalid_auth": Meaning.DEAD_TOKEN,
    "account_inactive": Meaning.DEAD_TOKEN,
    "token_revoked": Meaning.DEAD_TOKEN,
    "token_expired": Meaning.DEAD_TOKEN,
    "not_authed": Meaning.DEAD_TOKEN,
    "user_not_found": Meaning.USER_GONE,
    "user_disabled": Meaning.USER_GONE,
    "user_not_visible": Meaning.USER_GONE,
    "cannot_dm_bot": Meaning.USER_GONE,
    "channel_not_found": Meaning.CHANNEL_GONE,
    "not_in_channel": Meaning.CHANNEL_GONE,
    "is_archived": Meaning.CHANNEL_GONE,
    "missing_scope": Meaning.MISSING_SCOPE,
}

WHAT_HAPPENS = {
    Meaning.DEAD_TOKEN: "the workspace's token is no longer accepted; nothing more is sent there until it is reinstalled",
    Meaning.USER_GONE: "the person is not in the workspace any more; nothing was sent to them",
    Meaning.CHANNEL_GONE: "the channel is gone or closed to the app; nothing was posted there",
    Meaning.MISSING_SCOPE: "the app was installed without a scope it needs; reinstall it from manifest.yml",
}


def codes(meaning: Meaning) -> frozenset[str]:
    return frozenset(code for code, m in REFUSALS.items() if m is meaning)


DEAD_TOKEN = codes(Meaning.DEAD_TOKEN)
USER_GONE = codes(Meaning.USER_GONE)
CHANNEL_GONE = codes(Meaning.CHANNEL_GONE)


@dataclass(frozen=True)
class Refusal:
    code: str
    meaning: Meaning
    method: str  # the Web API method refused, when known
    needed: str | None = None  # missing_scope: the scope Slack says it needs

    def describe(self) -> str:
        """One log line's worth: what Slack said and what it means for the app."""
        needed = f" (needs {self.needed})" if self.needed else ""
        return f"Slack refused {self.method or 'a call'}: {self.code}{needed}: {WHAT_HAPPENS[self.meaning]}"


def refusal_of(error: BaseException) -> Refusal | None:
    """The refusal ``error`` carries, or None when it is something else (a bug, a timeout, a 5xx)."""
    if not isinstance(error, SlackApiError):
        return None
    response = error.response
    try:
        code = response.get("error")
    except AttributeError:
        return None
    meaning = REFUSALS.get(code) if isinstance(code, str) else None
    if meaning is None:
        return None
    api_url = str(getattr(response, "api_url", "") or "")
    method = api_url.rstrip("/").rsplit("/", 1)[-1] if api_url else ""
    needed = response.get("needed")
    return Refusal(code, meaning, method, needed if isinstance(needed, str) else None)
