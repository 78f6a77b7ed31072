"""What every listener needs (the Deps), injected into Bolt's context by handlers.app's middleware."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Config
from bot.services.permissions import Admins
from bot.services.store import Sessions
from bot.slack.tokens import TokenSource


@dataclass
class Deps:
    """What every listener needs, injected into Bolt's context by a middleware."""

    config: Config
    session_factory: Sessions  # handed to the services, which open sessions and commit
    clock: Callable[[], datetime]
    tokens: TokenSource
    # (team, user) → until when their stored Slack profile is fresh: a /meeting from a rep seen
    # today costs no database read after the modal opens. A lower bound, so never wrong.
    fresh_profiles: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # (team, user) → until when a user id Slack does not know is not asked about again (App Home).
    unknown_people: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # (team, user) this process found a rep row for: their next Home opens ask the database only
    # for the Home itself (a row gone since is made again by the Home, as for a first visit).
    known_reps: set[tuple[str, str]] = field(default_factory=set)
    # (team, user) Slack is being asked about now (users.info), set when the answer is in: the
    # other events for them wait for it instead of asking again.
    people_asked: dict[tuple[str, str], threading.Event] = field(default_factory=dict)
    people_lock: threading.Lock = field(default_factory=threading.Lock)

    # (team, user) whose Home refresh is queued (handlers.events.app_home.refresh_home).
    home_pending: set[tuple[str, str]] = field(default_factory=set)
    home_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def admins(self) -> Admins:
        return Admins.of(self.config)
