"""Opening a modal, from a button, a command or a shortcut: one helper, so every refusal reaches the person.

Slack refuses ``views.open`` when the click's trigger has expired (3 s; a slow phone, a busy
worker), when one is already used, or when the view is refused. The person clicked and
expects a form; silence reads as "the app is broken". So they are told where they are:
the command's ack when it is still unanswered, an ephemeral through the ``response_url``
or in the channel when there is one, and otherwise a DM (the App Home tab has neither).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from handlers.events.app_home import publish_home

log = logging.getLogger("nextstep")

AGAIN = "Please click it again."


def open_failed_text(again: str = AGAIN) -> str:
    return f"Slack didn't let me open the form just then, so nothing changed. {again}"


def _channel(body: dict[str, Any]) -> str | None:
    """Where the click or command happened, when it was in a conversation."""
    channel = body.get("channel")
    if isinstance(channel, dict) and isinstance(channel.get("id"), str):
        return str(channel["id"])
    if isinstance(body.get("channel_id"), str) and body["channel_id"]:
        return str(body["channel_id"])
    return None


def from_home(body: dict[str, Any]) -> bool:
    """The click came from the person's App Home tab."""
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home"


def tell_person(
    client: WebClient, body: dict[str, Any], context: dict[str, Any], text: str, ack: Ack | None = None
) -> None:
    """A private answer wherever the person can see it: the ack, the response_url, the channel, or a DM."""
    user_id = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
    try:
        if ack is not None and ack.response is None:
            ack(text=text)
            return
        respond = context.get("respond")
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        channel = _channel(body)
        if channel is not None:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
        # App Home buttons, global shortcuts: no conversation to answer in; the DM always is one.
        client.chat_postMessage(channel=user_id, text=text)
    except Exception as error:  # noqa: BLE001 - best effort: what went wrong before is logged already
        code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        log.warning(
            "could not answer user=%s team=%s privately: %s",
            user_id,
            context.get("team_id"),
            code,
        )


def open_modal(
    client: WebClient,
    body: dict[str, Any],
    context: dict[str, Any],
    view: dict[str, Any],
    *,
    ack: Ack | None = None,
    again: str | None = None,
    push: bool = False,
) -> bool:
    """views.open with the request's trigger; True when the modal is up.

    ``push``: views.push instead, over the modal the click came from. When Slack refuses (or
    does not answer), the person is told (``tell_person``) and, when the click came from their
    Home tab, the tab is republished: whatever the button offered may have changed since it
    was drawn.
    """
    method = "views.push" if push else "views.open"
    try:
        if push:
            client.views_push(trigger_id=body["trigger_id"], view=view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        return True
    except (SlackApiError, OSError) as error:
        code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        log.warning(
            "%s failed team=%s callback=%s: %s",
            method,
            context.get("team_id"),
            view.get("callback_id"),
            code,
        )
    if again is None:
        command = body.get("command")
        again = f"Type `{command}` again." if isinstance(command, str) and command else AGAIN
    tell_person(client, body, context, open_failed_text(again), ack)
    if from_home(body):
        republish_home(client, body, context)
    return False


def republish_home(client: WebClient, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Redraw the person's Home tab as it is now (best effort)."""
    deps: Deps = context["deps"]
    user_id = str((body.get("user") or {}).get("id") or "")
    try:
        publish_home(client, deps, team_id=context["team_id"], user_id=user_id)
    except SlackApiError as error:
        log.warning("views.publish failed team=%s: %s", context.get("team_id"), error.response.get("error"))
