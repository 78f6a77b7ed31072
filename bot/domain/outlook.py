"""What the forecast tells reps and managers: expected value and wins, the deals most likely to be
won, the deals where more time is least likely to pay off, the week's movers, and how managers'
overrides scored against the data.

Pure: the pipelines (``bot.domain.pipeline``, each deal with its ``Chance``) and history in,
values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.domain.forecast import Score, Scored, score
from bot.domain.pipeline import DealSignals, FlagKind, Pipeline
from bot.domain.vocabulary import REACTION_LABELS, Reaction

SHOWN = 5  # deals per list: the most likely, the least likely to pay off, the movers
# "Least likely to pay off" ranks by chance in steps of this much, then by meetings already spent:
# a 4 % deal after nine meetings comes before a 3 % deal after one.
CHANCE_STEP = 0.05


@dataclass(frozen=True)
class RepDeal:
    rep_name: str
    signals: DealSignals

    @property
    def replace_now(self) -> bool:
        return any(f.kind is FlagKind.REPLACE_NOW for f in self.signals.flags)


@dataclass(frozen=True)
class RepOutlook:
    name: str
    pipeline: Pipeline


@dataclass(frozen=True)
class Outlook:
    """The forecast of a rep's or a team's open deals (by rep)."""

    scope: str
    reps: tuple[RepOutlook, ...]
    open_deals: int
    priced: int
    total: Decimal
    expected: Decimal
    expected_wins: float
    overrides: int
    likely: tuple[RepDeal, ...]
    unlikely: tuple[RepDeal, ...]
    fallback: bool  # every deal on today's rule: the workspace has too little history yet


def _sink_key(d: RepDeal) -> tuple[float, int, int]:
    s = d.signals
    return (round(s.probability / CHANCE_STEP), -s.facts.meetings_held, s.facts.deal_id)


def outlook(scope: str, reps: Sequence[RepOutlook], shown: int = SHOWN) -> Outlook:
    deals = [RepDeal(r.name, s) for r in reps for s in r.pipeline.deals]
    # A small pipeline is split in two: no deal is both among the likeliest and the least likely.
    shown_likely = min(shown, (len(deals) + 1) // 2)
    likely = sorted(
        deals,
        key=lambda d: (-d.signals.probability, -(d.signals.facts.amount or 0), d.signals.facts.deal_id),
    )[:shown_likely]
    chosen = {d.signals.facts.deal_id for d in likely}
    # Only deals with time spent on them: a deal nobody has met yet has cost nothing so far.
    spent = [d for d in deals if d.signals.facts.meetings_held and d.signals.facts.deal_id not in chosen]
    unlikely = sorted(spent, key=_sink_key)[:shown]
    return Outlook(
        scope=scope,
        reps=tuple(reps),
        open_deals=len(deals),
        priced=sum(r.pipeline.priced for r in reps),
        total=sum((r.pipeline.total for r in reps), Decimal(0)),
        expected=sum((r.pipeline.expected for r in reps), Decimal(0)),
        expected_wins=sum(r.pipeline.expected_wins for r in reps),
        overrides=sum(r.pipeline.overrides for r in reps),
        likely=tuple(likely),
        unlikely=tuple(unlikely),
        fallback=bool(deals)
        and all(d.signals.chance is not None and d.signals.chance.fallback for d in deals),
    )


# ---------------------------------------------------------------- the week's movers


@dataclass(frozen=True)
class Move:
    deal_id: int
    deal_name: str
    account_name: str
    rep_name: str
    before: float
    after: float
    why: str

    @property
    def change(self) -> float:
        return self.after - self.before


def what_moved(
    reactions: Sequence[Reaction | None],
    days_quiet: int | None,
    override: tuple[str, float | None, str] | None = None,
) -> str:
    """The reaction that moved a deal's forecast over the week, in words.

    ``reactions``: the meetings held since last week's figure, oldest first (None: no next step
    asked); ``override``: (who, probability or None, reason) when a manager set it by hand since.
    """
    if override is not None:
        who, probability, reason = override
        if probability is None:
            return f"{who} went back to the learned figure: \u201c{reason}\u201d"
        return f"{who} set it to {round(probability * 100)} % by hand: \u201c{reason}\u201d"
    if reactions:
        last = reactions[-1]
        said = f"*{REACTION_LABELS[last]}*" if last is not None else "no next step asked"
        n = len(reactions)
        met = "a meeting" if n == 1 else f"{n} meetings"
        return f"{met} this week; the last ended {said}"
    if days_quiet is None:
        return "no meeting logged yet; the forecast learned from deals that ended"
    return (
        f"no meeting this week ({days_quiet} days since the last); the forecast learned from deals that ended"
    )


def movers(moves: Iterable[Move], shown: int = SHOWN, at_least: float = 0.01) -> list[Move]:
    """The deals whose chance moved most (either way), at least ``at_least``."""
    return sorted((m for m in moves if abs(m.change) >= at_least), key=lambda m: (-abs(m.change), m.deal_id))[
        :shown
    ]


@dataclass(frozen=True)
class ForecastChange:
    """The team's forecast now beside what was shown a week ago, and the deals that moved most."""

    expected: Decimal
    expected_wins: float
    before_expected: Decimal
    before_wins: float
    deals: int
    before_deals: int
    moves: tuple[Move, ...]

    @property
    def change(self) -> Decimal:
        return self.expected - self.before_expected


