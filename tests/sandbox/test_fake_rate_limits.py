"""The sandbox fake's opt-in rate limits: 429 + Retry-After for chat.postMessage, per channel and workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slackfake import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.clock = clock
        for team in ("T1", "T2"):
            fake.add_workspace(team, f"Workspace {team}")
            for n in range(5):
                fake.add_user(team, f"U{n}", f"rep{n}", tz="UTC")
        yield fake
        assert fake.internal_errors == []


def client(fake: FakeSlack, team: str = "T1") -> WebClient:
    # No retry handlers: the test sees each 429 itself.
    return WebClient(base_url=fake.api_url, token=f"xoxb-{team}", retry_handlers=[])


def refused(c: WebClient, channel: str) -> int:
    """Post; return the Retry-After of the 429 it must get."""
    with pytest.raises(SlackApiError) as caught:
        c.chat_postMessage(channel=channel, text="hi")
    response = caught.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    return int(response.headers["Retry-After"])


def test_off_by_default(fake: FakeSlack) -> None:
    c = client(fake)
    for _ in range(20):
        assert c.chat_postMessage(channel="U1", text="hi")["ok"]
    assert fake.rate_limited_count == 0
    assert len(fake.dm_messages("T1", "U1")) == 20


def test_one_message_per_channel_per_interval(fake: FakeSlack, clock: Clock) -> None:
    fake.enforce_rate_limits(per_channel_interval=1.0)
    c = client(fake)
    c.chat_postMessage(channel="U1", text="first")
    clock.now += 0.4
    assert refused(c, "U1") == 1
    # The DM's id is the same channel as the user id.
    assert refused(c, fake.dm_channel_id("T1", "U1")) == 1
    assert c.chat_postMessage(channel="U2", text="another channel")["ok"]
    assert client(fake, "T2").chat_postMessage(channel="U1", text="another workspace")["ok"]
    clock.now += 0.6
    assert c.chat_postMessage(channel="U1", text="second")["ok"]
    assert [m["text"] for m in fake.dm_messages("T1", "U1")] == ["first", "second"]
    assert fake.rate_limited_count == 2
    assert [call.status for call in fake.calls_to("chat.postMessage")] == [200, 429, 429, 200, 200, 200]


def test_retry_after_is_the_whole_seconds_left(fake: FakeSlack, clock: Clock) -> None:
    fake.enforce_rate_limits(per_channel_interval=2.5)
    c = client(fake)
    c.chat_postMessage(channel="U1", text="first")
    clock.now += 0.2
    assert refused(c, "U1") == 3  # 2.3 s left
    clock.now += 1.8
    assert refused(c, "U1") == 1  # 0.5 s left: never less than 1


def test_workspace_cap_is_a_sliding_one_second_window(fake: FakeSlack, clock: Clock) -> None:
    fake.enforce_rate_limits(per_channel_interval=1.0, per_workspace_per_second=3)
    c = client(fake)
    # Quarter seconds: exact in binary, so "exactly 1 s later" is exact.
    for n in range(3):
        assert c.chat_postMessage(channel=f"U{n}", text="hi")["ok"]
        clock.now += 0.25
    # 0.75 s after the first: three in the window already.
    assert refused(c, "U3") == 1
    assert client(fake, "T2").chat_postMessage(channel="U3", text="other workspace")["ok"]
    clock.now += 0.25  # exactly 1 s after the first, which leaves the window
    assert c.chat_postMessage(channel="U3", text="hi")["ok"]
    assert refused(c, "U4") == 1
    clock.now += 0.25
    assert c.chat_postMessage(channel="U4", text="hi")["ok"]
    assert fake.rate_limited_count == 2


def test_refused_messages_are_not_posted_and_do_not_count(fake: FakeSlack, clock: Clock) -> None:
    fake.enforce_rate_limits(per_channel_interval=None, per_workspace_per_second=2)
    c = client(fake)
    c.chat_postMessage(channel="U1", text="a")
    c.chat_postMessage(channel="U2", text="b")
    for _ in range(5):
        refused(c, "U3")
    assert fake.dm_messages("T1", "U3") == []
    clock.now += 1.0
    # The five refusals did not fill the window: two fit again.
    assert c.chat_postMessage(channel="U3", text="c")["ok"]
    assert c.chat_postMessage(channel="U3", text="d")["ok"]
    assert fake.rate_limited_count == 5


def test_slack_errors_come_before_rate_limits_and_limits_can_be_lifted(fake: FakeSlack) -> None:
    fake.enforce_rate_limits(per_channel_interval=1.0)
    c = client(fake)
    with pytest.raises(SlackApiError) as caught:
        c.chat_postMessage(channel="U_NOBODY", text="hi")
    assert caught.value.response["error"] == "channel_not_found"
    c.chat_postMessage(channel="U1", text="hi")
    refused(c, "U1")
    fake.stop_enforcing_rate_limits()
    assert c.chat_postMessage(channel="U1", text="hi again")["ok"]
    assert fake.rate_limited_count == 1
