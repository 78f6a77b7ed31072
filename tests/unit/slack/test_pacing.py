"""The outbox's pacing: as many messages as Slack's limits allow, as soon as they allow them, and never one more."""

from __future__ import annotations

import random

from bot.slack.outbox import Limits, SlackOutbox, _Pacer
from bot.slack.tokens import TokenSource
from bot.slackfake.fake import FakeSlack


class Clock:
    """Monotonic time that only moves when someone sleeps or a call takes time."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def pacer(clock: Clock, per_second: float = 10, per_channel: float = 1.0) -> _Pacer:
    return _Pacer(
        Limits(per_channel_interval=per_channel, per_workspace_per_second=per_second), clock, clock.sleep
    )


def send(p: _Pacer, clock: Clock, channel: str, took: float = 0.01, team: str = "T1") -> tuple[float, float]:
    """One paced call taking ``took`` seconds: (when it left, when it came back)."""
    slot = p.wait(team, channel)
    left = clock.t
    clock.t += took
    p.sent(slot)
    return left, clock.t


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_ten_go_at_once_and_the_eleventh_a_second_after_the_first_came_back():
    clock = Clock()
    p = pacer(clock)
    calls = [send(p, clock, f"U{n}") for n in range(11)]
    # Each of the first ten leaves as soon as the one before came back: nothing waited.
    assert all(calls[n][0] == calls[n - 1][1] for n in range(1, 10))
    assert calls[10][0] == calls[0][1] + 1.0


def test_a_worker_held_up_catches_up_instead_of_losing_its_slots():
    clock = Clock()
    p = pacer(clock)
    for n in range(5):
        send(p, clock, f"U{n}")
    clock.t += 3.0  # the database, or the GIL, kept the worker busy for 3 s
    resumed = clock.t
    calls = [send(p, clock, f"V{n}") for n in range(10)]
    # The window has room for ten: they go back to back, not one every 100 ms from here.
    assert calls[-1][0] - resumed < 0.1 + 1e-9


def test_never_more_than_the_cap_in_any_second_however_the_calls_are_timed():
    clock = Clock()
    p = pacer(clock)
    rng = random.Random(7)
    accepted = []
    for n in range(300):
        if rng.random() < 0.05:
            clock.t += rng.uniform(0, 2)  # a stall
        left, back = send(p, clock, f"U{n % 40}", took=rng.uniform(0.001, 0.3))
        # Slack counts the message somewhere between the request leaving and the answer coming back.
        accepted.append(rng.uniform(left, back))
    assert most_in_any_second(accepted) <= 10


def test_the_cap_is_reached_not_just_approached():
    clock = Clock()
    p = pacer(clock)
    calls = [send(p, clock, f"U{n}", took=0.005) for n in range(500)]
    # 500 messages at 10/s: 49 more windows after the first, each a second plus one call's latency.
    assert calls[-1][1] - calls[0][0] < 49 * 1.005 + 0.1


def test_one_message_a_second_to_a_channel():
    clock = Clock()
    p = pacer(clock)
    _, back = send(p, clock, "U1")
    left, _ = send(p, clock, "U1")
    assert left == back + 1.0


def test_a_429_holds_that_workspace_only():
    clock = Clock()
    p = pacer(clock)
    send(p, clock, "U1")
    p.hold("T1", 2.0)
    held_from = clock.t
    other, _ = send(p, clock, "U2", team="T2")
    assert other == held_from
    left, _ = send(p, clock, "U3")
    assert left == held_from + 2.0


def test_at_slacks_rate_against_the_fake_no_429_and_no_time_lost():
    with FakeSlack() as fake:
        fake.add_workspace(team_id="T1", name="Acme", bot_token="xoxb-T1", bot_user_id="UBOT")
        for n in range(25):
            fake.add_user("T1", f"U{n}", f"rep{n}")
        fake.enforce_rate_limits(per_channel_interval=1.0, per_workspace_per_second=10)
        outbox = SlackOutbox(fake.api_url, TokenSource("xoxb-T1", None), Limits(per_workspace_per_second=10))
        for n in range(25):
            outbox.post_dm("T1", f"U{n}", "Next step?", [])
        calls = fake.calls_to("chat.postMessage")
        assert fake.rate_limited_count == 0
        assert all(c.status == 200 for c in calls) and len(calls) == 25
        # 25 messages at 10 in any second: two windows after the first (and a loaded machine's slack).
        spent = calls[-1].at - calls[0].at
        assert 2.0 <= spent < 3.5
