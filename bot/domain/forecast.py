"""Each open deal's chance to be won, learned from the workspace's own ended deals.

The shape (issue 17): an empirical-Bayes rate per group, shrunk toward its parent group when
the group is small. The groups form one chain, each level adding one thing the product knows
about a deal as it stood at a moment:

    all deals
    → the last meeting's reaction (or no meeting yet, or no next step asked)
    → … and the next step: booked and on time, booked and overdue, agreed but unscheduled, none
    → … and follow-through on this deal's booked steps so far: all kept, one missed, none due yet
    → … and the grade of the last ask
    → … and the days since the last meeting: under 14, 14–44, 45 or more

A deal's probability is its deepest group's rate shrunk toward the parent's (itself shrunk
toward its parent …). How hard a level shrinks (its prior strength ``m``) is estimated from
the data: the spread of that level's group rates around their parents beyond what binomial
noise explains (method of moments of the beta-binomial). The 80 % interval is the central
80 % of the Beta posterior. The one-line reason cites the deepest group with enough deals,
with its denominators.

Training examples are snapshots, not endings: the deal as it stood at the end of each past week
(Monday 00:00 UTC) while it was open, labelled by how it ended. A group's rate is over the
weeks deals stood in it (what is forecast is a deal as it stands at a week's end, and a deal that
lingers stands there many weeks), but its evidence is counted in deals (a deal's weeks are not
independent draws): "of 48 ended deals … 30 were won (51 of the 210 weeks they stood so led to a
win)", and the group weighs as 48 observations. The meeting that closed a deal (its last one before it was won or lost, often
the signing) is never a feature of its own label. A deal with no meeting and nothing booked
for ``stale_days`` counts as lost for learning only, from that moment.

Below ``MIN_ENDED`` ended deals the forecast falls back to a prior: today's fixed momentum
weight for the deal (bot.domain.pipeline.WEIGHTS), blended with the few endings there are, and
a deliberately wide interval; the reason says so. Above it the learned rate weighs
ended / (ended + ``BLEND_DEALS``) against that prior, and the reason says how much the rule still
counts (at 20 ended deals this beats the overall win rate in 94 % of seeds, the learned rate
alone in 32 %: benchmarks/forecast.py).

Pure: values and ``at`` in, values out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from bot.domain.pipeline import WEIGHTS, DealFacts, Level, MeetingFact, TimeSpent, momentum
from bot.domain.vocabulary import (
    REACTION_LABELS,
    AskType,
    DealStatus,
    NextStepStatus,
    Reaction,
)

MIN_ENDED = 20  # below this many ended deals, the prior and today's rule
DEFAULT_STALE_DAYS = 90
STALE_DAYS_RANGE = (14, 730)
MIN_CITED = 10  # the reason cites the deepest group with at least this many deals
BLEND_DEALS = 100  # the learned rate weighs ended / (ended + this) against the prior (today's rule)
PRIOR_STRENGTH = 4.0  # the fallback prior counts as this many deals: a wide interval on purpose
STRENGTH_RANGE = (2.0, 200.0)
INTERVAL = 0.80
WEEK = timedelta(days=7)
EPOCH_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday: weeks end on Mondays 00:00 UTC

QUIET_BUCKETS = ((14, "under 14"), (45, "14–44"), (10**9, "45+"))

# ---------------------------------------------------------------- what is recorded about a deal


@dataclass(frozen=True)
class MeetingRecord:
    """One meeting that counts (not withdrawn)."""

    id: int
    held_at: datetime
    logged_at: datetime
    reaction: Reaction | None
    graded: AskType


@dataclass(frozen=True)
class StepRecord:
    """One next step as stored now; its state at an earlier moment is derived from its times."""

    id: int
    meeting_id: int | None
    created_at: datetime
    status: NextStepStatus
    status_changed_at: datetime
    booked_at: datetime | None = None
    scheduled_at: datetime | None = None


@dataclass(frozen=True)
class DealTimeline:
    deal_id: int
    created_at: datetime
    status: DealStatus = DealStatus.OPEN
    closed_at: datetime | None = None
    meetings: tuple[MeetingRecord, ...] = ()  # by held_at
    steps: tuple[StepRecord, ...] = ()  # by created_at

    def ended_by(self, at: datetime) -> bool:
        return self.status is not DealStatus.OPEN and self.closed_at is not None and self.closed_at <= at

    def open_at(self, at: datetime) -> bool:
        return self.created_at <= at and not self.ended_by(at)


# ---------------------------------------------------------------- a deal as it stood at a moment


@dataclass(frozen=True)
class Features:
    reaction: str  # a Reaction value, "no_ask", or "none" (no meeting yet)
    step: str  # on_time | overdue | unscheduled | none
    follow: str  # kept | missed | none
    grade: str  # an AskType value, or "none"
    quiet: str  # a QUIET_BUCKETS label
    meetings_held: int
    days_since_meeting: int
    days_since_commitment: int | None
    level: Level  # today's momentum rule, as of the same moment

    def chain(self) -> tuple[str, ...]:
        """The group chain, broadest first."""
        return _chain(self.reaction, self.step, self.follow, self.grade, self.quiet)


@lru_cache(maxsize=4096)
def _chain(reaction: str, step: str, follow: str, grade: str, quiet: str) -> tuple[str, ...]:
    parts = (f"r={reaction}", f"s={step}", f"f={follow}", f"g={grade}", f"q={quiet}")
    return ("all",) + tuple("|".join(parts[: i + 1]) for i in range(len(parts)))


def _step_at(step: StepRecord, at: datetime) -> NextStepStatus | None:
    """The step's status as it was at ``at`` (None: it did not exist yet)."""
    if step.created_at > at:
        return None
    if (
        step.status not in (NextStepStatus.BOOKED, NextStepStatus.UNSCHEDULED)
        and step.status_changed_at <= at
    ):
        return step.status
    if step.booked_at is not None and step.booked_at <= at:
        return NextStepStatus.BOOKED
    return NextStepStatus.UNSCHEDULED


