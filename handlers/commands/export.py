"""`/nextsteps export [mine|team] [from] [to]`: a CSV of what the asker may see, uploaded to their DM."""

from __future__ import annotations

import os
import tempfile
import urllib.request

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy import select

from bot.domain.errors import UserFacingError
from bot.services.export import parse_export, write_csv
from bot.services.permissions import reps_managed_by
from bot.services.reps import zone
from handlers.deal_access import is_admin
from handlers.deps import Deps
from models import Rep

TEAM_EXPORT_REFUSED = (
    "`/nextsteps export team` is for managers and admins. `/nextsteps export` (or `export mine`) "
    "gives you your own meetings."
)


def export_command(
    ack: Ack, body: dict, client: WebClient, respond: Respond, context: dict, words: list[str]
) -> None:
    """`/nextsteps export [mine|team] [from] [to]`: a CSV of what the asker may see, uploaded to their DM."""
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    now = deps.clock()
    with deps.session() as session:
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        tz = zone(rep.timezone if rep else None)
        try:
            request = parse_export(words, now.astimezone(tz).date())
        except UserFacingError as error:
            ack(text=str(error))
            return
        rep_ids: list[int] | None
        if request.scope == "mine":
            rep_ids = [rep.id] if rep else []
        else:
            rep_ids = [r.id for r in reps_managed_by(session, team_id, user_id)]
    if request.scope == "team" and not rep_ids:
        if not is_admin(client, deps, team_id, user_id):
            ack(text=TEAM_EXPORT_REFUSED)
            return
        rep_ids = None  # an admin who manages no team: the whole workspace
    ack(text="Preparing your export. It will arrive in your DM with me in a moment.")
    path = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".csv", delete=False, newline="", encoding="utf-8"
        ) as out:
            path = out.name
            with deps.session() as session:
                count = write_csv(
                    session,
                    out,
                    team_id=team_id,
                    rep_ids=rep_ids,
                    start=request.start,
                    end=request.end,
                    tz=tz,
                )
        upload_file(
            client,
            path,
            channel_user=user_id,
            filename=f"nextstep-{request.scope}-{now:%Y%m%d}.csv",
            comment=f"Your export: {count} {'meeting' if count == 1 else 'meetings'} "
            f"({'your team' if request.scope == 'team' else 'yours'}"
            + (f", from {request.start}" if request.start else "")
            + (f" to {request.end}" if request.end else "")
            + ").",
        )
    finally:
        if path:
            os.unlink(path)


def upload_file(client: WebClient, path: str, *, channel_user: str, filename: str, comment: str) -> None:
    """Slack's v2 upload, with the bytes streamed from disk (slack_sdk's files_upload_v2 reads them all into memory)."""
    length = os.path.getsize(path)
    posted = client.chat_postMessage(channel=channel_user, text=comment)
    ticket = client.files_getUploadURLExternal(filename=filename, length=length)
    with open(path, "rb") as data:
        request = urllib.request.Request(
            ticket["upload_url"],
            data=data,
            headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
    client.files_completeUploadExternal(
        files=[{"id": ticket["file_id"], "title": filename}], channel_id=posted["channel"]
    )
