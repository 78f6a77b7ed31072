"""Shortcuts (manifest.yml's features.shortcuts): one module per shortcut, each with register(app).

- log_meeting.py: "Log a meeting", global (the ⚡ menu, on a phone too) and on a message.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.shortcuts import log_meeting


def register(app: App) -> None:
    log_meeting.register(app)
