"""The fake refuses as Slack does, on demand, and the app reads each refusal by its meaning."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.refusals import Meaning, refusal_of
from bot.slackfake.fake import FakeSlack

CASES = [
    ("users.info", "user_not_found", Meaning.USER_GONE),
    ("chat.postMessage", "channel_not_found", Meaning.CHANNEL_GONE),
    ("chat.postMessage", "not_in_channel", Meaning.CHANNEL_GONE),
    ("chat.postMessage", "is_archived", Meaning.CHANNEL_GONE),
    ("views.publish", "account_inactive", Meaning.DEAD_TOKEN),
    ("chat.postMessage", "invalid_auth", Meaning.DEAD_TOKEN),
    ("users.info", "missing_scope", Meaning.MISSING_SCOPE),
]


@pytest.fixture(scope="module")
def fake():
    with FakeSlack() as fake:
        fake.add_workspace(team_id="T1", name="Acme", bot_token="xoxb-T1", bot_user_id="UBOT")
        fake.add_user("T1", "U1", "maria")
        yield fake


@pytest.mark.parametrize(("method", "code", "meaning"), CASES)
def test_each_refusal_comes_on_demand_and_reads_as_its_meaning(fake, method, code, meaning):
    client = WebClient(token="xoxb-T1", base_url=fake.api_url)
    fake.inject(method, error=code)
    with pytest.raises(SlackApiError) as caught:
        client.api_call(
            method, json={"user": "U1", "user_id": "U1", "channel": "U1", "text": "hi", "view": {}}
        )
    refusal = refusal_of(caught.value)
    assert refusal is not None and (refusal.code, refusal.meaning, refusal.method) == (code, meaning, method)
    assert code in refusal.describe()
    if code == "missing_scope":
        assert refusal.needed == "users:read" and "needs users:read" in refusal.describe()
    # Only the next call is refused: the one after goes through.
    assert client.api_call("auth.test")["ok"]


def test_other_failures_are_not_refusals():
    assert refusal_of(ValueError("no")) is None
    error = SlackApiError("x", {"ok": False, "error": "expired_trigger_id"})
    assert refusal_of(error) is None
