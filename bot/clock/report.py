"""What one sweep did (SweepReport), and the Outbox protocol the clock sends through (bot.slack.outbox implements it)."""

from __future__ import annotations

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
    notes: list[str] = field(default_factory=list)

    def add(self, other: SweepReport) -> None:
        for name in ("claimed", "escalated", "sent", "messages", "failed", "gave_up"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes
