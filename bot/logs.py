"""One log format for every process and library: text for people, or JSON (LOG_FORMAT=json).

Every record carries the workspace (``team``) and the request id (``request``) when it is
logged on behalf of a Slack request: the Bolt middleware sets them in context variables,
and the work done after the ack runs in a copy of that context (``handlers.guard``).
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter

from bot.config import LogSettings

current_team: contextvars.ContextVar[str | None] = contextvars.ContextVar("team", default=None)
current_request: contextvars.ContextVar[str | None] = contextvars.ContextVar("request", default=None)


class RequestContext(logging.Filter):
    """Adds ``team`` and ``request`` to each record (an explicit ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "team"):
            record.team = current_team.get()
        if not hasattr(record, "request"):
            record.request = current_request.get()
        return True


class TextFormatter(logging.Formatter):
    """The text format: the workspace and request id, when there are any, close the line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        parts = [f"{key}={value}" for key in ("team", "request") if (value := getattr(record, key, None))]
        return f"{line} [{' '.join(parts)}]" if parts else line


class NoBodies(logging.Filter):
    """Request bodies quote people's words: only a DEBUG log may hold them.

    slack_bolt logs a refused request (bad or stale signature) at INFO with its whole body;
    here it becomes one line without it. Its other body dumps are dropped unless at DEBUG.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("slack_bolt") or logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        if record.name.endswith("RequestVerification"):
            record.msg, record.args = "Slack request refused (401): invalid or stale signature", ()
            return True
        return "body" not in record.getMessage().lower()


@contextmanager
def request_context(team: str | None, request: str | None) -> Iterator[None]:
    team_token, request_token = current_team.set(team), current_request.set(request)
    try:
        yield
    finally:
        current_team.reset(team_token)
        current_request.reset(request_token)


def formatter(settings: LogSettings) -> logging.Formatter:
    if settings.format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(team)s %(request)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return TextFormatter()


def setup_logging(settings: LogSettings) -> None:
    """The root logger writes to stderr in the one format; gunicorn's loggers propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings))
    handler.addFilter(NoBodies())
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    # APScheduler says "Running job" and "executed successfully" every minute: an idle clock
    # must be quiet at INFO (the sweep logs a line when it did something).
    # Alembic names its plugins and its dialect every time a schema revision is read.
    # Matplotlib says it built its font cache the first time a chart is drawn on a machine.
    if settings.level != "DEBUG":
        for name in ("apscheduler", "alembic.runtime.plugins", "alembic.runtime.migration", "matplotlib"):
            logging.getLogger(name).setLevel(logging.WARNING)
