"""The catch-all for modals this version of the app does not know. Registered last (handlers.views)."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App

from handlers.guard import (
    REOPEN,
    modal_error,
)

log = logging.getLogger("nextstep")


def unknown_view(ack: Ack, body: dict) -> None:
    """A modal this version of the app does not know (an old deploy's): say so, save nothing."""
    view = body.get("view") or {}
    log.warning("unknown view callback_id=%r", str(view.get("callback_id"))[:64])
    modal_error(ack, view, REOPEN)


def register(app: App) -> None:
    app.view(re.compile(".*"))(unknown_view)
