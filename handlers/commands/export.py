"""`/nextsteps export [mine|team] [from] [to]`: a CSV of what the asker may see, uploaded to their DM."""

from __future__ import annotations

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.domain.errors import UserFacingError
from bot.services.export import TEAM_EXPORT_REFUSED, ExportRequest, exported_csv, plan_export
from bot.slack.uploads import upload
from handlers.deal_access import is_admin
from handlers.deps import Deps

__all__ = ["TEAM_EXPORT_REFUSED", "export_command"]

UPLOAD_TIMEOUT = 60  # seconds for the file's bytes: an export may be large


def _comment(request: ExportRequest, count: int) -> str:
    return (
        f"Your export: {count} {'meeting' if count == 1 else 'meetings'} "
        f"({'your team' if request.scope == 'team' else 'yours'}"
        + (f", from {request.start}" if request.start else "")
        + (f" to {request.end}" if request.end else "")
        + ")."
    )


def export_command(
    ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict, words: list[str]
) -> None:
    """`/nextsteps export [mine|team] [from] [to]`: a CSV of what the asker may see, uploaded to their DM."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    now = deps.clock()
    try:
        plan = plan_export(
            deps.session_factory,
            team_id=team_id,
            user_id=user_id,
            words=words,
            now=now,
            admin=lambda: is_admin(client, deps, team_id, user_id),
        )
    except UserFacingError as error:
        ack(text=str(error))
        return
    ack(text="Preparing your export. It will arrive in your DM with me in a moment.")
    with exported_csv(deps.session_factory, team_id, plan) as (path, count):
        posted = client.chat_postMessage(channel=user_id, text=_comment(plan.request, count))
        upload(
            client,
            channel=posted["channel"],
            path=path,
            filename=f"nextstep-{plan.request.scope}-{now:%Y%m%d}.csv",
            timeout=UPLOAD_TIMEOUT,
        )
