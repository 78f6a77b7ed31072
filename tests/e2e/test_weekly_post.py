"""The clock posts each team's week once, with its chart in the thread, and each manager's digest.

Hand-built weeks in the store, the real sweep (in-process with simulated time, and two real
`nextstep tick` processes at once), the sandbox fake as Slack.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock.sweep import sweep
from bot.domain.vocabulary import DealStatus, RepStatus
from bot.services.permissions import Admins
from bot.slack.chart import DATA_KEY
from bot.slack.outbox import Limits, SlackOutbox
from bot.slack.tokens import TokenSource
from bot.slackfake.fake import FakeSlack
from bot.slackfake.render import render_message
from models import Deal, DealForecast, ForecastFit, LeaderboardPost, SalesTeam, make_session_factory
from tests.e2e.conftest import assert_everything_sent_is_valid
from tests.seeds.leaderboard import Builder, at

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-T1"
BEFORE = at(23, 8, 45)  # Monday 23 November, Berlin
POST = at(23, 9, 0)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_workspace(team_id="T1", name="Acme Sales", bot_token=TOKEN, bot_user_id="UBOT")
        for user in ("UADMIN", "UMGR", "U001", "U002", "U003", "U004"):
            fake.add_user("T1", user, user.lower(), tz="Europe/Berlin", is_admin=user == "UADMIN")
        fake.add_channel("T1", "CALL", "sales")
        fake.add_channel("T1", "CEAST", "east-team")
        yield fake
        assert fake.internal_errors == []
        assert_everything_sent_is_valid(fake)


@pytest.fixture
def seeded(engine) -> None:
    """East (managed by UMGR, posting to #east-team): Ana and Bea; Cem is in no team (#sales)."""
    with Session(engine) as session:
        b = Builder(session, leaderboard_channel_id="CALL", leaderboard_channel_chosen_by="UADMIN")
        east = b.team("East", manager="UMGR", channel="CEAST")
        ana, bea = b.rep("Ana", east, user_id="U001"), b.rep("Bea", east, user_id="U002")
        b.meetings(ana, 4, 3)
        b.meetings(bea, 3, 1)
        b.meetings(b.rep("Cem", user_id="U003"), 3, 3)
        gone = b.rep("Gus", east, user_id="U004", status=RepStatus.LEFT, left_at=at(18, 12))
        b.deal(gone, "Globex", last_meeting_at=at(10, 12))
        session.commit()


def run(fake: FakeSlack, engine, now: datetime, admins: Admins | None = None):
    outbox = SlackOutbox(fake.api_url, TokenSource(TOKEN, None), Limits(per_workspace_per_second=1000))
    return sweep(
        make_session_factory(engine),
        outbox,
        now=now,
        worker="test",
        wall_clock=lambda: datetime.now(UTC),
        admins=admins,
    )


def read(message: dict) -> str:
    return " ".join(render_message(message, width=200).replace("*", "").split())


def posts(fake: FakeSlack, channel: str) -> list[dict]:
    return [m for m in fake.messages(channel, "T1") if not m.get("files") and not m.get("thread_ts")]


def test_each_team_gets_its_week_once_at_the_set_time_with_its_chart(fake, engine, seeded):
    run(fake, engine, BEFORE)
    assert posts(fake, "CEAST") == [] and posts(fake, "CALL") == []
    run(fake, engine, POST)
    run(fake, engine, POST + timedelta(minutes=15))
    run(fake, engine, at(25, 14))  # Wednesday: still that week, already posted
    (east,) = posts(fake, "CEAST")
    (everyone,) = posts(fake, "CALL")
    shown = read(east)
    assert "Next-step leaderboard: East, week of 16–22 Nov 2026" in shown
    assert "1. Ana · new — 75% booked · 100% asked · 4 meetings" in shown
    assert "2. Bea · new — 33% booked" in shown and "Cem" not in shown
    assert "1. Cem" in read(everyone)
    charts = {f["channel"]: f for f in fake.files("T1")}
    assert set(charts) == {"CEAST", "CALL"}
    assert charts["CEAST"]["thread_ts"] == east["ts"]
    image = Image.open(io.BytesIO(charts["CEAST"]["content"]))
    assert image.format == "PNG"
    drawn = json.loads(image.text[DATA_KEY])
    assert len(drawn) == 8 and drawn[-1] == {
        "week": "2026-11-16",
        "meetings": 7,
        "booked": 4,
        "booked_rate": 0.5714,
    }


def test_the_manager_gets_a_digest_with_a_button_per_deal_once_a_week(fake, engine, seeded):
    run(fake, engine, POST)
    run(fake, engine, POST + timedelta(minutes=15))
    (digest,) = fake.dm_messages("T1", "UMGR")
    shown = read(digest)
    assert "Your team's pipeline, week of 16–22 Nov 2026" in shown
    assert "No next step (7)" in shown  # each of Ana's and Bea's meetings was on its own deal
    assert (
        "Deals of reps who left (1)" in shown
        and "Globex · Globex Gus: Gus left; last meeting 12 days ago" in shown
    )
    buttons = [b["accessory"] for b in digest["blocks"] if b.get("accessory")]
    assert buttons and all(b["action_id"] == "open_deal" and b["value"].isdigit() for b in buttons)
    assert fake.dm_messages("T1", "UADMIN") == []


def test_no_empty_digest(fake, engine):
    with Session(engine) as session:
        b = Builder(session, leaderboard_channel_id="CALL")
        b.team("Quiet", manager="UMGR")
        session.commit()
    run(fake, engine, POST)
    assert fake.dm_messages("T1", "UMGR") == []
    with Session(engine) as session:
        (claim,) = session.scalars(select(LeaderboardPost).where(LeaderboardPost.kind == "digest")).all()
        assert claim.posted_at is None and claim.last_error == "empty"


def test_a_clock_down_at_posting_time_posts_on_its_next_sweep_that_week_only(fake, engine, seeded):
    run(fake, engine, at(27, 17))  # Friday: the first sweep since Monday morning
    assert len(posts(fake, "CEAST")) == 1
    fake.clear_calls()
    run(fake, engine, at(30, 8))  # the next Monday, before posting time: nothing yet
    assert len(posts(fake, "CEAST")) == 1
    run(fake, engine, at(30, 9))
    assert len(posts(fake, "CEAST")) == 2 and "week of 23–29 Nov 2026" in read(posts(fake, "CEAST")[-1])


def test_a_public_channel_the_bot_is_not_in_is_joined(fake, engine, seeded):
    fake.add_channel("T1", "CEAST", "east-team", bot_is_member=False)
    run(fake, engine, POST)
    assert [c.params["channel"] for c in fake.calls_to("conversations.join")] == ["CEAST"]
    assert len(posts(fake, "CEAST")) == 1 and fake.dm_messages("T1", "UADMIN") == []


def test_a_private_channel_the_bot_is_not_in_gets_the_admin_a_dm_with_the_fix(fake, engine, seeded):
    fake.add_channel("T1", "CEAST", "east-team", is_private=True, bot_is_member=False)
    run(fake, engine, POST)
    run(fake, engine, POST + timedelta(minutes=15))
    assert posts(fake, "CEAST") == []
    (dm,) = fake.dm_messages("T1", "UADMIN")
    shown = read(dm)
    assert "The leaderboard of East for 16–22 Nov 2026 wasn't posted." in shown
    assert "it's private, so I can't join it myself" in shown and "/invite @Next Step" in shown
    fake.add_channel("T1", "CEAST", "east-team", is_private=True, bot_is_member=True)  # invited
    run(fake, engine, POST + timedelta(hours=1, minutes=15))  # tried again within the hour
    assert len(posts(fake, "CEAST")) == 1 and len(fake.dm_messages("T1", "UADMIN")) == 1


def test_an_archived_channel_gets_the_admin_a_dm_and_a_new_channel_gets_the_post(fake, engine, seeded):
    fake.archive_channel("T1", "CEAST")
    run(fake, engine, POST)
    (dm,) = fake.dm_messages("T1", "UADMIN")
    assert "is archived. Pick another channel for this team in /nextsteps settings" in read(dm).replace(
        "`", ""
    )
    with Session(engine) as session:
        team = session.scalars(select(SalesTeam)).one()
        team.channel_id = "CNEW"
        session.commit()
    fake.add_channel("T1", "CNEW", "east-new")
    run(fake, engine, POST + timedelta(minutes=15))
    assert len(posts(fake, "CNEW")) == 1 and "East" in read(posts(fake, "CNEW")[0])


def test_a_deleted_channel_gets_the_admin_a_dm(fake, engine, seeded):
    fake.delete_channel("T1", "CEAST")
    run(fake, engine, POST)
    (dm,) = fake.dm_messages("T1", "UADMIN")
    assert "The channel I was set to post in no longer exists" in read(dm)
    assert len(posts(fake, "CALL")) == 1  # the other board is unaffected


@pytest.mark.parametrize(
    ("admins", "told"),
    [
        # Single-workspace mode: NEXTSTEP_ADMINS and the Slack admins the app knows (not a stand-in).
        (Admins(listed=frozenset({"ULISTED"})), {"ULISTED", "UBOSS"}),
        # OAuth mode: the installer, as before.
        (Admins(oauth=True), {"UINST"}),
    ],
    ids=["single-workspace", "oauth"],
)
def test_a_channel_nobody_chose_gets_the_admins_a_dm(fake, engine, admins, told):
    for user in ("ULISTED", "UBOSS", "UOLDBOSS", "UINST"):
        fake.add_user("T1", user, user.lower(), tz="Europe/Berlin", is_admin=user in ("UBOSS", "UOLDBOSS"))
    with Session(engine) as session:
        b = Builder(session, leaderboard_channel_id="CALL", installer_user_id="UINST")
        b.meetings(b.rep("Ana", user_id="U001"), 3, 2)
        b.rep("Boss", user_id="UBOSS", slack_admin=True)  # opened the settings once
        b.rep("Old boss", user_id="UOLDBOSS", slack_admin=True, status=RepStatus.LEFT, left_at=at(2, 9))
        session.commit()
    fake.archive_channel("T1", "CALL")
    run(fake, engine, POST, admins)
    run(fake, engine, POST + timedelta(minutes=15), admins)  # told once
    for admin in told:
        (dm,) = fake.dm_messages("T1", admin)
        assert "is archived. Pick another channel" in read(dm)
    everyone = {"ULISTED", "UBOSS", "UOLDBOSS", "UINST", "U001", "UADMIN"}
    assert all(fake.dm_messages("T1", user) == [] for user in everyone - told)


def tick(url: str, fake: FakeSlack, at_: datetime, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "DATABASE_URL"}
    env |= {
        "DATABASE_URL": url,
        "SLACK_SIGNING_SECRET": "weekly-secret",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake.api_url,
        "SLACK_WORKSPACE_RATE": "1000",
        "LOG_LEVEL": "WARNING",
    }
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.runtime.cli", "tick", "--at", at_.isoformat()],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_clocks_at_once_post_the_week_once(fake, engine, seeded, database_url, tmp_path):
    clocks = [
        tick(database_url, fake, POST + timedelta(seconds=n), tmp_path / f"clock{n}.log") for n in (0, 1)
    ]
    for n, clock in enumerate(clocks):
        assert clock.wait(timeout=60) == 0, (tmp_path / f"clock{n}.log").read_text()
    assert len(posts(fake, "CEAST")) == 1 and len(posts(fake, "CALL")) == 1
    assert len(fake.files("T1")) == 2 and len(fake.dm_messages("T1", "UMGR")) == 1
    with Session(engine) as session:
        rows = session.scalars(select(LeaderboardPost)).all()
        assert sorted((r.kind, r.scope_key) for r in rows if r.posted_at) == [
            ("digest", "UMGR"),
            ("leaderboard", "default"),
            ("leaderboard", f"team:{session.scalars(select(SalesTeam.id)).one()}"),
        ]
        # The day's forecast fit too: claimed by one clock, fitted once, each open deal's week kept.
        [fit] = session.scalars(select(ForecastFit)).all()
        assert fit.fitted_at is not None and fit.team_id == "T1"
        open_deals = session.scalar(
            select(func.count()).select_from(Deal).where(Deal.status == DealStatus.OPEN)
        )
        assert session.scalar(select(func.count()).select_from(DealForecast)) == open_deals > 0


def test_a_post_slack_refuses_is_not_retried_every_minute_but_a_busy_slack_is(fake, engine, seeded):
    def channel_posts() -> int:
        return sum(
            1 for c in fake.calls_to("chat.postMessage") if str(c.params.get("channel", "")).startswith("C")
        )

    fake.inject("chat.postMessage", error="ratelimited")  # passes: the next sweep tries again
    run(fake, engine, POST)
    tried = channel_posts()
    run(fake, engine, POST + timedelta(minutes=1))
    assert channel_posts() > tried and posts(fake, "CEAST"), "posted on the next sweep"

    fake.inject("chat.postMessage", error="invalid_blocks", times=100)  # about the post itself
    before = channel_posts()
    run(fake, engine, POST + timedelta(days=7))  # next week's
    tried = channel_posts()
    assert tried > before, "next week's post was attempted"
    for minutes in range(1, 6):
        run(fake, engine, POST + timedelta(days=7, minutes=minutes))
    assert channel_posts() == tried, "not repeated every minute"
