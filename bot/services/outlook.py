"""The forecast where people look: each open deal's chance (learned, or a manager's override),
`/nextsteps forecast` for a rep, a manager's team or any team for an admin, the digest's weekly
change, the charts' figures, and the overrides' own line in the backtest.

The learning is ``bot.services.forecast`` (part 1); this module reads what it stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.domain.errors import FieldErrors, NotAllowed, UserFacingError
from bot.domain.forecast import Scored
from bot.domain.outlook import (
    ForecastChange,
    Move,
    Outlook,
    OverrideLine,
    OverrideSet,
    RepOutlook,
    SeenCalibration,
    TrendWeek,
    in_force,
    movers,
    outlook,
    override_lines,
    parse_percent,
    seen_calibration,
    what_moved,
)
from bot.domain.pipeline import Chance, Override
from bot.domain.vocabulary import DealStatus, Reaction, RepStatus
from bot.services.chances import chances
from bot.services.forecast import monday
from bot.services.permissions import managed_teams, manager_of, reps_managed_by
from bot.services.pipeline import load_pipeline
from bot.slack import ids
from models import Account, Deal, DealForecast, ForecastOverride, Meeting, Rep, SalesTeam, one_of

TREND_WEEKS = 12
REASON_NEEDED = "Say why, in a few words: the team learns whose judgement beats the data."
REASON_MAX = 500

# The same words whether the team is someone else's or does not exist: nothing is told about it.
TEAM_REFUSED = (
    "I can't show you that forecast. You can see your own deals' forecast, your team's if you "
    "manage one, and any team's if you're a workspace admin."
)
OVERRIDE_REFUSED = "Only the rep's manager or an admin can set an open deal's chance by hand."
NO_DEALS_YET = (
    "There's no forecast for you yet: you have no deals here and manage no team. Type `/meeting` after "
    "your next call and the forecast starts with it; an admin can name any team: `/nextsteps forecast <team>`."
)


# ---------------------------------------------------------------- a manager's override


def may_override(session: Session, team_id: str, deal_id: int, user_id: str, admin: bool) -> bool:
    """The deal owner's manager, or an admin; an open deal of this workspace only."""
    deal = session.get(Deal, deal_id)
    if deal is None or deal.team_id != team_id or deal.status != DealStatus.OPEN:
        return False
    if admin:
        return True
    owner = session.get(Rep, deal.owner_rep_id)
    return owner is not None and manager_of(session, owner) == user_id


@dataclass(frozen=True)
class OverrideForm:
    """What the override modal shows: the deal, its learned chance, and any override standing."""

    deal_id: int
    account_name: str
    deal_name: str
    learned: Chance
    current: Override | None


def override_form(
    session_factory: Callable[[], Session],
    team_id: str,
    deal_id: int,
    user_id: str,
    admin: bool,
    now: datetime,
) -> OverrideForm | None:
    """None: the person may not set this deal's chance (or it is not an open deal of this workspace)."""
    with session_factory() as session:
        if not may_override(session, team_id, deal_id, user_id, admin):
            return None
        deal = session.get(Deal, deal_id)
        assert deal is not None
        account = session.get(Account, deal.account_id)
        chance = chances(session, team_id, now, deal_ids=[deal_id]).get(deal_id)
        if chance is None:
            return None
        return OverrideForm(deal_id, account.name if account else "", deal.name, chance, chance.override)


def set_override(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    deal_id: int,
    user_id: str,
    admin: bool,
    probability: float | None,
    reason: str,
    now: datetime,
    name: str = "",
) -> None:
    """Keep a manager's probability for the deal (None: back to the learned figure), with the
    learned figure beside it. ``NotAllowed`` (nothing written) for anyone but the owner's manager
    or an admin, or a deal no longer open."""
    reason = reason.strip()
    if not reason:
        raise UserFacingError(REASON_NEEDED)
    with session_factory() as session:
        if not may_override(session, team_id, deal_id, user_id, admin):
            raise NotAllowed(OVERRIDE_REFUSED)
        learned = chances(session, team_id, now, deal_ids=[deal_id]).get(deal_id)
        rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        session.add(
            ForecastOverride(
                team_id=team_id,
                deal_id=deal_id,
                probability=probability,
                learned=learned.probability if learned else 0.0,
                reason=reason[:REASON_MAX],
                set_by_user_id=user_id,
                set_by_name=(rep.display_name if rep else name or user_id)[:200],
                set_at=now,
            )
        )
        session.commit()


