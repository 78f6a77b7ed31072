"""The forecast where people look, from the store (SQLite and PostgreSQL): the pipeline's expected
value and wins from the learned chances, a manager's override (who may, its history, its count in
the totals), `/nextsteps forecast`'s scopes and refusals, the digest's weekly change and movers,
the charts' figures, and the overrides' own line in the backtest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.errors import NotAllowed, UserFacingError
from bot.domain.pipeline import WEIGHTS
from bot.domain.vocabulary import DealStatus, NextStepStatus, Reaction
from bot.services.deal_history import load_history
from bot.services.digest import build_digest
from bot.services.forecast import fit_workspace, run_backtest
from bot.services.outlook import (
    backtest_override_lines,
    calibration_seen,
    expected_trend,
    forecast_for,
    forecast_scope,
    set_override,
    team_forecast,
)
from bot.services.pipeline import load_pipeline
from bot.slack.blocks.deal_history import history_modal
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.forecast import forecast_message
from bot.slackfake.render import render_message, render_view
from models import Deal, ForecastOverride, Rep, SalesTeam, Workspace
from tests.seeds import forecast as store
from tests.seeds import pipeline as seed
from tests.unit.services.test_forecast import history

DAY = timedelta(days=1)
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # a Tuesday


def _flat(text: str) -> str:
    return " ".join(text.replace("*", "").split())


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=session.get_bind(), expire_on_commit=False)


def _team(session: Session, name: str, manager: str, *reps: Rep) -> SalesTeam:
    team = SalesTeam(
        team_id=reps[0].team_id if reps else "T1", name=name, manager_user_id=manager, created_at=NOW
    )
    session.add(team)
    session.flush()
    for r in reps:
        r.sales_team_id = team.id
    session.commit()
    return team


def _world(session: Session) -> dict[str, object]:
    """T1: 30 ended deals (booked → won, hesitant → lost) owned by an old rep; Maria's two open
    deals (Acme booked, Globex hesitant), Maria in West managed by U9; Sam in East managed by U8."""
    old = seed.rep(session, "T1", "UOLD", NOW, "Old Rep")
    start = NOW - 300 * DAY
    store.store_timelines(
        session.connection(),
        "T1",
        old.id,
        history(1, 15, won=True, reaction=Reaction.BOOKED, start=start)
        + history(100, 15, won=False, reaction=Reaction.HESITANT, start=start),
    )
    maria = seed.rep(session, "T1", "U1", NOW, "Maria")
    sam = seed.rep(session, "T1", "U2", NOW, "Sam")
    acme = seed.deal(session, maria, "Acme", NOW - 30 * DAY, amount="10000")
    seed.meeting(
        session, acme, NOW - 3 * DAY, Reaction.BOOKED, step=NextStepStatus.BOOKED, step_at=NOW + 4 * DAY
    )
    globex = seed.deal(session, maria, "Globex", NOW - 30 * DAY, amount="20000")
    seed.meeting(session, globex, NOW - 3 * DAY, Reaction.HESITANT)
    umbrella = seed.deal(session, sam, "Umbrella", NOW - 30 * DAY, amount="5000")
    seed.meeting(session, umbrella, NOW - 3 * DAY, Reaction.BOOKED)
    session.commit()
    _team(session, "West", "U9", maria)
    _team(session, "East", "U8", sam)
    fit_workspace(session, "T1", NOW)
    return {"maria": maria, "sam": sam, "acme": acme.id, "globex": globex.id, "umbrella": umbrella.id}


def test_the_pipeline_counts_each_amount_at_its_learned_chance_not_the_fixed_weights(session):
    w = _world(session)
    p = load_pipeline(session, "T1", w["maria"], NOW)
    by_id = {s.facts.deal_id: s for s in p.deals}
    acme, globex = by_id[w["acme"]], by_id[w["globex"]]
    assert not acme.chance.fallback and acme.chance.probability > 0.55 > globex.chance.probability
    expected = Decimal(10000) * Decimal(str(round(acme.chance.probability, 4))) + Decimal(20000) * Decimal(
        str(round(globex.chance.probability, 4))
    )
    assert p.expected == expected.quantize(Decimal("0.01"))
    fixed = sum(Decimal(a) * WEIGHTS[s.momentum.level] for a, s in ((10000, acme), (20000, globex)))
    assert p.expected != fixed
    assert p.expected_wins == pytest.approx(acme.chance.probability + globex.chance.probability)
    assert "were won" in acme.chance.reason and "of 15" in acme.chance.reason


def test_a_managers_override_counts_in_the_totals_is_kept_in_history_and_only_they_may(session, factory):
    w = _world(session)
    deal_id = w["globex"]
    learned = {s.facts.deal_id: s for s in load_pipeline(session, "T1", w["maria"], NOW).deals}[
        deal_id
    ].chance

    # Maria owns it and Sam's manager (U8) doesn't manage her: neither may; nothing is written.
    for user in ("U1", "U8"):
        with pytest.raises(NotAllowed):
            set_override(
                factory,
                team_id="T1",
                deal_id=deal_id,
                user_id=user,
                admin=False,
                probability=0.9,
                reason="sure thing",
                now=NOW,
            )
    # Another workspace's admin naming this deal: refused too.
    with pytest.raises(NotAllowed):
        set_override(
            factory,
            team_id="T2",
            deal_id=deal_id,
            user_id="UX",
            admin=True,
            probability=0.9,
            reason="x",
            now=NOW,
        )
    with pytest.raises(UserFacingError):  # a reason is required
        set_override(
            factory,
            team_id="T1",
            deal_id=deal_id,
            user_id="U9",
            admin=False,
            probability=0.9,
            reason=" ",
            now=NOW,
        )
    assert session.scalar(select(func.count()).select_from(ForecastOverride)) == 0

    set_override(
        factory,
        team_id="T1",
        deal_id=deal_id,
        user_id="U9",
        admin=False,
        probability=0.9,
        reason="Their CFO signed off the budget yesterday",
        now=NOW,
        name="lee",
    )
    session.expire_all()
    p = load_pipeline(session, "T1", w["maria"], NOW)
    globex = {s.facts.deal_id: s for s in p.deals}[deal_id]
    assert globex.chance.override.probability == 0.9 and globex.chance.probability == learned.probability
    assert p.overrides == 1
    others = sum(s.chance.probability for s in p.deals if s.facts.deal_id != deal_id)
    assert p.expected_wins == pytest.approx(others + 0.9)

    # Back to the learned figure an hour later: both changes stay in the history, newest first.
    set_override(
        factory,
        team_id="T1",
        deal_id=deal_id,
        user_id="U9",
        admin=False,
        probability=None,
        reason="Budget frozen after all",
        now=NOW + timedelta(hours=1),
    )
    session.expire_all()
    h = load_history(session, "T1", deal_id, NOW + timedelta(hours=2))
    assert [(o.probability, o.reason) for o in h.overrides] == [
        (None, "Budget frozen after all"),
        (0.9, "Their CFO signed off the budget yesterday"),
    ]
    assert h.overrides[1].learned == pytest.approx(learned.probability)
    assert h.signals.chance.override is None
    assert [w_.week_start.isoformat() for w_ in h.weeks] == ["2026-11-23"]
    view = history_modal(h, NOW, UTC, can_reassign=True)
    assert len(view["blocks"]) <= 100 and all(Block.parse(b) for b in view["blocks"])
    text = _flat(render_view(view, width=300))
    assert "Set by hand" in text and "lee set 90 % (learned then" in text
    assert "went back to the learned figure" in text and "“Budget frozen after all”" in text
    assert f"Week of Mon 23 Nov 2026: {round(h.weeks[0].probability * 100)} %" in text
    assert "Set the chance by hand" in text


def test_forecast_scopes_follow_nextsteps_team_and_a_refusal_says_nothing_of_the_team(session, factory):
    w = _world(session)
    seed.rep(session, "T2", "UZ", NOW, "Zed")
    other = seed.rep(session, "T2", "UY", NOW, "Yan")
    _team(session, "South", "UZ", other)

    own = forecast_scope(session, "T1", "U1", False)
    assert own.rep_ids == (w["maria"].id,) and not own.by_rep
    manager = forecast_scope(session, "T1", "U9", False)
    assert manager.rep_ids == (w["maria"].id,) and manager.by_rep and manager.title == "West"
    assert forecast_scope(session, "T1", "U9", False, "west").rep_ids == (w["maria"].id,)
    # A rep, or another team's manager, naming a team, or a team that does not exist: the same None.
    for user, name in (("U1", "East"), ("U1", "West"), ("U9", "East"), ("U1", "Nowhere"), ("U9", "South")):
        assert forecast_scope(session, "T1", user, False, name) is None
    # An admin names any team of their workspace, never another workspace's.
    assert forecast_scope(session, "T1", "UA", True, "East").rep_ids == (w["sam"].id,)
    assert forecast_scope(session, "T1", "UA", True, "South") is None
    assert forecast_scope(session, "T1", "UNOBODY", False) is None

    asked: list[str] = []

    def admin() -> bool:
        asked.append("admin?")
        return False

    assert forecast_for(factory, "T1", "U1", "East", NOW, admin) is None and asked == ["admin?"]
    answer = forecast_for(factory, "T1", "U1", "", NOW, admin)
    assert answer is not None and asked == ["admin?"]  # Slack is asked only when it matters
    text, blocks = forecast_message(answer.outlook, NOW, by_rep=False)
    body = _flat(render_message({"text": text, "blocks": blocks}, width=300))
    assert "Your forecast" in body and "2 open deals" in body and "Umbrella" not in body
    assert "Most likely to be won" in body and body.index("Acme") < body.index("Most likely") + 200


def test_the_forecast_for_a_team_lists_reps_the_likeliest_and_the_least_likely_to_pay_off(session):
    w = _world(session)
    maria = w["maria"]
    _team(session, "Both", "U7", maria, w["sam"])
    # A deal nine meetings in that keeps hesitating, and one they declined (Replace now).
    slog = seed.deal(session, maria, "Slog Inc", NOW - 120 * DAY, amount="8000")
    for i in range(9):
        seed.meeting(session, slog, NOW - (100 - 10 * i) * DAY, Reaction.HESITANT)
    no = seed.deal(session, maria, "Nope Ltd", NOW - 60 * DAY)
    seed.meeting(session, no, NOW - 2 * DAY, Reaction.DECLINED)
    session.commit()
    session.query(Deal).filter_by(id=w["acme"]).update({"expected_close": (NOW + 20 * DAY).date()})
    session.commit()
    scope = forecast_scope(session, "T1", "U7", False)
    o = team_forecast(session, "T1", scope, NOW)
    assert [r.name for r in o.reps] == ["Maria", "Sam"] and o.open_deals == 5
    assert o.likely[0].signals.facts.account_name in {"Acme", "Umbrella"}
    sinks = [d.signals.facts.account_name for d in o.unlikely]
    assert "Slog Inc" in sinks and "Acme" not in sinks
    text, blocks = forecast_message(o, NOW, by_rep=True)
    assert len(blocks) <= 50
    body = _flat(render_message({"text": text, "blocks": blocks}, width=400))
    assert "Forecast: Both" in body and "By rep Maria: 4 open · expected wins" in body
    assert "expected close Mon 14 Dec 2026" in body
    assert "Slog Inc · Slog Inc opportunity (Maria):" in body and "after 9 meetings over 120 days" in body
    assert "Nope Ltd · Nope Ltd opportunity (Maria)" in body and "Replace now" in body


def test_the_forecast_of_500_open_deals_stays_inside_slacks_limits(session):
    rep = seed.rep(session, "T1", "U1", NOW, "Maria")
    seed.bulk_pipeline(session.connection(), rep, 500, 2000, NOW)
    session.commit()
    scope = forecast_scope(session, "T1", "U1", False)
    o = team_forecast(session, "T1", scope, NOW)
    assert o.open_deals == 500
    text, blocks = forecast_message(o, NOW, by_rep=False)
    assert len(blocks) <= 50 and len(text) <= 3000
    for b in blocks:
        Block.parse(b).to_dict()
    assert len(o.likely) == len(o.unlikely) == 5


def test_the_digest_says_the_week_s_change_and_what_moved_each_deal(session):
    w = _world(session)
    # Last week's figures, as people saw them: Globex hesitant then; this week they booked.
    fit_workspace(session, "T1", NOW - 7 * DAY)
    globex = session.get(Deal, w["globex"])
    seed.meeting(
        session, globex, NOW - 1 * DAY, Reaction.BOOKED, step=NextStepStatus.BOOKED, step_at=NOW + 3 * DAY
    )
    session.commit()
    fit_workspace(session, "T1", NOW)
    digest = build_digest(session, session.get(Workspace, "T1"), "U9", NOW)
    f = digest.forecast
    assert f is not None and f.moves and not digest.empty
    top = next(m for m in f.moves if m.deal_id == w["globex"])
    assert top.after > top.before + 0.1
    assert top.why == "2 meetings this week; the last ended *Agreed and booked*"
    assert f.expected > f.before_expected
    text, blocks = digest_message(digest, "23 Nov")
    assert len(blocks) <= 50 and all(Block.parse(b) for b in blocks)
    body = _flat(render_message({"text": text, "blocks": blocks}, width=400))
    assert "Forecast: expected value" in body and "Moved most since last week" in body
    assert (
        f"Globex · Globex opportunity (Maria): {round(top.before * 100)} % → {round(top.after * 100)} %"
        in body
    )
    assert "the last ended Agreed and booked" in body


def test_the_charts_figures_are_what_people_were_shown(session):
    w = _world(session)
    for weeks_ago in (3, 2, 1):
        fit_workspace(session, "T1", NOW - weeks_ago * 7 * DAY)
    trend = expected_trend(session, "T1", [w["maria"].id], NOW)
    assert len(trend) == 12 and [t.deals for t in trend[-4:]] == [2, 2, 2, 2]
    assert trend[0].deals == 0 and trend[-1].expected > 0
    acme = session.get(Deal, w["acme"])
    acme.status, acme.closed_at = DealStatus.WON, NOW - DAY
    session.commit()
    seen = calibration_seen(session, "T1", [w["maria"].id])
    assert seen.deals == 1 and sum(n for n, _, _ in seen.learned.deciles) == 4 and seen.overrides is None


def test_the_backtest_scores_overrides_on_their_own_line(session, factory):
    old = seed.rep(session, "T1", "UOLD", NOW, "Old Rep")
    _team(session, "West", "U9", old)
    start = NOW - 300 * DAY
    timelines = history(1, 15, won=True, reaction=Reaction.BOOKED, start=start) + history(
        100, 15, won=False, reaction=Reaction.HESITANT, start=start + 60 * DAY
    )
    ids = store.store_timelines(session.connection(), "T1", old.id, timelines)
    session.commit()
    # While the last hesitant deals were open, the manager said 90 % on one that was lost.
    lost = ids[114]
    t = next(t for t in timelines if t.deal_id == 114)
    session.add(
        ForecastOverride(
            team_id="T1",
            deal_id=lost,
            probability=0.9,
            learned=0.3,
            reason="gut",
            set_by_user_id="U9",
            set_by_name="Lee",
            set_at=t.created_at + DAY,
        )
    )
    session.commit()
    run = run_backtest(factory, "T1", NOW, 52)
    lines = backtest_override_lines(factory, "T1", run.result.scored)
    assert [line.by for line in lines] == ["overrides by Lee"]
    line = lines[0]
    assert line.forecasts >= 1
    assert line.overrides.brier == pytest.approx(0.81)  # said 90 %, it was lost
    assert line.learned.brier < line.overrides.brier


def test_the_digest_of_500_open_deals_with_the_forecast_stays_inside_slacks_limits(session):
    rep = seed.rep(session, "T1", "U1", NOW, "Maria")
    seed.bulk_pipeline(session.connection(), rep, 500, 2000, NOW)
    session.commit()
    _team(session, "West", "U9", rep)
    fit_workspace(session, "T1", NOW - 8 * DAY)
    session.execute(Deal.__table__.update().values(amount=Decimal(5000)).where(Deal.id % 3 == 0))
    session.commit()
    digest = build_digest(session, session.get(Workspace, "T1"), "U9", NOW)
    assert digest.forecast is not None
    text, blocks = digest_message(digest, "16–22 Nov 2026")
    assert len(blocks) <= 50 and len(text) <= 3000
    for b in blocks:
        Block.parse(b).to_dict()
    body = _flat(render_message({"text": text, "blocks": blocks}, width=400))
    assert "Forecast: expected value" in body and "`/nextsteps team` lists them all" in body.replace("*", "")
