"""`nextstep forecast backtest` scores managers' overrides on their own line, beside the learned
forecast on the same deal-weeks: whose judgement beats the data."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import DealStatus
from bot.runtime.cli import main
from models import Deal, ForecastOverride
from tests.seeds import pipeline as seed
from tests.seeds.forecast import store_timelines
from tests.seeds.synthetic_history import as_of, synthetic
from tests.unit.test_forecast_cli import NOW, _Frozen


def test_the_backtest_prints_each_managers_overrides_beside_the_learned_forecast(
    engine, database_url, capsys, monkeypatch
):
    with Session(engine) as session:
        rep = seed.rep(session, "T1", "U1", NOW)
        history = as_of(synthetic(11, 200, start=NOW - timedelta(days=300), span_days=280), NOW)
        store_timelines(session.connection(), "T1", rep.id, history)
        session.commit()
        ended = session.execute(
            select(Deal.id, Deal.created_at, Deal.status)
            .where(Deal.status.in_([DealStatus.WON, DealStatus.LOST]))
            .order_by(Deal.id)
        ).all()
        # Lee says 95 % on every ended deal a day after it opened; Kim, on a few, says what happened.
        for deal_id, created, _ in ended:
            session.add(
                ForecastOverride(
                    team_id="T1",
                    deal_id=deal_id,
                    probability=0.95,
                    learned=0.5,
                    reason="gut",
                    set_by_user_id="ULEE",
                    set_by_name="Lee",
                    set_at=created + timedelta(days=1),
                )
            )
        recent = [e for e in ended if e[1] > NOW - timedelta(days=150)]
        for deal_id, created, status in recent[:10]:
            session.add(
                ForecastOverride(
                    team_id="T1",
                    deal_id=deal_id,
                    probability=0.9 if status == DealStatus.WON else 0.1,
                    learned=0.5,
                    reason="spoke to their CEO",
                    set_by_user_id="UKIM",
                    set_by_name="Kim",
                    set_at=created + timedelta(days=2),
                )
            )
        session.commit()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("bot.runtime.cli.datetime", _Frozen)
    assert main(["forecast", "backtest", "--team", "T1", "--weeks", "26"]) == 0
    printed = capsys.readouterr().out
    assert "Managers' overrides, on the weekly forecasts they replaced (deals since ended):" in printed
    lines = {
        who: (int(n.replace(",", "")), float(o), float(learned), verdict)
        for who, n, o, learned, verdict in re.findall(
            r"^  (overrides by \w+|all managers' overrides): ([\d,]+) weekly forecasts, Brier ([\d.]+) against "
            r"the learned forecast's ([\d.]+) on the same deals: the override (beat|tied|did worse than) the data$",
            printed,
            re.M,
        )
    }
    assert set(lines) == {"overrides by Lee", "overrides by Kim", "all managers' overrides"}
    assert lines["overrides by Lee"][3] == "did worse than"  # 95 % on everything loses to the data
    assert lines["overrides by Kim"][1] == 0.01 and lines["overrides by Kim"][3] == "beat"
    assert lines["all managers' overrides"][0] == lines["overrides by Lee"][0] + lines["overrides by Kim"][0]


def test_without_overrides_the_backtest_says_so(engine, database_url, capsys, monkeypatch):
    with Session(engine) as session:
        seed.workspace(session, "T1", NOW)
        session.commit()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("bot.runtime.cli.datetime", _Frozen)
    assert main(["forecast", "backtest", "--team", "T1", "--weeks", "4"]) == 0
    assert "Managers' overrides: none stood at a week's end" in capsys.readouterr().out
