"""Work after the ack: a fixed number of slots, taken in lane order; a backlog is logged; the Home
is rebuilt after a write only for a rep who looked at it lately."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from typing import Any

from slack_bolt import Ack
from sqlalchemy import select

from bot.config import Config
from bot.services.home import OPENED_PRECISION
from bot.slack import ids
from bot.slack.tokens import TokenSource
from handlers import after_ack, guard
from handlers.after_ack import AfterAck, Lane
from handlers.deps import Deps
from handlers.events.app_home import HOME_RECENT, build_home
from handlers.guard import SAVE_FAILED, guarded, later
from models import Rep, make_session_factory


def _wait(condition: Any, timeout: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not met in time")


def test_busy_slots_are_given_out_by_lane_then_by_arrival(monkeypatch, caplog):
    monkeypatch.setattr(after_ack, "WARN_DEPTH", 3)
    pool = AfterAck(slots=1)
    pool.enter(Lane.MODAL)  # the one slot is taken: everything below waits
    order: list[str] = []
    for arrived, (name, lane) in enumerate(
        [
            ("home", Lane.REFRESH),
            ("dm 1", Lane.REPLY),
            ("modal", Lane.MODAL),
            ("dm 2", Lane.REPLY),
        ],
        1,
    ):
        pool.submit(lambda name=name: order.append(name), lane, name)
        _wait(lambda arrived=arrived: pool.depth == arrived)  # in line before the next arrives
    _wait(lambda: pool.depth == 4)
    assert order == [], "nothing runs while the slot is taken"
    caplog.set_level(logging.WARNING, logger="nextstep")
    pool.leave()
    _wait(lambda: len(order) == 4)
    assert order == ["modal", "dm 1", "dm 2", "home"]
    assert pool.finish(5)
    (warning,) = [r for r in caplog.records if "backing up" in r.getMessage()]
    assert warning.levelno == logging.WARNING and "waiting for 1 slots" in warning.getMessage()


def test_no_more_jobs_run_at_once_than_there_are_slots():
    pool = AfterAck(slots=2)
    running, most = [0], [0]
    lock = threading.Lock()
    release = threading.Event()

    def job() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1

    for _ in range(6):
        pool.submit(job, Lane.REPLY)
    _wait(lambda: pool.depth == 4)
    release.set()
    assert pool.finish(5)
    assert most[0] == 2


def test_more_slots_go_to_those_waiting_and_a_long_line_all_runs():
    pool = AfterAck(slots=1)
    pool.enter(Lane.REPLY)  # held: the line below waits
    done: list[int] = []
    lock = threading.Lock()
    running, most = [0], [0]

    def job(i: int) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        threading.Event().wait(0.001)
        with lock:
            running[0] -= 1
            done.append(i)

    for i in range(200):
        pool.submit(lambda i=i: job(i), Lane.REPLY)
    _wait(lambda: pool.depth == 200)
    pool.resize(3)  # two more slots: handed to the first two in line at once
    _wait(lambda: len(done) >= 2)
    pool.leave()
    assert pool.finish(10)
    assert sorted(done) == list(range(200)) and pool.depth == 0
    assert most[0] <= 3


def test_jobs_waiting_for_a_slot_hold_no_thread_and_the_stop_runs_them_first():
    pool = AfterAck(slots=1)
    pool.enter(Lane.REPLY)  # held: everything submitted waits
    threads_before = threading.active_count()
    done: list[int] = []
    for i in range(100):
        pool.submit(lambda i=i: done.append(i), Lane.REPLY)
    assert pool.depth == 100 and done == []
    assert threading.active_count() == threads_before, "a job waits in the line, not on a thread"
    results: list[bool] = []
    stopping = threading.Thread(target=lambda: results.append(pool.finish(5)))
    stopping.start()
    _wait(lambda: pool.stopping)
    pool.leave()  # the listener holding the slot is done: the line runs, then the stop returns
    stopping.join(5)
    assert results == [True] and done == list(range(100))
    pool.submit(lambda: done.append(100), Lane.REPLY)  # once stopping: runs here and now
    assert done[-1] == 100


def test_the_stop_says_so_when_a_job_is_still_running():
    pool = AfterAck(slots=1)
    release = threading.Event()
    pool.submit(lambda: release.wait(5), Lane.REPLY)
    assert pool.finish(0.2) is False
    release.set()


def test_an_inline_listener_that_fails_before_its_ack_shows_the_error_in_the_modal(caplog):
    view = {"blocks": [{"type": "input", "block_id": ids.ACCOUNT}], "callback_id": ids.MEETING_MODAL}

    @guarded(inline=True)
    def broken(ack: Ack, body: dict) -> None:
        raise RuntimeError("boom")

    ack = Ack()
    caplog.set_level(logging.ERROR, logger="nextstep")
    broken(ack=ack, body={"type": "view_submission", "view": view}, context={"team_id": "T1"})
    answer = json.loads(ack.response.body)
    assert answer["response_action"] == "errors" and answer["errors"][ids.ACCOUNT] == SAVE_FAILED
    assert any("broken failed team=T1" in r.getMessage() for r in caplog.records)


def test_work_after_an_inline_ack_runs_in_its_lane_and_a_failure_is_logged_with_the_workspace(
    monkeypatch, caplog
):
    pool = AfterAck(slots=1)
    monkeypatch.setattr(guard, "AFTER_ACK", pool)
    caplog.set_level(logging.ERROR, logger="nextstep")
    ran = threading.Event()

    def fails() -> None:
        ran.set()
        raise RuntimeError("no DM")

    later(fails, {"team_id": "T9", "request_id": "r1"}, Lane.REPLY, "meeting_submitted")
    assert ran.wait(5) and pool.finish(5)
    (line,) = [r.getMessage() for r in caplog.records if "meeting_submitted" in r.getMessage()]
    assert "team=T9 request=r1" in line


def _deps(engine: Any, clock: list) -> Deps:
    """Deps whose clock reads ``clock[0]``."""
    return Deps(
        config=Config(signing_secret="s", database_url=str(engine.url)),
        session_factory=make_session_factory(engine),
        clock=lambda: clock[0],
        tokens=TokenSource("xoxb-t", None),
    )


def test_a_write_rebuilds_the_home_only_for_a_rep_who_opened_it_lately(engine, now):
    clock = [now]
    deps = _deps(engine, clock)
    assert build_home(deps, team_id="T1", user_id="U1", looked=False) is None, "never opened"
    opened = build_home(deps, team_id="T1", user_id="U1")  # app_home_opened: recorded
    assert opened is not None and opened["type"] == "home"
    clock[0] = now + HOME_RECENT - timedelta(seconds=1)
    assert build_home(deps, team_id="T1", user_id="U1", looked=False) is not None
    clock[0] = now + HOME_RECENT + timedelta(seconds=1)
    assert build_home(deps, team_id="T1", user_id="U1", looked=False) is None, "looked too long ago"


def test_looking_again_within_a_minute_writes_nothing_and_later_moves_the_time(engine, now):
    clock = [now]
    deps = _deps(engine, clock)

    def opened_at() -> Any:
        with deps.session_factory() as session:
            return session.scalar(select(Rep.home_opened_at).where(Rep.user_id == "U1"))

    assert build_home(deps, team_id="T1", user_id="U1") is not None
    assert opened_at() == now
    clock[0] = now + OPENED_PRECISION - timedelta(seconds=1)
    assert build_home(deps, team_id="T1", user_id="U1") is not None
    assert opened_at() == now, "a click a moment later is not written"
    clock[0] = now + OPENED_PRECISION
    build_home(deps, team_id="T1", user_id="U1")
    assert opened_at() == now + OPENED_PRECISION
    # a write still rebuilds it within HOME_RECENT of the last recorded look
    clock[0] = now + OPENED_PRECISION + HOME_RECENT - timedelta(seconds=1)
    assert build_home(deps, team_id="T1", user_id="U1", looked=False) is not None
