"""The session factory the services are given: each service opens its session and owns its commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import make_session_factory

Sessions = sessionmaker[Session]
P = ParamSpec("P")
T = TypeVar("T")


def open_sessions(engine: Engine) -> Sessions:
    """The one session factory of a process, over ``engine``."""
    return make_session_factory(engine)


def run(
    sessions: Sessions, service: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """A session-level service in a session of its own: the Slack shell's one call per thing done.

    The service owns its commit (and its rollback: the session closes with it); what it returns
    must be plain values, for the session is gone when the shell reads them.
    """
    with sessions() as session:
        return service(session, *args, **kwargs)