# ---------------------------------------------------------------- overrides in the backtest


@dataclass(frozen=True)
class OverrideSet:
    """One change a manager made: from ``at``, the deal counts ``probability`` (None: learned again)."""

    deal_id: int
    at: datetime
    probability: float | None
    by: str


@dataclass(frozen=True)
class OverrideLine:
    """A manager's overrides scored on the deal-weeks they were in force, beside the learned
    forecast on the same deal-weeks: whose judgement beats the data."""

    by: str
    overrides: Score
    learned: Score
    forecasts: int


def in_force(changes: Sequence[OverrideSet], at: datetime) -> OverrideSet | None:
    """The override standing at ``at`` (changes sorted by time), or None."""
    standing = None
    for c in changes:
        if c.at > at:
            break
        standing = c
    return standing if standing is not None and standing.probability is not None else None


def override_lines(scored: Sequence[Scored], overrides: Iterable[OverrideSet]) -> list[OverrideLine]:
    """Per manager, and all together: the backtest's forecasts where an override was in force."""
    by_deal: dict[int, list[OverrideSet]] = {}
    for o in sorted(overrides, key=lambda o: (o.at, o.deal_id)):
        by_deal.setdefault(o.deal_id, []).append(o)
    pairs: dict[str, list[tuple[float, float, bool]]] = {}
    for s in scored:
        changes = by_deal.get(s.deal_id)
        standing = in_force(changes, s.week) if changes else None
        if standing is None or standing.probability is None:
            continue
        pairs.setdefault(standing.by, []).append((standing.probability, s.forecast, s.won))
    lines = []
    everyone: list[tuple[float, float, bool]] = []
    for by in sorted(pairs):
        got = pairs[by]
        everyone += got
        lines.append(_line(f"overrides by {by}", got))
    if len(pairs) > 1:
        lines.append(_line("all managers' overrides", everyone))
    return lines


def _line(name: str, got: Sequence[tuple[float, float, bool]]) -> OverrideLine:
    return OverrideLine(
        name,
        score(name, [(o, y) for o, _, y in got]),
        score("learned forecast, same deals", [(f, y) for _, f, y in got]),
        len(got),
    )


def seen_calibration(seen: Iterable[tuple[float, bool]], name: str = "forecast as shown") -> Score:
    """Calibration of the weekly figures people were shown, against how those deals ended."""
    return score(name, list(seen))


# ---------------------------------------------------------------- the charts' figures, the override form


@dataclass(frozen=True)
class TrendWeek:
    week_start: date
    expected: Decimal
    expected_wins: float
    deals: int


@dataclass(frozen=True)
class SeenCalibration:
    learned: Score
    overrides: Score | None
    deals: int


PERCENT_HELP = (
    "Give a whole percentage from 0 to 100, e.g. 40, or leave it empty to go back to the learned figure."
)


def parse_percent(text: str | None) -> float | None:
    """A typed percentage ("40", "40 %") as a probability; empty: None. ValueError when it is not one."""
    value = (text or "").strip().rstrip("%").strip()
    if not value:
        return None
    try:
        percent = float(value)
    except ValueError:
        raise ValueError(PERCENT_HELP) from None
    if not 0 <= percent <= 100:  # NaN fails this too
        raise ValueError(PERCENT_HELP)
    return round(percent) / 100
