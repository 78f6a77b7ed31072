"""The forecast where people look, over real signed requests with the loopback Slack fake: the App
Home's chances and expected value, `/nextsteps forecast` for a rep, a manager, an admin and a rep
asking for another team, its charts in the DM, a manager's override from the deal history, and the
manager's weekly digest with the forecast's change (the real clock sweep)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from slack_sdk.models.views import View
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import NextStepStatus, Reaction
from bot.services.forecast import fit_workspace
from bot.services.outlook import OVERRIDE_REFUSED, TEAM_REFUSED
from bot.slack import ids
from bot.slack.chart import DATA_KEY
from bot.slackfake.fake import FakeSlack
from bot.slackfake.render import render_message, render_view
from models import Deal, ForecastOverride, Rep, SalesTeam
from tests.e2e.conftest import TEAM, assert_everything_sent_is_valid, said, told
from tests.e2e.test_weekly_post import run
from tests.seeds import forecast as store
from tests.seeds import pipeline as seed
from tests.seeds.leaderboard import POST_AT, Builder
from tests.unit.services.test_forecast import history

DAY = timedelta(days=1)


def _flat(text: str) -> str:
    """The rendered surface as one line of words (wrapped context lines joined again)."""
    return " ".join(text.replace("*", "").replace("\u2502", " ").replace("\u203a", " ").split())


def _world(engine, now: datetime) -> dict[str, int]:
    """30 ended deals to learn from; Maria (U1, team West, manager UMGR) has Acme (booked) and
    Globex (hesitant); Sam (U2, team East, no manager here) has Umbrella. Fitted at ``now``."""
    with Session(engine) as session:
        old = seed.rep(session, TEAM, "UOLD", now, "Old Rep")
        start = now - 300 * DAY
        store.store_timelines(
            session.connection(),
            TEAM,
            old.id,
            history(1, 15, won=True, reaction=Reaction.BOOKED, start=start)
            + history(100, 15, won=False, reaction=Reaction.HESITANT, start=start),
        )
        maria = seed.rep(session, TEAM, "U1", now, "Maria Lopez")
        sam = seed.rep(session, TEAM, "U2", now, "Sam Park")
        acme = seed.deal(session, maria, "Acme", now - 30 * DAY, amount="10000")
        seed.meeting(
            session, acme, now - 3 * DAY, Reaction.BOOKED, step=NextStepStatus.BOOKED, step_at=now + 4 * DAY
        )
        globex = seed.deal(session, maria, "Globex", now - 30 * DAY, amount="20000")
        seed.meeting(session, globex, now - 3 * DAY, Reaction.HESITANT)
        umbrella = seed.deal(session, sam, "Umbrella", now - 30 * DAY, amount="5000")
        seed.meeting(session, umbrella, now - 3 * DAY, Reaction.BOOKED)
        for name, manager, rep in (("West", "UMGR", maria), ("East", None, sam)):
            team = SalesTeam(team_id=TEAM, name=name, manager_user_id=manager, created_at=now)
            session.add(team)
            session.flush()
            rep.sales_team_id = team.id
        session.commit()
        fit_workspace(session, TEAM, now)
        return {"acme": acme.id, "globex": globex.id, "umbrella": umbrella.id}


def test_the_home_shows_each_deals_chance_its_range_and_reason_and_the_expected_value(fake, running, maria):
    _world(running.engine, datetime.now(UTC))
    assert maria.open_home().status == 200
    home = fake.wait_until(lambda: maria.home)
    text = _flat(render_view(home, width=400))
    assert "expected value" in text and "expected wins" in text and "momentum-weighted" not in text
    acme = text[text.index("Acme · Acme opportunity") :]
    assert "Chance to win:" in acme and "of 15 ended deals whose last meeting ended Agreed and booked" in acme
    assert "were won" in acme and "Momentum: Building" in acme
    assert "learned once a day from how this workspace's deals ended" in text
    assert "Momentum is the story of the last meetings in a word" in text


def test_forecast_for_a_rep_a_manager_an_admin_and_a_rep_asking_for_another_team(
    fake, running, maria, person
):
    _world(running.engine, datetime.now(UTC))
    mine = said(maria, "forecast")
    assert "Your forecast" in mine and "2 open deals" in mine and "Umbrella" not in mine
    assert "Most likely to be won • Acme · Acme opportunity: " in mine
    # Another team, a team that doesn't exist: the same words, nothing about the team.
    assert said(maria, "forecast East") == said(maria, "forecast Nowhere") == TEAM_REFUSED

    fake.add_user(TEAM, "UMGR", "lee", real_name="Lee Manager", tz="Europe/Berlin")
    lee = person("UMGR")
    team = said(lee, "forecast")
    assert "Forecast: West" in team and "By rep Maria Lopez: 2 open · expected wins" in team
    assert "Umbrella" not in team and said(lee, "forecast East") == TEAM_REFUSED

    fake.add_user(TEAM, "UADA", "ada", real_name="Ada Admin", tz="Europe/Paris", is_admin=True)
    ada = person("UADA")
    assert "There's no forecast for you yet" in said(ada, "forecast")  # no deals, no team: name one
    east = said(ada, "forecast east")
    assert "Forecast: East" in east and "Sam Park" in east and "Umbrella" in east and "Acme" not in east


def test_forecast_charts_arrive_in_the_dm_as_pngs_with_alt_text(fake, running, maria):
    now = datetime.now(UTC)
    _world(running.engine, now)
    with Session(running.engine) as session:
        for weeks_ago in (2, 1):
            fit_workspace(session, TEAM, now - weeks_ago * 7 * DAY)
    assert "Your forecast" in said(maria, "forecast charts")
    files = fake.wait_until(lambda: (f := fake.files(TEAM)) and len(f) == 2 and f)
    by_name = {f["filename"]: f for f in files}
    trend = by_name["forecast-expected-value.png"]
    assert trend["alt_txt"].startswith("Expected value over the last 12 weeks:")
    drawn = json.loads(Image.open(io.BytesIO(trend["content"])).text[DATA_KEY])
    assert len(drawn) == 12 and [w["deals"] for w in drawn[-3:]] == [2, 2, 2]
    calibration = by_name["forecast-calibration.png"]
    assert "no deal shown a weekly chance has ended yet" in calibration["alt_txt"]
    assert Image.open(io.BytesIO(calibration["content"])).format == "PNG"
    assert all(f["channel"] == fake.dm_channel_id(TEAM, "U1") for f in files)


def test_a_refused_override_form_reaches_the_manager_and_writes_nothing(fake, running, person):
    _world(running.engine, datetime.now(UTC))
    fake.add_user(TEAM, "UMGR", "lee", real_name="Lee Manager", tz="Europe/Berlin")
    lee = person("UMGR")
    assert lee.slash("/nextsteps", "deal Globex").status == 200
    history = fake.wait_until(
        lambda: lee.view if lee.view and lee.view["callback_id"] == ids.DEAL_HISTORY_MODAL else None
    )
    fake.inject("views.push", error="expired_trigger_id")
    assert lee.click(ids.OVERRIDE_FORECAST, in_view=history).status == 200
    fake.wait_until(lambda: any("didn't let me open the form" in text for text in told(lee)))
    with Session(running.engine) as session:
        assert session.scalars(select(ForecastOverride)).all() == []


def test_a_manager_sets_a_deals_chance_from_its_history_and_the_owner_cannot(fake, running, maria, person):
    deals = _world(running.engine, datetime.now(UTC))
    # The owner forging the button: refused, nothing written.
    maria.click(
        ids.OVERRIDE_FORECAST,
        in_view={
            "id": "V0FORGED",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "x",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": ids.OVERRIDE_FORECAST,
                            "value": str(deals["globex"]),
                            "text": {"type": "plain_text", "text": "x"},
                        }
                    ],
                }
            ],
        },
    )
    fake.wait_until(lambda: any(OVERRIDE_REFUSED in text for text in told(maria)))  # a DM: no channel

    fake.add_user(TEAM, "UMGR", "lee", real_name="Lee Manager", tz="Europe/Berlin")
    lee = person("UMGR")
    assert lee.slash("/nextsteps", "deal Globex").status == 200
    history = fake.wait_until(
        lambda: lee.view if lee.view and lee.view["callback_id"] == ids.DEAL_HISTORY_MODAL else None
    )
    shown = _flat(render_view(history, width=400))
    assert "Chance to win, week by week" in shown and "Chance to win:" in shown
    lee.click(ids.OVERRIDE_FORECAST, in_view=history)
    modal = fake.wait_until(lambda: lee.view if lee.view["callback_id"] == ids.OVERRIDE_MODAL else None)
    assert "Learned from this workspace's deals:" in _flat(render_view(modal, width=300))

    lee.fill(ids.OVERRIDE_PROBABILITY, "150")
    lee.fill(ids.OVERRIDE_REASON, "Their CFO signed off the budget")
    assert lee.submit().status == 200
    assert "whole percentage from 0 to 100" in lee.errors[ids.OVERRIDE_PROBABILITY]
    lee.fill(ids.OVERRIDE_PROBABILITY, "85")
    assert lee.submit().status == 200 and lee.errors == {}
    updated = lee.view
    View(**updated).to_dict()
    assert updated["callback_id"] == ids.DEAL_HISTORY_MODAL and len(updated["blocks"]) <= 100
    text = _flat(render_view(updated, width=400))
    assert "Chance to win: 85 %, set by Lee Manager" in text or "set by lee" in text
    assert "Set by hand" in text and "set 85 % (learned then" in text
    assert "“Their CFO signed off the budget”" in text
    with Session(running.engine) as session:
        (row,) = session.scalars(select(ForecastOverride)).all()
        assert (row.deal_id, row.probability, row.set_by_user_id) == (deals["globex"], 0.85, "UMGR")

    # Maria's Home counts it, beside the learned figure.
    maria.open_home()
    home = _flat(render_view(fake.wait_until(lambda: maria.home), width=400))
    globex = home[home.index("Globex · Globex opportunity") :]
    assert ":pushpin: Chance to win: 85 %, set by" in globex and "learned" in globex


@pytest.fixture
def weekly_fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_workspace(team_id="T1", name="Acme Sales", bot_token="xoxb-T1", bot_user_id="UBOT")
        for user in ("UADMIN", "UMGR", "U001"):
            fake.add_user("T1", user, user.lower(), tz="Europe/Berlin", is_admin=user == "UADMIN")
        fake.add_channel("T1", "CALL", "sales")
        yield fake
        assert fake.internal_errors == []
        assert_everything_sent_is_valid(fake)


def test_the_managers_digest_says_the_forecasts_change_and_what_moved_each_deal(weekly_fake, engine):
    fake = weekly_fake
    last_week = POST_AT - 8 * DAY  # what Lee was shown a week before the digest
    with Session(engine) as session:
        b = Builder(session, leaderboard_channel_id="CALL", leaderboard_channel_chosen_by="UADMIN")
        east = b.team("East", manager="UMGR")
        ana = b.rep("Ana", east, user_id="U001")
        store.store_timelines(
            session.connection(),
            "T1",
            ana.id,
            history(1, 15, won=True, reaction=Reaction.BOOKED, start=POST_AT - 300 * DAY)
            + history(100, 15, won=False, reaction=Reaction.HESITANT, start=POST_AT - 300 * DAY),
        )
        rep = session.get(Rep, ana.id)
        deal = seed.deal(session, rep, "Initech", POST_AT - 40 * DAY, amount="30000")
        seed.meeting(session, deal, POST_AT - 10 * DAY, Reaction.HESITANT)
        session.commit()
        fit_workspace(session, "T1", last_week)  # what Lee saw last week
        seed.meeting(
            session,
            session.get(Deal, deal.id),
            POST_AT - 2 * DAY,
            Reaction.BOOKED,
            step=NextStepStatus.BOOKED,
            step_at=POST_AT + 3 * DAY,
        )
        session.commit()
    run(fake, engine, POST_AT)  # the clock fits today's figures, then posts the week
    (digest,) = fake.dm_messages("T1", "UMGR")
    shown = _flat(render_message(digest, width=400))
    assert "Forecast: expected value" in shown and "(last week" in shown
    line = shown[shown.index("Moved most since last week") :]
    assert "Initech · Initech opportunity (Ana):" in line
    assert "a meeting this week; the last ended Agreed and booked" in line
    before, after = (
        int(x.strip().rstrip("%").strip()) for x in line.split("(Ana):")[1].split("(")[0].split("→")
    )
    assert after > before


def test_forged_override_clicks_and_submissions_write_nothing(fake, running, maria, caplog):
    import logging

    from bot.slack.blocks.deal_modals import override_modal
    from tests.e2e.conftest import submission

    deals = _world(running.engine, datetime.now(UTC))
    caplog.set_level(logging.WARNING)
    for raw in ("99999999999", "9223372036854775808", "\u00b2", "0", "-1", "", str(deals["globex"])):
        view = {
            "id": "V0FORGED",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "x",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": ids.OVERRIDE_FORECAST,
                            "value": raw,
                            "text": {"type": "plain_text", "text": "x"},
                        }
                    ],
                }
            ],
        }
        assert maria.click(ids.OVERRIDE_FORECAST, in_view=view).status == 200, raw
    # A submission Maria was never shown (she owns the deal; she is no manager): refused beside the reason.
    forged = override_modal(deals["globex"], "Globex", "Globex opportunity", "40 %", None)
    forged["id"] = "V0FORGED2"
    forged["state"] = {
        "values": {
            ids.OVERRIDE_PROBABILITY: {ids.OVERRIDE_PROBABILITY: {"type": "plain_text_input", "value": "99"}},
            ids.OVERRIDE_REASON: {ids.OVERRIDE_REASON: {"type": "plain_text_input", "value": "trust me"}},
        }
    }
    answer = maria.post_raw(submission(maria, forged), "application/x-www-form-urlencoded")
    assert answer.status == 200
    assert answer.json()["errors"][ids.OVERRIDE_REASON] == OVERRIDE_REFUSED
    fake.wait_idle(quiet=0.3)
    assert fake.calls_to("views.push") == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    with Session(running.engine) as session:
        assert session.scalars(select(ForecastOverride)).all() == []