def _quiet(days: int) -> str:
    return next(label for limit, label in QUIET_BUCKETS if days < limit)


def features_at(
    timeline: DealTimeline,
    at: datetime,
    *,
    exclude_meeting: int | None = None,
    stalled_after_days: int = 14,
    with_level: bool = True,
) -> Features:
    """What was known about the deal at ``at``: meetings held and logged by then, steps as they stood.

    ``with_level=False`` skips today's momentum rule (learning does not use it).
    """
    meetings = [
        m for m in timeline.meetings if m.held_at <= at and m.logged_at <= at and m.id != exclude_meeting
    ]
    seen = {m.id for m in meetings}
    steps: list[tuple[StepRecord, NextStepStatus]] = []
    current: tuple[StepRecord, NextStepStatus] | None = None
    kept = missed = 0
    last_booked: datetime | None = None
    for record in timeline.steps:
        if record.created_at > at or (record.meeting_id is not None and record.meeting_id not in seen):
            continue
        status = _step_at(record, at)
        if status is None:
            continue
        steps.append((record, status))
        if status is NextStepStatus.BOOKED or status is NextStepStatus.UNSCHEDULED:
            current = (record, status)
        elif status is NextStepStatus.DONE:
            kept += 1
        elif status is NextStepStatus.MISSED:
            missed += 1
        if record.booked_at is not None and record.booked_at <= at:
            last_booked = record.booked_at if last_booked is None else max(last_booked, record.booked_at)
    if current is None:
        step = "none"
    elif current[1] is NextStepStatus.UNSCHEDULED:
        step = "unscheduled"
    else:
        on_time = current[0].scheduled_at is None or current[0].scheduled_at >= at
        step = "on_time" if on_time else "overdue"
    follow = "missed" if missed else ("kept" if kept else "none")
    last = meetings[-1] if meetings else None
    reaction = "none" if last is None else (last.reaction.value if last.reaction else "no_ask")
    last_at = last.held_at if last else timeline.created_at
    days_quiet = max(0, (at - last_at).days)
    level = Level.FLAT
    if with_level:
        level = _level_at(timeline, at, meetings, steps, current, last, stalled_after_days)
    return Features(
        reaction=reaction,
        step=step,
        follow=follow,
        grade=last.graded.value if last else "none",
        quiet=_quiet(days_quiet),
        meetings_held=len(meetings),
        days_since_meeting=days_quiet,
        days_since_commitment=max(0, (at - last_booked).days) if last_booked else None,
        level=level,
    )


