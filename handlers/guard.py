"""A listener that fails must still answer Slack sensibly: never a 500, never a silent modal."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot import ids

log = logging.getLogger("nextstep")

SAVE_FAILED = "Something went wrong on our side and nothing was saved. Please try Save again in a moment."


def first_input_block(view: dict[str, Any] | None) -> str | None:
    """A block_id Slack will accept for a modal error: one of the view's input blocks."""
    for block in (view or {}).get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def modal_error(ack: Ack, view: dict[str, Any] | None, message: str, prefer: str | None = None) -> None:
    """Answer a view submission with an error next to a field (``prefer`` when it exists)."""
    block_ids = {b.get("block_id") for b in (view or {}).get("blocks") or [] if isinstance(b, dict)}
    block_id = prefer if prefer in block_ids else first_input_block(view)
    if block_id is None:
        ack()
        return
    ack(response_action="errors", errors={block_id: message})


def guarded(listener: Callable[..., None]) -> Callable[..., None]:
    """Log any failure with the workspace and request id; if Slack is still waiting, answer it.

    The listener must take ``ack`` and ``body``; Bolt injects by parameter name through
    ``functools.wraps``.
    """

    @functools.wraps(listener)
    def wrapper(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        except Exception as error:
            ack: Ack = kwargs["ack"]
            body: dict[str, Any] = kwargs.get("body") or {}
            context = kwargs.get("context") or {}
            log.exception(
                "%s failed team=%s request=%s: %s",
                listener.__name__,
                context.get("team_id"),
                context.get("request_id"),
                type(error).__name__,
            )
            if ack.response is None:
                if body.get("type") == "view_submission":
                    modal_error(ack, body.get("view"), SAVE_FAILED, prefer=ids.ACCOUNT)
                elif body.get("type") == "block_suggestion":
                    ack(options=[])
                else:
                    ack()

    return wrapper
