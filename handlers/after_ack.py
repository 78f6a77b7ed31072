"""Work after the ack, bounded and fair: a fixed number of slots per process, lanes by priority.

A listener (``handlers.guard.guarded``) runs on a thread of its own until it acks, so the ack
path never waits behind work already acked: the HTTP answer leaves the moment the listener
decides it (the busiest, the ``/meeting`` Save, runs on the request thread and hands its work
after the ack over with ``submit``). From its ack on, the listener's thread holds one of
``SLOTS`` slots: when they are all taken it waits, in lane order (a modal to open before its trigger expires, then
replies such as the coaching DM, then refreshes such as the Home tab), first come first
served within a lane. A saturated process so answers Slack in time and catches up after,
instead of queueing acks behind DMs; the backlog's depth and its wait are logged at WARNING
when they pass ``WARN_DEPTH`` and ``WARN_WAIT``.

``submit`` hands over a job (the coaching DM, the debounced Home refresh) to run the same way:
it waits in the line as itself, on no thread, and starts on one when a slot is its. A listener
still before its ack holds a thread; a waiting listener's thread costs memory, no CPU; only
``SLOTS`` of them run at once and compete with the ack path for the interpreter.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

log = logging.getLogger("nextstep")


class Lane(IntEnum):
    """Which after-ack work goes first when the slots are all taken (lowest first)."""

    MODAL = 0  # views.open after a click: the trigger expires 3 s after it
    REPLY = 1  # what the person is waiting to read: the coaching DM, a message updated in place
    REFRESH = 2  # what they will read later: the Home tab


# Slots of after-ack work running at once in a process, by default: a few, so the ack path
# keeps most of the interpreter (the GIL) when the process is saturated. Chosen with
# benchmarks/load.py; AFTER_ACK_SLOTS (bot.config) sets it when the app is built.
SLOTS = 4
# Threads listeners and jobs start on: a listener waiting for a slot holds one. Beyond this many
# a new request waits for a thread, so it is large; threads are made only when needed.
MAX_THREADS = 256
WARN_DEPTH = 50
WARN_WAIT = 2.0  # seconds a job waited for its slot
_WARN_EVERY = 10.0  # seconds between two WARNINGs about the backlog


@dataclass(eq=False)
class _Job:
    """Work submitted to run after the ack: waits in the line as itself, on no thread."""

    run: Callable[[], Any]
    name: str
    lane: Lane
    context: contextvars.Context  # the submitter's (its log ids)
    queued: float  # time.monotonic()
    depth: int = 0  # the line's length when it joined


class AfterAck:
    """The slots and their waiting line (one per process)."""

    def __init__(self, slots: int = SLOTS, max_threads: int = MAX_THREADS):
        self.slots = slots
        self._free = slots
        self._lock = threading.Lock()
        # (lane, arrival, waiter): a heap. A waiter is a listener's thread blocked on its own lock,
        # or a submitted job. A freed slot goes to the head of the line alone: its lock is
        # released, or the job starts on a thread; with 50 waiting, one thread wakes, not 50.
        self._line: list[tuple[int, int, Any]] = []
        self._arrival = itertools.count()
        self._last_warning = 0.0
        # Submitted jobs not yet finished, and the stop waiting for them (finish()).
        self._jobs = 0
        self._jobs_done = threading.Condition(self._lock)
        self._stopping = False
        self.threads = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="listener")

    def resize(self, slots: int) -> None:
        """The number of slots (the app sets it from its config when built)."""
        with self._lock:
            self._free += slots - self.slots
            self.slots = slots
            self._hand_out()

    @property
    def depth(self) -> int:
        """Jobs waiting for a slot now."""
        with self._lock:
            return len(self._line)

    @property
    def stopping(self) -> bool:
        """finish() was called: new jobs run where they are submitted."""
        return self._stopping

    def _hand_out(self) -> None:
        """Free slots to the first in line (lane, then arrival); the lock is held."""
        while self._free > 0 and self._line:
            _, _, waiter = heapq.heappop(self._line)
            self._free -= 1
            if isinstance(waiter, _Job):
                self.threads.submit(waiter.context.run, self._run, waiter)
            else:
                waiter.release()  # it holds the slot now

    def enter(self, lane: Lane, name: str = "") -> None:
        """Wait for a slot in ``lane``'s turn; the caller must ``leave()`` after."""
        started = time.monotonic()
        with self._lock:
            if self._free > 0 and not self._line:
                self._free -= 1
                return
            waiter = threading.Lock()
            waiter.acquire()
            heapq.heappush(self._line, (int(lane), next(self._arrival), waiter))
            depth = len(self._line)
        waiter.acquire()  # until _hand_out releases it: the slot is ours
        self._warn(depth, time.monotonic() - started, name, lane)

    def _warn(self, depth: int, waited: float, name: str, lane: Lane) -> None:
        if depth >= WARN_DEPTH or waited >= WARN_WAIT:
            now = time.monotonic()
            if now - self._last_warning >= _WARN_EVERY:
                self._last_warning = now
                log.warning(
                    "work after the ack is backing up: %d waiting for %d slots, %s waited %.1fs (lane %s)",
                    depth,
                    self.slots,
                    name or "a job",
                    waited,
                    lane.name.lower(),
                )

    def leave(self) -> None:
        with self._lock:
            self._free += 1
            self._hand_out()

    def submit(self, job: Callable[[], Any], lane: Lane, name: str = "") -> None:
        """Run ``job`` after the ack, in its lane's turn, in a copy of the caller's context (log ids).

        Until its turn it waits in the line on no thread of its own; when the worker is stopping
        (``finish()``), it runs here and now.
        """
        entry = _Job(job, name, lane, contextvars.copy_context(), time.monotonic())
        with self._lock:
            if not self._stopping:
                self._jobs += 1
                if self._free > 0 and not self._line:
                    self._free -= 1
                    self.threads.submit(entry.context.run, self._run, entry)
                else:
                    entry.depth = len(self._line) + 1
                    heapq.heappush(self._line, (int(lane), next(self._arrival), entry))
                return
        self._call(entry)

    def _run(self, job: _Job) -> None:
        """A job, on a thread, holding a slot."""
        self._warn(job.depth, time.monotonic() - job.queued, job.name, job.lane)
        try:
            self._call(job)
        finally:
            with self._lock:
                self._free += 1
                self._jobs -= 1
                self._hand_out()
                if self._jobs == 0:
                    self._jobs_done.notify_all()

    @staticmethod
    def _call(job: _Job) -> None:
        try:
            job.run()
        except Exception as error:
            log.exception("%s failed after the ack: %s", job.name or "a job", type(error).__name__)

    def finish(self, timeout: float) -> bool:
        """On a worker's graceful stop: let what was started finish; True when it did within ``timeout``.

        The jobs in line run first; then the listeners' threads are waited for.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._stopping = True
            while self._jobs and self._jobs_done.wait(max(0.0, deadline - time.monotonic())):
                pass
            if self._jobs:
                return False
        waiter = threading.Thread(target=self.threads.shutdown, kwargs={"wait": True}, daemon=True)
        waiter.start()
        waiter.join(max(0.0, deadline - time.monotonic()))
        return not waiter.is_alive()


AFTER_ACK = AfterAck()
