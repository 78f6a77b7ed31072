"""The demo's weekly chapter: the clock posts the team's leaderboard with its chart, and Sam's digest."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.slackfake.render import render_message

if TYPE_CHECKING:
    from bot.runtime.demo import Demo

CHANNEL = "C0SALES"


def leaderboard_chapter(demo: Demo, number: int, token: str) -> str:
    """Sam manages the three reps; the clock posts their week in #sales. The chart's path."""
    from bot.clock.sweep import sweep
    from bot.services.leaderboard import post_moment, week_containing, workspace_zone
    from bot.slack.outbox import Limits, SlackOutbox
    from bot.slack.tokens import TokenSource
    from models import Rep, SalesTeam, Workspace, make_session_factory

    s = demo.story
    s.chapter(number, "The weekly leaderboard and the manager's digest")
    demo.fake.add_channel(demo.team_id, CHANNEL, "sales")
    reps = (demo.maria, demo.sam, demo.priya)
    with Session(demo.engine) as session:
        workspace = session.get(Workspace, demo.team_id)
        assert workspace is not None
        workspace.leaderboard_channel_id = CHANNEL
        team = SalesTeam(
            team_id=demo.team_id,
            name="Field sales",
            manager_user_id=demo.sam.user_id,
            channel_id=CHANNEL,
            created_at=datetime.now(UTC),
        )
        session.add(team)
        session.flush()
        session.execute(
            update(Rep)
            .where(Rep.team_id == demo.team_id, Rep.user_id.in_([r.user_id for r in reps]))
            .values(sales_team_id=team.id)
        )
        session.commit()
        # This week's meetings are reported at the set time of the week after (Monday 09:00 by default).
        week = week_containing(datetime.now(UTC), workspace_zone(workspace))
        at = post_moment(workspace, week)
        label = week.label
        tz_name = workspace.timezone
    s.say(
        f"An admin puts the three reps in one team, \u201cField sales\u201d, managed by {demo.sam.first}, "
        f"posting in #sales. The clock sweeps at the set time: Monday 09:00 {tz_name}, reporting {label}."
    )
    outbox = SlackOutbox(demo.fake.api_url, TokenSource(token, None), Limits(per_workspace_per_second=100))
    sweep(
        make_session_factory(demo.engine), outbox, now=at, worker="demo", wall_clock=lambda: datetime.now(UTC)
    )
    sweep(
        make_session_factory(demo.engine),
        outbox,
        now=at + timedelta(minutes=1),
        worker="demo",
        wall_clock=lambda: datetime.now(UTC),
    )
    posts = [m for m in demo.fake.messages(CHANNEL, demo.team_id) if not m.get("files")]
    if len(posts) != 1:
        s.note(f"Expected one leaderboard post in #sales, found {len(posts)}.")
    for post in posts:
        s.frame(demo.maria, "#sales", render_message(post, width=74, tz=demo.maria.tz))
    files = [f for f in demo.fake.files(demo.team_id) if f.get("channel") == CHANNEL]
    path = Path(tempfile.gettempdir()) / f"nextstep-leaderboard-{demo.team_id}.png"
    if files:
        path.write_bytes(files[0]["content"])
        s.say(f"In the post's thread: the chart of booked rate and meetings over 8 weeks, saved to {path}")
    with Session(demo.engine) as session:
        sam_rep = session.scalar(
            select(Rep).where(Rep.team_id == demo.team_id, Rep.user_id == demo.sam.user_id)
        )
        assert sam_rep is not None
    digests = [m for m in demo.sam.person.dms() if "pipeline" in (m.get("text") or "")]
    if digests:
        s.say(
            f"{demo.sam.first}, as the manager, gets the weekly digest in a DM: each deal with a button to open it."
        )
        s.dm(demo.sam, digests[-1], surface="digest")
    else:
        s.note(f"{demo.sam.first}'s team has nothing that needs a next step this week: no digest is sent.")
    return str(path)