def override_from_form(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    deal_id: int,
    user_id: str,
    admin: bool,
    probability_text: str | None,
    reason_text: str | None,
    now: datetime,
    name: str = "",
) -> None:
    """The override modal's Save: each field's fault next to it, then ``set_override``."""
    errors: dict[str, str] = {}
    probability: float | None = None
    try:
        probability = parse_percent(probability_text)
    except ValueError as error:
        errors[ids.OVERRIDE_PROBABILITY] = str(error)
    reason = (reason_text or "").strip()
    if not reason:
        errors[ids.OVERRIDE_REASON] = REASON_NEEDED
    if errors:
        raise FieldErrors(errors)
    set_override(
        session_factory,
        team_id=team_id,
        deal_id=deal_id,
        user_id=user_id,
        admin=admin,
        probability=probability,
        reason=reason,
        now=now,
        name=name,
    )


def override_changes(
    session: Session, team_id: str, deal_ids: Iterable[int] | None = None
) -> list[OverrideSet]:
    query = select(
        ForecastOverride.deal_id,
        ForecastOverride.set_at,
        ForecastOverride.probability,
        ForecastOverride.set_by_name,
    ).where(ForecastOverride.team_id == team_id)
    if deal_ids is not None:
        query = query.where(ForecastOverride.deal_id.in_(list(deal_ids)))
    return [
        OverrideSet(d, at, p, by) for d, at, p, by in session.execute(query.order_by(ForecastOverride.set_at))
    ]


def backtest_override_lines(
    session_factory: Callable[[], Session], team_id: str, scored: Sequence[Scored]
) -> list[OverrideLine]:
    """The backtest's line for managers' overrides: scored where they were in force."""
    with session_factory() as session:
        return override_lines(scored, override_changes(session, team_id))


# ---------------------------------------------------------------- `/nextsteps forecast`


@dataclass(frozen=True)
class ForecastScope:
    """Whose deals the asker gets: their own, their team's by rep, or a team an admin named."""

    title: str
    rep_ids: tuple[int, ...]
    by_rep: bool


def forecast_scope(
    session: Session, team_id: str, user_id: str, admin: bool, team_name: str = ""
) -> ForecastScope | None:
    """None: refused, or nothing to show (the asker has no deals and manages no team)."""
    name = team_name.strip()
    if name:
        team = session.scalar(
            select(SalesTeam).where(SalesTeam.team_id == team_id, func.lower(SalesTeam.name) == name.lower())
        )
        if team is None or not (admin or team.manager_user_id == user_id):
            return None
        reps = session.scalars(
            select(Rep).where(Rep.team_id == team_id, Rep.sales_team_id == team.id).order_by(Rep.display_name)
        ).all()
        return ForecastScope(team.name, tuple(r.id for r in reps), True)
    managed = reps_managed_by(session, team_id, user_id)
    if managed:
        names = ", ".join(t.name for t in managed_teams(session, team_id, user_id))
        return ForecastScope(names, tuple(r.id for r in managed), True)
    rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
    if rep is None:
        return None
    return ForecastScope("your deals", (rep.id,), False)


def team_forecast(session: Session, team_id: str, scope: ForecastScope, now: datetime) -> Outlook:
    reps = session.scalars(select(Rep).where(Rep.id.in_(scope.rep_ids)).order_by(Rep.display_name)).all()
    rows = []
    for rep in reps:
        p = load_pipeline(session, team_id, rep, now)
        if p.deals or rep.status != RepStatus.LEFT:
            rows.append(RepOutlook(rep.display_name + (" (left)" if rep.status == RepStatus.LEFT else ""), p))
    return outlook(scope.title, rows)


@dataclass(frozen=True)
class ForecastAnswer:
    scope: ForecastScope
    outlook: Outlook


def forecast_for(
    session_factory: Callable[[], Session],
    team_id: str,
    user_id: str,
    team_name: str,
    now: datetime,
    admin: Callable[[], bool],
) -> ForecastAnswer | None:
    """`/nextsteps forecast [team]`: the asker's forecast, or None (refused, told nothing about the team).

    ``admin`` is asked only when the person named a team they don't manage (it may ask Slack).
    """
    with session_factory() as session:
        scope = forecast_scope(session, team_id, user_id, False, team_name)
    if scope is None and team_name.strip() and admin():
        with session_factory() as session:
            scope = forecast_scope(session, team_id, user_id, True, team_name)
    if scope is None:
        return None
    with session_factory() as session:
        return ForecastAnswer(scope, team_forecast(session, team_id, scope, now))


