"""`/nextsteps help`: every command, in one ephemeral message."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import user_text

COMMANDS = (
    (
        "/meeting [account]",
        "Log a meeting you just held: what you asked for and how they reacted. "
        "I'll coach you on the ask and keep the next step from slipping.",
    ),
    ("/nextsteps help", "This list."),
)


def help_blocks(unknown: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    lines = "\n".join(f"\u2022 `{cmd}`  {what}" for cmd, what in COMMANDS)
    intro = (
        f"I don't know `{user_text(unknown, 50)}` yet. Here's what I can do:"
        if unknown
        else "End every meeting with a *scheduled* next step. Here's how I help:"
    )
    text = f"{intro}\n{lines}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        {"type": "section", "text": {"type": "mrkdwn", "text": lines}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Ask for a date on their calendar before you leave the meeting. Their reaction tells you where the deal stands.",
                }
            ],
        },
    ]
    return text, blocks
