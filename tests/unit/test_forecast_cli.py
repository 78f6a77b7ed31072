"""`nextstep forecast backtest` on a stored synthetic history: the figures a person reads, and the chart."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.runtime.cli import main
from bot.slack.chart import DATA_KEY
from models import DealForecast, ForecastFit
from tests.seeds import pipeline as seed
from tests.seeds.forecast import store_timelines
from tests.seeds.synthetic_history import as_of, synthetic

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def test_backtest_prints_scores_beside_both_baselines_and_draws_the_chart(
    engine, database_url, tmp_path, capsys, monkeypatch
):
    with Session(engine) as session:
        rep = seed.rep(session, "T1", "U1", NOW)
        session.get(seed.Workspace, "T1").name = "Acme Sales"
        history = as_of(synthetic(7, 400, start=NOW - timedelta(days=500), span_days=480), NOW)
        store_timelines(session.connection(), "T1", rep.id, history)
        session.commit()
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "calibration.png"
    monkeypatch.setattr("bot.runtime.cli.datetime", _Frozen)
    assert main(["forecast", "backtest", "--team", "Acme Sales", "--weeks", "26", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Backtest of T1 (Acme Sales): 26 weeks,")
    scores = {
        name: (float(b), float(ll), float(c))
        for name, b, ll, c in re.findall(
            r"^(learned forecast|overall win rate|fixed momentum weights)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$",
            printed,
            re.M,
        )
    }
    assert set(scores) == {"learned forecast", "overall win rate", "fixed momentum weights"}
    assert all(0 < b < 0.5 for b, _, _ in scores.values())
    assert "Calibration of the learned forecast" in printed
    assert re.search(r"^\s+\d+–\d+\s+%\s+[\d,]+ deals  forecast\s+\d+ %  won\s+\d+ %$", printed, re.M)
    assert "Time spent: Won deals took" in printed
    assert f"Calibration chart: {out}" in printed
    drawn = json.loads(Image.open(out).text[DATA_KEY])
    assert round(drawn["learned forecast"]["brier"], 3) == scores["learned forecast"][0]
    assert sum(d["deals"] for d in drawn["learned forecast"]["deciles"]) == drawn["forecasts"]
    # The backtest fitted today's model on demand and kept this week's probabilities.
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ForecastFit)) == 1
        open_now = sum(1 for t in history if t.open_at(NOW))
        assert session.scalar(select(func.count()).select_from(DealForecast)) == open_now


def test_backtest_without_a_team_among_several_says_which_to_give(engine, database_url, capsys, monkeypatch):
    with Session(engine) as session:
        seed.workspace(session, "T1", NOW)
        seed.workspace(session, "T2", NOW)
        session.commit()
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["forecast", "backtest"]) == 2
    err = capsys.readouterr().err
    assert "give --team, one of: T1 (T1), T2 (T2)" in err or "give --team, one of: T2 (T2), T1 (T1)" in err
    assert "Traceback" not in err


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return NOW.astimezone(tz) if tz else NOW.replace(tzinfo=None)