def _level_at(
    timeline: DealTimeline,
    at: datetime,
    meetings: list[MeetingRecord],
    steps: list[tuple[StepRecord, NextStepStatus]],
    current: tuple[StepRecord, NextStepStatus] | None,
    last: MeetingRecord | None,
    stalled_after_days: int,
) -> Level:
    """Today's momentum rule (bot.domain.pipeline.momentum) as of ``at``."""
    by_meeting = {s.meeting_id: status for s, status in steps if s.meeting_id is not None}
    facts = DealFacts(
        deal_id=timeline.deal_id,
        name="",
        account_id=0,
        account_name="",
        created_at=timeline.created_at,
        last_meeting_at=last.held_at if last else None,
        meetings_held=len(meetings),
        recent=tuple(
            MeetingFact(m.held_at, m.reaction, m.graded, by_meeting.get(m.id)) for m in meetings[-5:]
        ),
        step_status=current[1] if current else None,
        step_at=current[0].scheduled_at if current else None,
        stalled_after_days=stalled_after_days,
    )
    return momentum(facts, at).level


# ---------------------------------------------------------------- labels and training snapshots


def week_ends(start: datetime, end: datetime) -> list[datetime]:
    """The Mondays 00:00 UTC after ``start`` up to and including ``end``."""
    epoch = EPOCH_MONDAY
    first = epoch + WEEK * (math.floor((start - epoch) / WEEK) + 1)
    out = []
    while first <= end:
        out.append(first)
        first += WEEK
    return out


def last_activity(timeline: DealTimeline, at: datetime) -> datetime:
    """When the deal last moved, as known at ``at``: created, a meeting held, a step booked, or the
    time a booked step was for (booked ahead, the deal is not quiet before it)."""
    last = timeline.created_at
    for m in timeline.meetings:
        if m.logged_at <= at and last < m.held_at <= at:
            last = m.held_at
    for s in timeline.steps:
        if s.booked_at is not None and s.booked_at <= at:
            last = max(last, s.booked_at)
            if s.scheduled_at is not None and s.scheduled_at <= at:
                last = max(last, s.scheduled_at)
            elif s.scheduled_at is not None:
                return at  # a step booked ahead of ``at``: not quiet
    return last


def label_at(timeline: DealTimeline, at: datetime, stale_days: int) -> tuple[bool, datetime] | None:
    """(won, when it ended for learning) as known at ``at``; None while it is open and alive.

    Ended: won or lost by ``at``. Stale: no meeting and nothing booked for ``stale_days``,
    counted as lost from the moment it went quiet that long (the store is not changed).
    """
    if timeline.ended_by(at):
        assert timeline.closed_at is not None
        return timeline.status is DealStatus.WON, timeline.closed_at
    if timeline.created_at > at:
        return None
    stale_from = last_activity(timeline, at) + timedelta(days=stale_days)
    if stale_from <= at:
        return False, stale_from
    return None


def closing_meeting(timeline: DealTimeline) -> int | None:
    """The last meeting held before the deal was closed: never a feature of its own label."""
    if timeline.status is DealStatus.OPEN or timeline.closed_at is None:
        return None
    before = [m for m in timeline.meetings if m.held_at <= timeline.closed_at]
    return before[-1].id if before else None


def training_keys(timeline: DealTimeline, ended_at: datetime, *, closed: bool) -> dict[str, int]:
    """Every group the deal was in at a week's end while it was open, before it ended for learning,
    with the number of those weeks."""
    exclude = closing_meeting(timeline) if closed else None
    keys: dict[str, int] = {}
    for end in week_ends(timeline.created_at, ended_at):
        if end >= ended_at:
            break
        for key in features_at(timeline, end, exclude_meeting=exclude, with_level=False).chain():
            keys[key] = keys.get(key, 0) + 1
    return keys