@dataclass(frozen=True)
class ForecastCharts:
    calibration: SeenCalibration
    trend: list[TrendWeek]


def forecast_charts(
    session_factory: Callable[[], Session], team_id: str, scope: ForecastScope, now: datetime
) -> ForecastCharts:
    """The figures behind the two charts, for the deals of the scope's reps."""
    with session_factory() as session:
        return ForecastCharts(
            calibration_seen(session, team_id, scope.rep_ids),
            expected_trend(session, team_id, scope.rep_ids, now),
        )


# ---------------------------------------------------------------- the charts' figures


def _scope_deals(team_id: str, rep_ids: Sequence[int]) -> ColumnElement[bool]:
    return (Deal.team_id == team_id) & Deal.owner_rep_id.in_(list(rep_ids))


def expected_trend(
    session: Session, team_id: str, rep_ids: Sequence[int], now: datetime, weeks: int = TREND_WEEKS
) -> list[TrendWeek]:
    """The expected value and wins of these reps' open deals each week, as people saw them then
    (each week's kept probabilities, an override standing that week counted instead)."""
    first = monday(now) - timedelta(weeks=weeks - 1)
    rows = session.execute(
        select(DealForecast.week_start, DealForecast.deal_id, DealForecast.probability, Deal.amount)
        .join(Deal, Deal.id == DealForecast.deal_id)
        .where(
            DealForecast.team_id == team_id,
            DealForecast.week_start >= first,
            _scope_deals(team_id, rep_ids),
        )
    ).all()
    changes: dict[int, list[OverrideSet]] = defaultdict(list)
    for c in override_changes(session, team_id, {r.deal_id for r in rows}):
        changes[c.deal_id].append(c)
    by_week: dict[date, list[tuple[Decimal | None, float]]] = defaultdict(list)
    for week, deal_id, p, amount in rows:
        week_end = datetime.combine(week + timedelta(days=7), time.min, tzinfo=UTC)
        standing = in_force(changes.get(deal_id, []), min(week_end, now))
        by_week[week].append(
            (amount, standing.probability if standing and standing.probability is not None else p)
        )
    out = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        got = by_week.get(week, [])
        value = sum((a * Decimal(str(round(p, 4))) for a, p in got if a is not None), Decimal(0))
        out.append(TrendWeek(week, value.quantize(Decimal("0.01")), sum(p for _, p in got), len(got)))
    return out


def calibration_seen(session: Session, team_id: str, rep_ids: Sequence[int]) -> SeenCalibration:
    """The weekly figures people were shown for deals that have since ended, against how they ended;
    the overrides as their own line."""
    rows = session.execute(
        select(DealForecast.deal_id, DealForecast.week_start, DealForecast.probability, Deal.status)
        .join(Deal, Deal.id == DealForecast.deal_id)
        .where(
            DealForecast.team_id == team_id,
            _scope_deals(team_id, rep_ids),
            one_of(Deal.status, [DealStatus.WON, DealStatus.LOST]),
        )
    ).all()
    changes: dict[int, list[OverrideSet]] = defaultdict(list)
    for c in override_changes(session, team_id, {r.deal_id for r in rows}):
        changes[c.deal_id].append(c)
    learned: list[tuple[float, bool]] = []
    overridden: list[tuple[float, bool]] = []
    for deal_id, week, p, status in rows:
        won = status == DealStatus.WON
        learned.append((p, won))
        at = datetime.combine(week + timedelta(days=7), time.min, tzinfo=UTC)
        standing = in_force(changes.get(deal_id, []), at)
        if standing is not None and standing.probability is not None:
            overridden.append((standing.probability, won))
    return SeenCalibration(
        seen_calibration(learned),
        seen_calibration(overridden, "managers' overrides") if overridden else None,
        len({r.deal_id for r in rows}),
    )


# ---------------------------------------------------------------- the manager's weekly digest


