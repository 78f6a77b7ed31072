"""Reading a click and answering it privately: shared by the block-action listeners."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers.modals import from_home, republish_home, tell_person


def button_value(body: dict) -> str:
    """The clicked button's value, or "" when it has none."""
    value = (body.get("actions") or [{}])[0].get("value")
    return value if isinstance(value, str) else ""


def tell(client: WebClient, body: dict, context: dict, text: str, *, redraw_home: bool = True) -> None:
    """A short private answer where the person clicked: an ephemeral in that conversation, or a DM
    from the Home tab (no channel, no response_url there). A refusal from the Home tab means the
    tab showed something that changed since: it is redrawn as it is now."""
    tell_person(client, body, context, text)
    if redraw_home and from_home(body):
        republish_home(client, body, context)
