"""`nextstep forecast backtest`: replay a workspace's history and print how the forecast scores."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ConfigError
from bot.domain.forecast import Score
from bot.domain.outlook import OverrideLine
from bot.services.forecast import BacktestRun, run_backtest
from bot.services.outlook import backtest_override_lines
from bot.slack.forecast_chart import calibration_alt_text, calibration_png
from models import Workspace, make_engine, make_session_factory


def _workspace(session_factory: sessionmaker[Session], team: str | None) -> Workspace:
    with session_factory() as session:
        if team is None:
            found = list(session.scalars(select(Workspace).where(Workspace.uninstalled_at.is_(None))))
            if len(found) == 1:
                return found[0]
            names = ", ".join(f"{w.team_id} ({w.name})" for w in found) or "none installed"
            raise ConfigError([f"forecast backtest: give --team, one of: {names}"])
        found = list(
            session.scalars(select(Workspace).where(or_(Workspace.team_id == team, Workspace.name == team)))
        )
        if len(found) != 1:
            raise ConfigError([f"forecast backtest: no workspace with the id or name {team!r}"])
        return found[0]


def _pct(x: float) -> str:
    return f"{round(x * 100)} %"


def report(run: BacktestRun, workspace: Workspace) -> str:
    result = run.result
    lines = [
        f"Backtest of {workspace.team_id} ({workspace.name}): {result.weeks} weeks, "
        f"{len(result.scored):,} weekly forecasts of {len({s.deal_id for s in result.scored}):,} deals "
        "that have since ended, each fitted on what was known at that week's end.",
        "",
        f"{'':26}{'Brier':>8}{'log loss':>10}{'calibration error':>19}",
    ]

    def row(s: Score) -> str:
        return f"{s.name:26}{s.brier:>8.3f}{s.log_loss:>10.3f}{s.calibration_error:>19.3f}"

    lines += [row(result.model), row(result.overall), row(result.momentum), ""]
    lines.append("Calibration of the learned forecast (forecast decile: deals, mean forecast, observed won):")
    for i, (n, mean, observed) in enumerate(result.model.deciles):
        if n:
            lines.append(
                f"  {i * 10:>3}–{(i + 1) * 10:<3}%  {n:>7,} deals  forecast {_pct(mean):>5}  won {_pct(observed):>5}"
            )
    fit = run.fitted.fit
    lines += [
        "",
        f"Fitted today on {fit.ended:,} ended deals ({fit.won:,} won, stale after {fit.stale_days} days); "
        f"{run.fitted.open_deals:,} open deals forecast and kept for this week.",
        "Time spent: " + run.fitted.spent.text,
    ]
    return "\n".join(lines)


def override_report(lines: Sequence[OverrideLine]) -> str:
    """Managers' overrides as their own lines: scored where they stood, beside the learned
    forecast on the same deal-weeks, so the team learns whose judgement beats the data."""
    if not lines:
        return "\nManagers' overrides: none stood at a week's end over a deal that has since ended."
    out = ["", "Managers' overrides, on the weekly forecasts they replaced (deals since ended):"]
    for line in lines:
        o, learned = line.overrides, line.learned
        verdict = (
            "beat" if o.brier < learned.brier else "tied" if o.brier == learned.brier else "did worse than"
        )
        out.append(
            f"  {line.by}: {line.forecasts:,} weekly forecasts, Brier {o.brier:.3f} against the learned "
            f"forecast's {learned.brier:.3f} on the same deals: the override {verdict} the data"
        )
    return "\n".join(out)


def backtest_command(
    database_url: str,
    team: str | None,
    weeks: int,
    out: str | None,
    now: datetime,
    stdout: TextIO | None = None,
) -> int:
    stdout = stdout or sys.stdout  # read when called: a default bound at import outlives a swapped stream
    if not 1 <= weeks <= 520:
        raise ConfigError(["forecast backtest: --weeks must be from 1 to 520"])
    engine = make_engine(database_url)
    try:
        factory = make_session_factory(engine)
        workspace = _workspace(factory, team)
        run = run_backtest(factory, workspace.team_id, now, weeks)
        overridden = backtest_override_lines(factory, workspace.team_id, run.result.scored)
    finally:
        engine.dispose()
    print(report(run, workspace), file=stdout)
    print(override_report(overridden), file=stdout)
    if out:
        Path(out).write_bytes(
            calibration_png(run.result, f"Forecast calibration, {workspace.name or workspace.team_id}")
        )
        print(f"Calibration chart: {out} ({calibration_alt_text(run.result)})", file=stdout)
    return 0
