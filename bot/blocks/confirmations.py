"""Short messages that confirm what a button or modal did."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids
from bot.coaching import calendar_links, format_when


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def booked_confirmation(
    *, deal_name: str, description: str, at: datetime, tz: ZoneInfo
) -> tuple[str, list[dict[str, Any]]]:
    when = format_when(at, tz)
    links = calendar_links(f"{deal_name}: {description}"[:200], at, details=description)
    text = f"\u2705 Booked: {deal_name}, {when}. No phone tag on this one."
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"\u2705 *Booked:* {_escape(deal_name[:200])}\n*{when}*"
                + (f"\n{_escape(description[:1000])}" if description else ""),
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.CALENDAR_GOOGLE,
                    "text": {"type": "plain_text", "text": "Add to Google Calendar"},
                    "url": links.google,
                },
                {
                    "type": "button",
                    "action_id": ids.CALENDAR_OUTLOOK,
                    "text": {"type": "plain_text", "text": "Add to Outlook"},
                    "url": links.outlook,
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "A date on their calendar means no phone tag. Go in knowing who attends and how you'll be judged.",
                }
            ],
        },
    ]
    return text, blocks


def replacement_confirmation(deal_name: str) -> tuple[str, list[dict[str, Any]]]:
    text = f"Added *{_escape(deal_name[:200])}* to your pipeline. Now get a first meeting on the calendar, then log it with `/meeting`."
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