# ---------------------------------------------------------------- the fit


@dataclass
class GroupCounts:
    """Per group: deals, deals won, weeks deals spent in it, and those weeks' deals won.

    Kept incrementally (deals added and taken away). The rate is of weeks (what is forecast is
    a deal as it stands at a week's end, and a deal that lingers stands there many weeks); the
    evidence is of deals (a deal's weeks are not independent draws), so a group's rate counts
    as ``deals`` observations.
    """

    counts: dict[str, list[int]] = field(default_factory=dict)
    ended: int = 0
    won: int = 0

    def add(self, keys: Mapping[str, int] | Iterable[str], won: bool, sign: int = 1) -> None:
        self.ended += sign
        self.won += sign * int(won)
        weeks = keys if isinstance(keys, Mapping) else dict.fromkeys(keys, 1)
        for key, count in weeks.items():
            entry = self.counts.setdefault(key, [0, 0, 0, 0])
            entry[0] += sign
            entry[1] += sign * int(won)
            entry[2] += sign * count
            entry[3] += sign * count * int(won)


@dataclass(frozen=True)
class Fit:
    """The learned rates: groups with their deals and wins, and each level's prior strength."""

    fitted_at: datetime
    stale_days: int
    ended: int
    won: int
    groups: dict[str, tuple[int, int, int, int]]  # deals, won, weeks, weeks of deals won
    strengths: tuple[float, ...]  # per level below "all"
    # Forecasts already made with this fit, by group chain and momentum level: deals in the same
    # state get the same forecast, so 10,000 open deals cost a few hundred computations.
    made: dict[tuple[tuple[str, ...], Level], Forecast] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def overall(self) -> float:
        """The overall win rate of ended deals (the simplest baseline)."""
        return (self.won + 1) / (self.ended + 2)

    def evidence(self, key: str) -> tuple[float, float]:
        """(deals, won) for the shrinkage: the group's week-weighted rate counted over its deals."""
        deals, _, weeks, won_weeks = self.groups.get(key, (0, 0, 0, 0))
        return (float(deals), deals * won_weeks / weeks) if weeks else (0.0, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "ended": self.ended,
            "won": self.won,
            "stale_days": self.stale_days,
            "groups": {k: list(v) for k, v in self.groups.items()},
            "strengths": list(self.strengths),
        }

    @classmethod
    def from_json(cls, fitted_at: datetime, data: dict[str, Any]) -> Fit:
        return cls(
            fitted_at=fitted_at,
            stale_days=int(data["stale_days"]),
            ended=int(data["ended"]),
            won=int(data["won"]),
            groups={k: (int(v[0]), int(v[1]), int(v[2]), int(v[3])) for k, v in data["groups"].items()},
            strengths=tuple(float(s) for s in data["strengths"]),
        )


LEVELS = 5


def _level(key: str) -> int:
    return 0 if key == "all" else key.count("|") + 1


def _parent(key: str) -> str:
    return "all" if "|" not in key else key.rsplit("|", 1)[0]


def _clamp(value: float) -> float:
    return min(max(value, STRENGTH_RANGE[0]), STRENGTH_RANGE[1])


def fit(counts: GroupCounts, fitted_at: datetime, stale_days: int) -> Fit:
    """Estimate each level's prior strength from its groups' spread around their (shrunk) parents."""
    groups = {k: (v[0], v[1], v[2], v[3]) for k, v in counts.counts.items() if v[0] > 0 and v[2] > 0}
    model = Fit(fitted_at, stale_days, counts.ended, counts.won, groups, ())
    all_n, all_k = model.evidence("all")
    rate = {"all": (all_k + 1) / (all_n + 2)}
    strengths: list[float] = []
    for level in range(1, LEVELS + 1):
        members = [(k, *model.evidence(k)) for k in groups if _level(k) == level]
        # Method of moments: observed variance of group rates around their parents minus the
        # binomial noise, deal-weighted; m = p(1-p)/tau² - 1.
        total = sum(n for _, n, _ in members)
        excess = noise = 0.0
        for key, n, w in members:
            p = rate.get(_parent(key), rate["all"])
            excess += n * (w / n - p) ** 2
            noise += p * (1 - p)
        if total and len(members) > 1:
            tau2 = (excess - noise) / total
            mean_p = sum(rate.get(_parent(k), rate["all"]) * n for k, n, _ in members) / total
            m = _clamp(mean_p * (1 - mean_p) / tau2 - 1) if tau2 > 0 else STRENGTH_RANGE[1]
        else:
            m = STRENGTH_RANGE[1]
        strengths.append(m)
        for key, n, w in members:
            p = rate.get(_parent(key), rate["all"])
            rate[key] = (w + m * p) / (n + m)
    return Fit(fitted_at, stale_days, counts.ended, counts.won, groups, tuple(strengths))


