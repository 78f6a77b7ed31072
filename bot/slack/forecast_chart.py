"""The forecast's calibration chart: forecast decile against how often those deals were won (PNG).

Drawn like the leaderboard chart (matplotlib, Agg, off-screen); the numbers drawn are kept in
the PNG's text chunk (``bot.slack.chart.DATA_KEY``) so a test, or part 2's alt text, reads them back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.forecast import Backtest, Score
from bot.slack.chart import _LOCK, DATA_KEY


def calibration_data(result: Backtest) -> dict[str, object]:
    def line(s: Score) -> dict[str, object]:
        return {
            "brier": round(s.brier, 4),
            "log_loss": round(s.log_loss, 4),
            "calibration_error": round(s.calibration_error, 4),
            "deciles": [
                {"deals": n, "mean_forecast": round(m, 4), "observed": round(o, 4)} for n, m, o in s.deciles
            ],
        }

    return {
        "forecasts": len(result.scored),
        **{s.name: line(s) for s in (result.model, result.overall, result.momentum)},
    }


def calibration_alt_text(result: Backtest) -> str:
    s = result.model
    return (
        f"Calibration of {len(result.scored):,} weekly forecasts over {result.weeks} weeks: "
        f"calibration error {s.calibration_error * 100:.1f} points, Brier {s.brier:.3f} "
        f"(overall rate {result.overall.brier:.3f}, momentum weights {result.momentum.brier:.3f})."
    )


def calibration_png(result: Backtest, title: str) -> bytes:
    """Mean forecast against observed win rate per decile, for the forecast and the momentum weights."""
    lines = [
        CalibrationLine(s.deciles, color, marker, f"{s.name.capitalize()} (Brier {s.brier:.3f})", 2)
        for s, color, marker in ((result.model, "#1d6b3a", "o"), (result.momentum, "#c0504d", "s"))
    ]
    return draw_calibration(lines, "Forecast chance to be won (%)", title, calibration_data(result))


@dataclass(frozen=True)
class CalibrationLine:
    """One line of a calibration chart: (deals, mean forecast, share won) per decile, and its look."""

    deciles: Sequence[tuple[int, float, float]]
    color: str
    marker: str
    label: str
    linewidth: float | None = None


def draw_calibration(lines: Sequence[CalibrationLine], xlabel: str, title: str, data: object) -> bytes:
    """The calibration chart both the backtest and `/nextsteps forecast charts` draw: each line's
    deciles (empty ones skipped) against the diagonal, with ``data`` kept in the PNG's text chunk."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with _LOCK:
        figure = Figure(figsize=(6, 6), dpi=100)
        axes = figure.add_subplot()
        axes.plot(
            [0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1, label="Perfectly calibrated"
        )
        for line in lines:
            points = [(100 * m, 100 * o) for n, m, o in line.deciles if n]
            axes.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                color=line.color,
                marker=line.marker,
                label=line.label,
                linewidth=line.linewidth,  # None: matplotlib's default
            )
        axes.set_xlim(0, 100)
        axes.set_ylim(0, 100)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("Deals won (%)")
        axes.legend(loc="upper left", fontsize="small")
        figure.suptitle(title[:90])
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={DATA_KEY: json.dumps(data)})
    return out.getvalue()
