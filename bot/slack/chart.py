"""The team's booked rate and meetings over the last 8 weeks, as a PNG (matplotlib, Agg)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence

from bot.services.leaderboard import ChartWeek

# The data a chart was drawn from, stored in the PNG's text chunk under this key.
DATA_KEY = "nextstep-data"
# matplotlib's font cache and text layout are not thread-safe; workspaces deliver in parallel.
_LOCK = threading.Lock()


def chart_data(history: Sequence[ChartWeek]) -> list[dict[str, object]]:
    return [
        {
            "week": w.monday.isoformat(),
            "meetings": w.meetings,
            "booked": w.booked,
            "booked_rate": None if w.booked_rate is None else round(w.booked_rate, 4),
        }
        for w in history
    ]


def chart_alt_text(history: Sequence[ChartWeek], title: str) -> str:
    """What the chart shows, for a screen reader (Slack's alt text, at most 1000 characters)."""
    weeks = []
    for w in history:
        rate = f"{round(100 * w.booked_rate)}% booked" if w.booked_rate is not None else "no booked rate"
        weeks.append(f"week of {w.monday.day} {w.monday:%b}: {w.meetings} meetings, {rate}")
    text = f"{title}. Bars: meetings held each week; line: the booked rate. " + "; ".join(weeks) + "."
    return text if len(text) <= 1000 else text[:999] + "\u2026"


def chart_png(history: Sequence[ChartWeek], title: str) -> bytes:
    """Bars for meetings held, a line for the booked rate; the numbers drawn are kept in the PNG."""
    # Imported here: matplotlib takes a second to load, which the web process never needs.
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    from matplotlib.figure import Figure

    labels = [f"{w.monday.day} {w.monday:%b}" for w in history]
    meetings = [w.meetings for w in history]
    drawn = [(i, 100 * w.booked_rate) for i, w in enumerate(history) if w.booked_rate is not None]
    with _LOCK:
        figure = Figure(figsize=(8, 4), dpi=100)
        bars = figure.add_subplot()
        positions = list(range(len(history)))
        bars.bar(positions, meetings, color="#c7d7ee", label="Meetings held")
        bars.set_xticks(positions, labels)
        bars.set_ylabel("Meetings held")
        bars.set_ylim(0, max([*meetings, 1]) * 1.25)
        line = bars.twinx()
        line.plot(
            [i for i, _ in drawn],
            [r for _, r in drawn],
            color="#1d6b3a",
            marker="o",
            linewidth=2,
            label="Booked rate",
        )
        line.set_ylim(0, 100)
        line.set_ylabel("Booked rate (%)")
        figure.suptitle(title[:90])
        handles = bars.get_legend_handles_labels()[0] + line.get_legend_handles_labels()[0]
        bars.legend(handles, ["Meetings held", "Booked rate"], loc="upper left", fontsize="small")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={DATA_KEY: json.dumps(chart_data(history))})
    return out.getvalue()
