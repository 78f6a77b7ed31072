"""What one sweep did (SweepReport), and the Outbox protocol the clock sends through (bot.slack.outbox implements it)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.services.reps import SlackProfile


class Outbox(Protocol):
    def post_dm(
        self, team_id: str, user_id: str, text: str, blocks: list[dict[str, Any]]
    ) -> tuple[str, str]: ...

    def profile(self, team_id: str, user_id: str) -> SlackProfile: ...


@dataclass
class SweepReport:
    claimed: int = 0
    escalated: int = 0
    sent: int = 0
    messages: int = 0
    failed: int = 0
    gave_up: int = 0
    # A stop was asked for (SIGTERM): nudges taken for a DM that was not sent yet went back.
    released: int = 0
    stopped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return any((self.claimed, self.escalated, self.sent, self.failed, self.gave_up, self.released))

    def add(self, other: SweepReport) -> None:
        self.stopped = self.stopped or other.stopped
        for name in ("claimed", "escalated", "sent", "messages", "failed", "gave_up", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes


def stopping(stop: threading.Event | None, report: SweepReport) -> bool:
    """Whether a stop (SIGTERM) was asked for; once seen, the report remembers it."""
    if stop is not None and stop.is_set():
        report.stopped = True
    return report.stopped
