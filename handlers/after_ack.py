"""Work after the ack, bounded and fair: a fixed number of slots per process, lanes by priority.

A listener (``handlers.guard.guarded``) runs on a thread of its own until it acks, so the ack
path never waits behind work already acked: the HTTP answer leaves the moment the listener
decides it. From its ack on, the listener's thread holds one of ``SLOTS`` slots: when they
are all taken it waits, in lane order (a modal to open before its trigger expires, then
replies such as the coaching DM, then refreshes such as the Home tab), first come first
served within a lane. A saturated process so answers Slack in time and catches up after,
instead of queueing acks behind DMs; the backlog's depth and its wait are logged at WARNING
when they pass ``WARN_DEPTH`` and ``WARN_WAIT``.

``submit`` runs a job (the debounced Home refresh) the same way, on a thread that waits for a
slot in its lane. Slots, not threads, are what is fixed: a waiting thread costs memory, no CPU,
and only ``SLOTS`` of them compete with the ack path for the interpreter.
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


class AfterAck:
    """The slots and their waiting line (one per process)."""

    def __init__(self, slots: int = SLOTS, max_threads: int = MAX_THREADS):
        self.slots = slots
        self._free = slots
        self._lock = threading.Lock()
        # (lane, arrival, the waiter's lock): a heap. A freed slot is handed to the head of the
        # line alone, by releasing its lock: with 50 waiting, a slot wakes one thread, not 50.
        self._line: list[tuple[int, int, Any]] = []
        self._arrival = itertools.count()
        self._last_warning = 0.0
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

    def _hand_out(self) -> None:
        """Free slots to the first in line (lane, then arrival); the lock is held."""
        while self._free > 0 and self._line:
            _, _, waiter = heapq.heappop(self._line)
            self._free -= 1
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
        waited = time.monotonic() - started
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
        """Run ``job`` after the ack, in its lane's turn, in a copy of the caller's context (log ids)."""

        def run() -> None:
            self.enter(lane, name)
            try:
                job()
            except Exception as error:
                log.exception("%s failed after the ack: %s", name or "a job", type(error).__name__)
            finally:
                self.leave()

        try:
            self.threads.submit(contextvars.copy_context().run, run)
        except RuntimeError:  # the worker is stopping (finish() shut the threads): do it here
            try:
                job()
            except Exception as error:
                log.exception("%s failed after the ack: %s", name or "a job", type(error).__name__)

    def finish(self, timeout: float) -> bool:
        """On a worker's graceful stop: let what was started finish; True when it did within ``timeout``."""
        waiter = threading.Thread(target=self.threads.shutdown, kwargs={"wait": True}, daemon=True)
        waiter.start()
        waiter.join(timeout)
        return not waiter.is_alive()


AFTER_ACK = AfterAck()