# ---------------------------------------------------------------- a forecast


@dataclass(frozen=True)
class Forecast:
    probability: float
    low: float
    high: float
    reason: str
    fallback: bool
    deals: int  # the denominator the reason cites
    won: int

    @property
    def percent(self) -> int:
        return round(self.probability * 100)

    @property
    def interval_text(self) -> str:
        return f"{round(self.low * 100)}–{round(self.high * 100)} %"


def beta_interval(a: float, b: float, mass: float = INTERVAL) -> tuple[float, float]:
    # Imported here: the web process reads this module's settings without loading scipy.
    from scipy.special import betaincinv

    tail = (1 - mass) / 2
    return float(betaincinv(a, b, tail)), float(betaincinv(a, b, 1 - tail))


def _describe(key: str) -> str:
    """The group in a rep's words: "whose last meeting ended *Agreed and booked* with the step kept on time"."""
    parts = dict(p.split("=", 1) for p in key.split("|")) if key != "all" else {}
    words: list[str] = []
    r = parts.get("r")
    if r == "none":
        words.append("with no meeting logged yet")
    elif r == "no_ask":
        words.append("whose last meeting ended with no next step asked")
    elif r is not None:
        words.append(f"whose last meeting ended *{REACTION_LABELS[Reaction(r)]}*")
    s = parts.get("s")
    if s is not None:
        words.append(
            {
                "on_time": "with the next step booked ahead",
                "overdue": "with the booked step's time passed and nothing logged",
                "unscheduled": "with the next step agreed but not scheduled",
                "none": "with no next step open",
            }[s]
        )
    f = parts.get("f")
    if f is not None:
        words.append(
            {
                "kept": "every booked step so far kept",
                "missed": "a booked step missed",
                "none": "no booked step due yet",
            }[f]
        )
    g = parts.get("g")
    if g is not None and g != "none":
        words.append(f"the last ask graded *{AskType(g).short_label}*")
    q = parts.get("q")
    if q is not None:
        words.append(f"{q} days since the last meeting")
    if not words:
        return ""
    return " " + words[0] + ("" if len(words) == 1 else ", " + ", ".join(words[1:]))


def forecast(model: Fit | None, features: Features) -> Forecast:
    """The deal's chance to be won, its 80 % interval and the sentence that explains it."""
    if model is None:
        return _forecast(None, features)
    key = (features.chain(), features.level)
    made = model.made.get(key)
    if made is None:
        made = model.made[key] = _forecast(model, features)
    return made


