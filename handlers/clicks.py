"""Reading a click and answering it privately: shared by the block-action listeners."""

from __future__ import annotations

from slack_sdk import WebClient


def button_value(body: dict) -> str:
    """The clicked button's value, or "" when it has none."""
    value = (body.get("actions") or [{}])[0].get("value")
    return value if isinstance(value, str) else ""


def tell(client: WebClient, body: dict, text: str) -> None:
    """A short private answer where the click happened (the DM when it came from the Home tab)."""
    user_id = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or user_id
    client.chat_postEphemeral(channel=channel, user=user_id, text=text)
