"""`/nextsteps forecast charts`: the calibration of the chances people were shown, and the expected
value over the last 12 weeks (PNG, matplotlib as the leaderboard chart), each with its alt text.

The numbers drawn are kept in the PNG's text chunk (``bot.slack.chart.DATA_KEY``) so a test reads
them back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from bot.domain.forecast import Score
from bot.domain.outlook import SeenCalibration, TrendWeek
from bot.slack.blocks.app_home import money
from bot.slack.chart import _LOCK, DATA_KEY
from bot.slack.forecast_chart import CalibrationLine, draw_calibration


def calibration_data(seen: SeenCalibration) -> dict[str, object]:
    def line(s: Score) -> dict[str, object]:
        return {
            "forecasts": sum(n for n, _, _ in s.deciles),
            "brier": None if s.brier != s.brier else round(s.brier, 4),
            "calibration_error": None
            if s.calibration_error != s.calibration_error
            else round(s.calibration_error, 4),
            "deciles": [
                {"deals": n, "mean_forecast": round(m, 4), "observed": round(o, 4)} for n, m, o in s.deciles
            ],
        }

    data: dict[str, object] = {"deals": seen.deals, "learned": line(seen.learned)}
    if seen.overrides is not None:
        data["overrides"] = line(seen.overrides)
    return data


def calibration_alt_text(seen: SeenCalibration) -> str:
    s = seen.learned
    forecasts = sum(n for n, _, _ in s.deciles)
    if not forecasts:
        return "Calibration chart: no deal shown a weekly chance has ended yet, so there is nothing to check."
    text = (
        f"Calibration of the weekly chances shown for {seen.deals} deals that have ended ({forecasts} weekly "
        f"figures): on average {s.calibration_error * 100:.0f} points from the share actually won, Brier {s.brier:.3f}."
    )
    bins = [f"{round(m * 100)} % shown, {round(o * 100)} % won ({n})" for n, m, o in s.deciles if n]
    text += " By decile: " + "; ".join(bins) + "."
    if seen.overrides is not None:
        o = seen.overrides
        text += f" Managers' overrides: Brier {o.brier:.3f} over {sum(n for n, _, _ in o.deciles)} weekly figures."
    return text[:1000]


def calibration_png(seen: SeenCalibration, title: str) -> bytes:
    """Mean chance shown against the share won, per decile: the learned figures and the overrides."""
    lines = [CalibrationLine(seen.learned.deciles, "#1d6b3a", "o", "Chance shown")]
    if seen.overrides is not None:
        lines.append(CalibrationLine(seen.overrides.deciles, "#c0504d", "s", "Managers' overrides"))
    return draw_calibration(lines, "Chance to win shown (%)", title, calibration_data(seen))


def trend_data(weeks: Sequence[TrendWeek]) -> list[dict[str, object]]:
    return [
        {
            "week": w.week_start.isoformat(),
            "expected_value": str(w.expected),
            "expected_wins": round(w.expected_wins, 2),
            "deals": w.deals,
        }
        for w in weeks
    ]


def trend_alt_text(weeks: Sequence[TrendWeek]) -> str:
    kept = [w for w in weeks if w.deals]
    if not kept:
        return f"Expected value over the last {len(weeks)} weeks: no weekly forecast kept yet."
    first, last = kept[0], kept[-1]
    peak = max(kept, key=lambda w: w.expected)
    return (
        f"Expected value over the last {len(weeks)} weeks: {money(first.expected)} in the week of "
        f"{first.week_start.day} {first.week_start:%b} ({first.expected_wins:.1f} expected wins), "
        f"{money(last.expected)} in the week of {last.week_start.day} {last.week_start:%b} "
        f"({last.expected_wins:.1f} expected wins); highest {money(peak.expected)} in the week of "
        f"{peak.week_start.day} {peak.week_start:%b}."
    )


def trend_png(weeks: Sequence[TrendWeek], title: str) -> bytes:
    """The expected value each week (line) and the expected wins (bars)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [f"{w.week_start.day} {w.week_start:%b}" for w in weeks]
    with _LOCK:
        figure = Figure(figsize=(8, 4), dpi=100)
        bars = figure.add_subplot()
        positions = list(range(len(weeks)))
        bars.bar(positions, [w.expected_wins for w in weeks], color="#c7d7ee", label="Expected wins")
        bars.set_xticks(positions, labels)
        bars.set_ylabel("Expected wins")
        line = bars.twinx()
        line.plot(
            positions,
            [float(w.expected) for w in weeks],
            color="#1d6b3a",
            marker="o",
            linewidth=2,
            label="Expected value",
        )
        line.set_ylabel("Expected value")
        line.set_ylim(0, max([float(w.expected) for w in weeks] + [1.0]) * 1.2)
        figure.suptitle(title[:90])
        handles = bars.get_legend_handles_labels()[0] + line.get_legend_handles_labels()[0]
        bars.legend(handles, ["Expected wins", "Expected value"], loc="upper left", fontsize="small")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={DATA_KEY: json.dumps(trend_data(weeks))})
    return out.getvalue()
