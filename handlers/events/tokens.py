"""Events API: de-duplicated on event_id (Slack retries), uninstall and token revocation."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltResponse

from bot.services.workspaces import EventSeen, record_event
from bot.services.workspaces import tokens_gone as tokens_gone_for
from handlers.deps import Deps
from handlers.guard import guarded

log = logging.getLogger("nextstep")


# The events whose handling is done once, recorded by event_id so a retry is dropped. The others
# handled twice do what once does (app_home_opened publishes the Home again) and are not recorded:
# no session, row and commit on every look at the Home, and no row for an event nobody handles.
ONCE = frozenset({"tokens_revoked", "app_uninstalled"})


def dedupe_events(body: dict, context: dict, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Record each event_id once; a retry of a handled event is acknowledged and dropped."""
    event_id = (
        body.get("event_id") if isinstance(body, dict) and body.get("type") == "event_callback" else None
    )
    if not isinstance(event_id, str) or not event_id:
        return next()
    event = body.get("event")
    if not isinstance(event, dict) or event.get("type") not in ONCE:
        return next()
    deps: Deps = context["deps"]
    seen = record_event(deps.session_factory, event_id, str(body.get("team_id") or ""), deps.clock())
    if seen is EventSeen.AGAIN:
        log.info(
            "duplicate event %s team=%s retry=%s", event_id, body.get("team_id"), context.get("retry_num")
        )
        return BoltResponse(status=200, body="")
    return next()  # a first, or not recorded: better to risk handling a retry twice than to drop it


@guarded
def tokens_gone(ack: Ack, body: dict, context: dict) -> None:
    """tokens_revoked / app_uninstalled: forget the tokens at once; the data waits 30 days for a reinstall."""
    ack()
    deps: Deps = context["deps"]
    team_id = context["team_id"]
    uninstalled = body.get("event", {}).get("type") == "app_uninstalled"
    tokens_gone_for(deps.session_factory, team_id, deps.clock(), uninstalled=uninstalled)
    # After the flag: whoever finds the tokens gone also finds why.
    deps.tokens.revoke(team_id)
    log.info("tokens removed team=%s event=%s", team_id, body.get("event", {}).get("type"))


def register(app: App) -> None:
    # dedupe_events runs inside handlers.app's one middleware (each middleware costs Bolt a
    # kwargs injection per request).
    app.event("tokens_revoked")(tokens_gone)
    app.event("app_uninstalled")(tokens_gone)
