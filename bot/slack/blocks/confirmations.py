"""Short messages that confirm what a button or modal did."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.coaching import calendar_links, format_when
from bot.slack import ids
from bot.slack.blocks.common import actions, button, context, section, user_text


def booked_confirmation(
    *, deal_name: str, description: str, at: datetime, tz: ZoneInfo
) -> tuple[str, list[dict[str, Any]]]:
    """What the coaching DM becomes once its "Booked it" was used: the date in the rep's zone, calendar links."""
    when = format_when(at, tz)
    links = calendar_links(f"{deal_name}: {description}"[:200], at, details=description)
    text = f"\u2705 Booked: {user_text(deal_name, 200)}, {when}. No phone tag on this one."
    details = f"\n{user_text(description, 1000)}" if description else ""
    blocks = [
        section(f"\u2705 *Booked:* {user_text(deal_name, 200)}\n*{when}*{details}"),
        actions(
            [
                button("Add to Google Calendar", ids.CALENDAR_GOOGLE, url=links.google),
                button("Add to Outlook", ids.CALENDAR_OUTLOOK, url=links.outlook),
            ]
        ),
        context(
            "A date on their calendar means no phone tag. Go in knowing who attends and how you'll be judged."
        ),
    ]
    return text, blocks


def replacement_confirmation(
    *, account_name: str, deal_name: str, replaces_account: str
) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f"Added *{user_text(deal_name, 200)}* at *{user_text(account_name, 200)}*, replacing "
        f"{user_text(replaces_account, 200)}. Now get a first meeting on the calendar, then log it with `/meeting`."
    )
    return text, [section(text)]
