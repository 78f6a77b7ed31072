"""A forgotten clock is noticed: the admins hear once when sweeps stop, and once when they resume."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.runtime.clock_watch import watch_once
from bot.services.permissions import Admins
from models import ClockSweep
from tests.e2e.conftest import TEAM


def swept(running, at) -> None:
    with running.deps.session_factory() as session:
        session.add(
            ClockSweep(worker="clock", as_of=at, started_at=at, finished_at=at, claimed=0, sent=0, failed=0)
        )
        session.commit()


def texts(fake, user_id: str) -> list[str]:
    return [m.get("text", "") for m in fake.dm_messages(TEAM, user_id)]


# NEXTSTEP_ADMINS=U1 (single-workspace mode: nobody is an admin for having used the app first).
ADMINS = Admins(listed=frozenset({"U1"}))


def test_admins_hear_once_when_the_clock_stops_and_once_when_it_resumes(fake, running, now):
    fake.add_user(TEAM, "U3", "olga", real_name="Olga Admin", tz="UTC", is_admin=True)
    swept(running, now)
    deps = running.deps
    since = now - timedelta(hours=2)

    def look(at):
        return watch_once(deps.session_factory, deps.tokens, deps.config.slack_api_url, at, since, ADMINS)

    assert look(now + timedelta(minutes=9)) is None
    assert not fake.calls_to("chat.postMessage")

    # Four web workers look at the same moment: one of them tells the admins.
    with ThreadPoolExecutor(4) as pool:
        changes = [c for c in pool.map(look, [now + timedelta(minutes=11)] * 4) if c is not None]
    assert len(changes) == 1 and changes[0].stale
    assert look(now + timedelta(minutes=30)) is None  # still stopped: nothing new to say

    for admin in ("U1", "U3"):  # the one in NEXTSTEP_ADMINS, and Slack's workspace admin
        (notice,) = texts(fake, admin)
        assert "clock has not run for 11 minutes" in notice and "heroku ps:scale clock=1" in notice
    assert texts(fake, "U2") == []  # not an admin

    swept(running, now + timedelta(minutes=31))
    with ThreadPoolExecutor(4) as pool:
        changes = [c for c in pool.map(look, [now + timedelta(minutes=31)] * 4) if c is not None]
    assert len(changes) == 1 and not changes[0].stale
    for admin in ("U1", "U3"):
        stopped, resumed = texts(fake, admin)
        assert "running again" in resumed
    assert look(now + timedelta(minutes=32)) is None
    assert len(fake.calls_to("chat.postMessage")) == 4


def test_a_deployment_whose_clock_never_ran_is_noticed_ten_minutes_after_the_web_started(fake, running, now):
    deps = running.deps

    def look(at):
        return watch_once(deps.session_factory, deps.tokens, deps.config.slack_api_url, at, now, ADMINS)

    assert look(now + timedelta(minutes=5)) is None
    change = look(now + timedelta(minutes=10))
    assert change is not None and change.stale and change.last_sweep_at is None
    (notice,) = texts(fake, "U1")
    assert "has not run since this deployment started" in notice
