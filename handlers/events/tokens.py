"""Events API: de-duplicated on event_id (Slack retries), uninstall and token revocation."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltResponse
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.services.reps import ensure_workspace
from handlers.deps import Deps
from handlers.guard import guarded
from models import ProcessedEvent

log = logging.getLogger("nextstep")


def dedupe_events(body: dict, context: dict, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Record each event_id once; a retry of a handled event is acknowledged and dropped."""
    event_id = (
        body.get("event_id") if isinstance(body, dict) and body.get("type") == "event_callback" else None
    )
    if not isinstance(event_id, str) or not event_id:
        return next()
    deps: Deps = context["deps"]
    try:
        with deps.session() as session:
            session.add(
                ProcessedEvent(
                    event_id=event_id[:64],
                    team_id=str(body.get("team_id") or "")[:32],
                    received_at=deps.clock(),
                )
            )
            session.commit()
    except IntegrityError:
        log.info(
            "duplicate event %s team=%s retry=%s", event_id, body.get("team_id"), context.get("retry_num")
        )
        return BoltResponse(status=200, body="")
    except SQLAlchemyError as error:
        # Better to risk handling a retry twice than to drop the event.
        log.warning("event %s not recorded: %s", event_id, type(error).__name__)
    return next()


@guarded
def tokens_gone(ack: Ack, body: dict, context: dict) -> None:
    """tokens_revoked / app_uninstalled: forget the tokens at once; the data waits 30 days for a reinstall."""
    ack()
    deps: Deps = context["deps"]
    team_id = context["team_id"]
    now = deps.clock()
    with deps.session() as session:
        workspace = ensure_workspace(session, team_id, now)
        workspace.tokens_revoked_at = now
        if body.get("event", {}).get("type") == "app_uninstalled":
            workspace.uninstalled_at = now
        session.commit()
    # After the flag: whoever finds the tokens gone also finds why.
    deps.tokens.revoke(team_id)
    log.info("tokens removed team=%s event=%s", team_id, body.get("event", {}).get("type"))


def register(app: App) -> None:
    app.middleware(dedupe_events)
    app.event("tokens_revoked")(tokens_gone)
    app.event("app_uninstalled")(tokens_gone)