def forecast_change(
    session: Session, team_id: str, rep_ids: Sequence[int], now: datetime
) -> ForecastChange | None:
    """These reps' open deals' chances now against what people were shown a week ago (the latest
    kept weekly figure at least a week old, with any override standing then); None before any."""
    week_ago = now - timedelta(weeks=1)
    rows = session.execute(
        select(
            DealForecast.week_start,
            DealForecast.deal_id,
            DealForecast.probability,
            DealForecast.computed_at,
            Deal.amount,
        )
        .join(Deal, Deal.id == DealForecast.deal_id)
        .where(
            DealForecast.team_id == team_id,
            DealForecast.week_start >= monday(now) - timedelta(weeks=3),
            DealForecast.computed_at <= week_ago,
            _scope_deals(team_id, rep_ids),
        )
        .order_by(DealForecast.week_start)
    ).all()
    if not rows:
        return None
    ids = {r.deal_id for r in rows}
    changes: dict[int, list[OverrideSet]] = defaultdict(list)
    for c in override_changes(session, team_id, ids):
        changes[c.deal_id].append(c)
    Seen = dict[int, tuple[float, datetime, Decimal | None]]
    before_rows: Seen = {}
    for _, deal_id, p, computed, amount in rows:  # oldest week first: the latest stands
        standing = in_force(changes.get(deal_id, []), computed)
        used = standing.probability if standing is not None and standing.probability is not None else p
        before_rows[deal_id] = (used, computed, amount)
    live = chances(session, team_id, now, owner_rep_ids=rep_ids)
    amounts = (
        dict(session.execute(select(Deal.id, Deal.amount).where(Deal.id.in_(list(live)))).all())
        if live
        else {}
    )
    now_rows: Seen = {d: (c.used, now, amounts.get(d)) for d, c in live.items()}

    def totals(got: Seen) -> tuple[Decimal, float]:
        value = sum((a * Decimal(str(round(p, 4))) for p, _, a in got.values() if a is not None), Decimal(0))
        return value.quantize(Decimal("0.01")), sum(p for p, *_ in got.values())

    after_value, after_wins = totals(now_rows)
    before_value, before_wins = totals(before_rows)
    both = [d for d in now_rows if d in before_rows]
    names = (
        {
            d.id: (d.name, account, rep)
            for d, account, rep in session.execute(
                select(Deal, Account.name, Rep.display_name)
                .join(Account, Account.id == Deal.account_id)
                .join(Rep, Rep.id == Deal.owner_rep_id)
                .where(Deal.id.in_(both))
            )
        }
        if both
        else {}
    )
    candidates = []
    for deal_id in both:
        after, at, _ = now_rows[deal_id]
        before, since, _ = before_rows[deal_id]
        if abs(after - before) < 0.01:
            continue
        candidates.append((deal_id, before, after, since, at))
    candidates.sort(key=lambda c: (-abs(c[2] - c[1]), c[0]))
    moves = []
    for deal_id, before, after, since, at in candidates[:10]:
        reactions = [
            Reaction(r) if r else None
            for r in session.scalars(
                select(Meeting.reaction)
                .where(
                    Meeting.deal_id == deal_id,
                    Meeting.withdrawn_at.is_(None),
                    Meeting.held_at > since,
                    Meeting.held_at <= at,
                )
                .order_by(Meeting.held_at, Meeting.id)
            )
        ]
        last_held = session.scalar(
            select(func.max(Meeting.held_at)).where(
                Meeting.deal_id == deal_id, Meeting.withdrawn_at.is_(None)
            )
        )
        set_since = [c for c in changes.get(deal_id, []) if since < c.at <= at]
        override = None
        if set_since:
            row = session.scalar(
                select(ForecastOverride)
                .where(ForecastOverride.deal_id == deal_id, ForecastOverride.set_at == set_since[-1].at)
                .order_by(ForecastOverride.id.desc())
                .limit(1)
            )
            if row is not None:
                override = (row.set_by_name, row.probability, row.reason)
        quiet = None if last_held is None else max(0, (at - last_held).days)
        name, account, rep = names[deal_id]
        moves.append(Move(deal_id, name, account, rep, before, after, what_moved(reactions, quiet, override)))
    return ForecastChange(
        after_value,
        after_wins,
        before_value,
        before_wins,
        len(now_rows),
        len(before_rows),
        tuple(movers(moves)),
    )


# ---------------------------------------------------------------- the override modal: one request


def override_form_for(
    session_factory: Callable[[], Session],
    team_id: str,
    deal_id: int | None,
    user_id: str,
    now: datetime,
    admin: Callable[[], bool],
) -> OverrideForm | None:
    """The override modal's values for the owner's manager, else for an admin (``admin`` asked only
    then: it may ask Slack); None for anyone else or a deal that is not open here."""
    if deal_id is None:
        return None
    return override_form(session_factory, team_id, deal_id, user_id, False, now) or override_form(
        session_factory, team_id, deal_id, user_id, admin(), now
    )
