"""The forecast's calibration chart: forecast decile against how often those deals were won (PNG).

Drawn like the leaderboard chart (matplotlib, Agg, off-screen); the numbers drawn are kept in
the PNG's text chunk (``bot.slack.chart.DATA_KEY``) so a test, or part 2's alt text, reads them back.
"""

from __future__ import annotations

import io
import json

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
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with _LOCK:
        figure = Figure(figsize=(6, 6), dpi=100)
        axes = figure.add_subplot()
        axes.plot(
            [0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1, label="Perfectly calibrated"
        )
        for s, color, marker in ((result.model, "#1d6b3a", "o"), (result.momentum, "#c0504d", "s")):
            points = [(100 * m, 100 * o, n) for n, m, o in s.deciles if n]
            axes.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                color=color,
                marker=marker,
                linewidth=2,
                label=f"{s.name.capitalize()} (Brier {s.brier:.3f})",
            )
        axes.set_xlim(0, 100)
        axes.set_ylim(0, 100)
        axes.set_xlabel("Forecast chance to be won (%)")
        axes.set_ylabel("Deals won (%)")
        axes.legend(loc="upper left", fontsize="small")
        figure.suptitle(title[:90])
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={DATA_KEY: json.dumps(calibration_data(result))})
    return out.getvalue()
