"""SIGTERM, as Heroku sends it on every deploy and daily restart: the clock stops cleanly, loses nothing.

Real ``nextstep tick`` processes and real signals, on the backend DATABASE_URL names (the
``world`` of ``test_sweep_concurrency``: one workspace, one rep owed one DM each). Slack is
slowed so the signal lands while DMs are going out, and holds the DM in flight at the signal.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest

from tests.e2e.test_sweep_concurrency import (  # noqa: F401  (world is a fixture)
    World,
    assert_every_nudge_sent_once,
    finish,
    posted,
    rows_by_user,
    start_tick,
    world,
)
from tests.seeds.bulk import SWEEP_AT

DUE = 200
# Each DM takes this long in the fake Slack: 200 DMs take about 10 s, so SIGTERM lands mid-send.
SLOW_POST = 0.05
STOP_AFTER = 20  # DMs Slack took before the signal
# The DM in flight when the signal lands is held this long by Slack: the clock waits for it.
IN_FLIGHT = 2.0
# Heroku sends SIGKILL 30 s after SIGTERM; the clock promises to be gone well before.
STOP_WITHIN = 20


@pytest.mark.parametrize("world", [{"due": DUE}], indirect=True, ids=[str(DUE)])
def test_sigterm_mid_send_stops_cleanly_and_the_next_tick_sends_the_rest_once(world: World) -> None:  # noqa: F811
    fake = world.fake
    fake.inject("chat.postMessage", delay=SLOW_POST, times=DUE * 2)
    tick = start_tick(world, SWEEP_AT, "stopped", log_level="INFO")
    deadline = time.monotonic() + 60
    while len(posted(fake)) < STOP_AFTER:
        assert tick.poll() is None, f"the tick ended before the signal: {tick.returncode}"
        assert time.monotonic() < deadline, "the tick did not start sending in time"
        time.sleep(0.005)
    fake.clear_faults()
    fake.inject("chat.postMessage", delay=IN_FLIGHT)
    fake.wait_until(
        lambda: any(
            c.status == 0 and fake.wall_clock() - c.at > IN_FLIGHT / 10
            for c in fake.calls_to("chat.postMessage")
        )
    )
    signalled = time.monotonic()
    os.kill(tick.pid, signal.SIGTERM)
    last_line = finish(world, tick, "stopped")  # asserts exit code 0
    stopped_in = time.monotonic() - signalled
    assert fake.wait_idle(quiet=0.2)

    log = (world.logs / "stopped.log").read_text()
    sent_before = Counter(c.params["channel"] for c in posted(fake))
    marked = {u for u, (n,) in rows_by_user(world).items() if n.sent_at is not None}
    assert 1 <= len(sent_before) <= DUE - 1, f"sent {len(sent_before)} of {DUE}"
    assert max(sent_before.values()) == 1
    # Graceful: the DM in flight at the signal was finished and recorded, so every DM Slack
    # took is marked sent, and nothing is marked sent that Slack did not take.
    assert marked == set(sent_before), (
        f"{len(set(sent_before) - marked)} DMs sent but not recorded, {len(marked - set(sent_before))} recorded unsent"
    )
    stop_lines = [line for line in log.splitlines() if "stopped on SIGTERM" in line]
    assert len(stop_lines) == 1, log[-2000:]
    assert f"sent {len(marked)} nudges in {len(marked)} DMs" in stop_lines[0]
    assert f"{DUE - len(marked)} claimed nudges left for the next sweep" in stop_lines[0]
    assert "Traceback" not in log
    # It waited for the DM in flight (answered after IN_FLIGHT), and no longer than it promises.
    assert IN_FLIGHT * 0.7 < stopped_in < STOP_WITHIN, f"took {stopped_in:.1f}s to stop"

    fake.clear_faults()
    summary = finish(world, start_tick(world, SWEEP_AT + timedelta(minutes=1), "next"), "next")
    assert fake.wait_idle(quiet=0.2)
    recipients = Counter(c.params["channel"] for c in posted(fake))
    figures = (
        f"{world.engine.dialect.name}: {DUE} due; SIGTERM after {STOP_AFTER} DMs with one held {IN_FLIGHT}s "
        "in flight; the tick stopped in "
        f"{stopped_in:.2f}s having sent {len(sent_before)} ({last_line!r}); the next tick: {summary!r}"
    )
    assert set(recipients) == world.users, figures
    assert max(recipients.values()) == 1, f"a DM went twice; {figures}"
    assert_every_nudge_sent_once(world, figures)
    print(figures)