def _forecast(model: Fit | None, features: Features) -> Forecast:
    weight = float(WEIGHTS[features.level])
    if model is None or model.ended < MIN_ENDED:
        ended = model.ended if model else 0
        won = model.won if model else 0
        p = (won + PRIOR_STRENGTH * weight) / (ended + PRIOR_STRENGTH)
        # Wide on purpose: the rule counts as PRIOR_STRENGTH deals, the endings as far as trusted.
        size = PRIOR_STRENGTH + ended * ended / (ended + BLEND_DEALS)
        low, high = beta_interval(p * size, (1 - p) * size)
        so_far = (
            "no deals have ended yet"
            if ended == 0
            else f"only {ended} {'deal has' if ended == 1 else 'deals have'} ended ({won} won)"
        )
        reason = (
            f"{round(p * 100)} %: {so_far}, too few to learn from ({MIN_ENDED} needed), so this is "
            f"today's rule for a *{features.level.label}* deal ({round(weight * 100)} %)"
            + (", moved by the endings so far" if ended else "")
            + ". A rough guess: it sharpens as deals close."
        )
        return Forecast(p, low, high, reason, True, ended, won)
    keys = features.chain()
    n0, k0 = model.evidence("all")
    a_post, b_post = k0 + 1.0, n0 - k0 + 1.0
    p = a_post / (a_post + b_post)
    cited = "all"
    parent_n, size = n0, n0 + 2.0
    for level, key in enumerate(keys[1:], start=1):
        n, w = model.evidence(key)
        m = model.strengths[level - 1]
        a_post, b_post = w + m * p, n - w + m * (1 - p)
        p = a_post / (a_post + b_post)
        if n > 0:
            # How sure: the group's deals, plus its parent's rate counted as at most the deals
            # outside the group (the group's own deals are in the parent too: not counted twice).
            size = n + max(STRENGTH_RANGE[0], min(m, parent_n - n))
            parent_n = n
        if n >= MIN_CITED:
            cited = key
    # While few deals have ended, the groups' rates are noisy: lean on the prior (today's rule,
    # moved by the endings so far) and let the learned rate take over as deals end.
    learned = model.ended / (model.ended + BLEND_DEALS)
    prior = (model.won + PRIOR_STRENGTH * weight) / (model.ended + PRIOR_STRENGTH)
    p = learned * p + (1 - learned) * prior
    # The prior's share of the certainty is the rule's: as wide as a guess.
    size = learned * size + (1 - learned) * PRIOR_STRENGTH
    a_post, b_post = p * size, (1 - p) * size
    low, high = beta_interval(a_post, b_post)
    deals, won, weeks, won_weeks = model.groups.get(cited, (0, 0, 0, 0))
    reason = (
        f"{round(p * 100)} %: of {deals} ended deals{_describe(cited)}, {won} "
        f"{'was' if won == 1 else 'were'} won ({won_weeks} of the {weeks} weeks they stood so led to a win)."
    )
    if learned < 0.9:
        reason += (
            f" With {model.ended} deals ended so far, today's rule for a *{features.level.label}* deal "
            f"({round(weight * 100)} %) still counts for {round((1 - learned) * 100)} % of it."
        )
    return Forecast(p, low, high, reason, False, deals, won)


# ---------------------------------------------------------------- learning as of a moment


def counts_at(
    timelines: Sequence[DealTimeline], at: datetime, stale_days: int
) -> tuple[GroupCounts, dict[int, tuple[bool, datetime]]]:
    """The group counts of every deal that had ended (or gone stale) by ``at``."""
    counts = GroupCounts()
    labels: dict[int, tuple[bool, datetime]] = {}
    for timeline in timelines:
        label = label_at(timeline, at, stale_days)
        if label is None:
            continue
        labels[timeline.deal_id] = label
        closed = timeline.ended_by(at)
        counts.add(training_keys(timeline, label[1], closed=closed), label[0])
    return counts, labels


def fit_at(timelines: Sequence[DealTimeline], at: datetime, stale_days: int) -> Fit:
    counts, _ = counts_at(timelines, at, stale_days)
    return fit(counts, at, stale_days)


# ---------------------------------------------------------------- look back on time spent


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return float(ordered[index])


def time_spent(timelines: Sequence[DealTimeline]) -> TimeSpent:
    won_m: list[float] = []
    won_d: list[float] = []
    lost_m: list[float] = []
    lost_d: list[float] = []
    for t in timelines:
        if t.status is DealStatus.OPEN or t.closed_at is None:
            continue
        meetings = float(sum(1 for m in t.meetings if m.held_at <= t.closed_at))
        days = float(max(0, (t.closed_at - t.created_at).days))
        if t.status is DealStatus.WON:
            won_m.append(meetings)
            won_d.append(days)
        else:
            lost_m.append(meetings)
            lost_d.append(days)
    return TimeSpent(
        won=len(won_m),
        lost=len(lost_m),
        won_meetings=(_quantile(won_m, 0.5), _quantile(won_m, 0.8)),
        won_days=(_quantile(won_d, 0.5), _quantile(won_d, 0.8)),
        lost_meetings=(_quantile(lost_m, 0.5), _quantile(lost_m, 0.8)),
        lost_days=(_quantile(lost_d, 0.5), _quantile(lost_d, 0.8)),
    )


# ---------------------------------------------------------------- the backtest


@dataclass(frozen=True)
class Scored:
    week: datetime
    deal_id: int
    forecast: float
    overall: float
    momentum: float
    won: bool


@dataclass(frozen=True)
class Score:
    name: str
    brier: float
    log_loss: float
    calibration_error: float
    deciles: tuple[tuple[int, float, float], ...]  # per forecast decile: deals, mean forecast, observed


def score(name: str, pairs: Sequence[tuple[float, bool]]) -> Score:
    if not pairs:
        return Score(name, float("nan"), float("nan"), float("nan"), ())
    brier = sum((p - y) ** 2 for p, y in pairs) / len(pairs)
    eps = 1e-6
    loss = -sum(
        math.log(min(max(p, eps), 1 - eps)) if y else math.log(1 - min(max(p, eps), 1 - eps))
        for p, y in pairs
    ) / len(pairs)
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(10)]
    for p, y in pairs:
        bins[min(9, int(p * 10))].append((p, y))
    deciles = []
    error = 0.0
    for b in bins:
        if not b:
            deciles.append((0, 0.0, 0.0))
            continue
        mean = sum(p for p, _ in b) / len(b)
        observed = sum(1 for _, y in b if y) / len(b)
        deciles.append((len(b), mean, observed))
        error += len(b) * abs(mean - observed)
    return Score(name, brier, loss, error / len(pairs), tuple(deciles))


@dataclass(frozen=True)
class Backtest:
    weeks: int
    scored: tuple[Scored, ...]
    model: Score
    overall: Score
    momentum: Score


def backtest(
    timelines: Sequence[DealTimeline], ends: Sequence[datetime], now: datetime, stale_days: int
) -> Backtest:
    """At each week's end, fit on what was known then, forecast the deals open then, score them
    against how they ended (as known at ``now``, with the stale rule). Counts are kept
    incrementally: a deal's contribution changes only when its label does."""
    ordered = sorted(timelines, key=lambda t: t.created_at)
    counts = GroupCounts()
    current: dict[int, tuple[bool, datetime, dict[str, int]]] = {}
    final = {t.deal_id: label_at(t, now, stale_days) for t in ordered}
    scored: list[Scored] = []
    pending: list[DealTimeline] = []  # created and not closed by the last week's end
    taken = 0
    for end in sorted(ends):
        while taken < len(ordered) and ordered[taken].created_at <= end:
            pending.append(ordered[taken])
            taken += 1
        still: list[DealTimeline] = []
        for t in pending:
            label = label_at(t, end, stale_days)
            held = current.get(t.deal_id)
            closed = t.ended_by(end)
            if not closed:
                still.append(t)
            if label is None:
                if held is not None:
                    counts.add(held[2], held[0], -1)
                    del current[t.deal_id]
                continue
            if held is not None and (held[0], held[1]) == label:
                continue
            if held is not None:
                counts.add(held[2], held[0], -1)
            keys = training_keys(t, label[1], closed=closed)
            counts.add(keys, label[0])
            current[t.deal_id] = (label[0], label[1], keys)
        pending = still
        model = fit(counts, end, stale_days)
        for t in pending:
            outcome = final[t.deal_id]
            if t.deal_id in current or outcome is None:
                continue
            f = features_at(t, end)
            scored.append(
                Scored(
                    end,
                    t.deal_id,
                    forecast(model, f).probability,
                    model.overall,
                    float(WEIGHTS[f.level]),
                    outcome[0],
                )
            )
    return Backtest(
        weeks=len(ends),
        scored=tuple(scored),
        model=score("learned forecast", [(s.forecast, s.won) for s in scored]),
        overall=score("overall win rate", [(s.overall, s.won) for s in scored]),
        momentum=score("fixed momentum weights", [(s.momentum, s.won) for s in scored]),
    )
