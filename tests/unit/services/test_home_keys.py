"""The Home built from stored deal keys is the Home built by scoring every open deal, page for page.

A varied pipeline (withdrawn and late-logged meetings, steps of every status, moved steps, rows
dated after now, a fit or none), then random writes through the services (log a meeting, book a
step, edit a deal, win or lose one, override a chance, a new deal), the clock's writes (an
escalation as the sweep makes it, a new fit, a new stall threshold) and the writes no deal's
generation follows (an account renamed, the rep's team given or relieved of a manager), with time
passing in between across the DST changes of Europe and the US (or none: several builds at the
same instant, where the deals kept from an earlier build are most at risk of being stale). After each, every page of the Home from
``home_page`` (stored keys, refreshed where stale) renders exactly as ``page_of(load_pipeline())``
(every deal scored from scratch) does.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from bot.domain.errors import FieldErrors
from bot.domain.nudge_kinds import ESCALATING
from bot.domain.pipeline import page_of
from bot.domain.vocabulary import AskType, DealStatus, LostReason, NextStepStatus, Reaction
from bot.services.deal_edits import DealDetails, close_deal, edit_deal
from bot.services.forecast import fit_workspace
from bot.services.home_keys import _Scores, home_page, stale_deals
from bot.services.meetings import MeetingForm, book_next_step, log_meeting
from bot.services.outlook import set_override
from bot.services.pipeline import load_pipeline
from bot.slack.blocks.app_home import PAGE_SIZE, home_view
from models import Account, Deal, NextStep, Nudge, Rep, SalesTeam, Workspace, make_session_factory
from tests.seeds import pipeline as seed
from tests.unit.services.test_home_chances import _varied

START = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)  # Europe leaves DST on 25 Oct, the US on 1 Nov
BERLIN = ZoneInfo("Europe/Berlin")


def _same_home(sessions, rep_id: int, now: datetime) -> int:
    """Every page (and one past the end) from the stored keys equals the one scored from scratch."""
    with sessions() as session:
        rep = session.get(Rep, rep_id)
        whole = load_pipeline(session, "T1", rep, now)
    n = len(whole.deals)
    for start in [*range(0, max(n, 1), PAGE_SIZE), n + 3]:
        with sessions() as session:
            rep = session.get(Rep, rep_id)
            stored = home_page(session, "T1", rep.id, now, start)
            session.commit()
        fresh = page_of(whole, start)
        assert [s.facts.deal_id for s in stored.deals] == [s.facts.deal_id for s in fresh.deals]
        # Whether scored now or kept from an earlier build, each deal's facts, chance and signals are
        # what scoring it from scratch gives.
        assert list(stored.deals) == list(fresh.deals)
        got, want = home_view(stored, now, BERLIN)["blocks"], home_view(fresh, now, BERLIN)["blocks"]
        assert [b for b in got if b not in want] == [b for b in want if b not in got], (
            now,
            start,
            [b for b in got if b not in want],
            [b for b in want if b not in got],
        )
        assert got == want
    with sessions() as session:
        assert stale_deals(session, "T1", rep_id, now) == [], "stored, then fresh"
    return n


def _open_deals(session, rep_id: int) -> list[Deal]:
    return list(
        session.scalars(
            select(Deal).where(Deal.owner_rep_id == rep_id, Deal.status == DealStatus.OPEN).order_by(Deal.id)
        )
    )


# The writes, the likelier ones twice.
WRITES = (
    "meeting",
    "meeting",
    "book",
    "book",
    "edit",
    "close",
    "override",
    "escalate",
    "escalate",
    "new",
    "threshold",
    "fit",
    "rename",
    "manager",
    "re-escalate",
)


def _write(sessions, rng: random.Random, rep_id: int, now: datetime, fitted: bool, what: str) -> str:
    with sessions() as session:
        deals = _open_deals(session, rep_id)
        if not deals:
            what = "new"
        deal = rng.choice(deals) if deals else None
        if what in ("meeting", "new"):
            reaction = rng.choice([*Reaction, None])
            form = MeetingForm(
                account=f"acct:{deal.account_id}"
                if what == "meeting" and deal
                else f"new:Fresh {rng.random()}",
                deal=str(deal.id) if what == "meeting" and deal else None,
                held_at=now - timedelta(minutes=rng.randint(5, 3000)),
                ask_text="Shall we meet Tuesday at 10 with your CFO?",
                ask_type=rng.choice(list(AskType)),
                reaction=reaction,
                next_step="Demo" if reaction in (Reaction.BOOKED, Reaction.AGREED_UNSCHEDULED) else None,
                next_step_at=now + timedelta(hours=rng.randint(2, 200))
                if reaction is Reaction.BOOKED
                else None,
            )
            try:
                log_meeting(session, team_id="T1", user_id="UREP", form=form, view_id=None, now=now)
            except FieldErrors:
                return f"{what} refused"
        elif what == "book":
            step = session.scalar(
                select(NextStep)
                .join(Deal, Deal.id == NextStep.deal_id)
                .where(Deal.owner_rep_id == rep_id, Deal.status == DealStatus.OPEN)
                .where(NextStep.status.in_([NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED]))
                .order_by(NextStep.id.desc())
                .limit(1)
                .offset(rng.randint(0, 5))
            )
            if step is None:
                return "book: none"
            try:
                book_next_step(
                    session,
                    team_id="T1",
                    user_id="UREP",
                    next_step_id=step.id,
                    at=now + timedelta(hours=rng.randint(1, 100)),
                    description=None,
                    now=now,
                )
            except FieldErrors:
                return "book refused"
        elif what == "edit" and deal:
            amount = rng.choice([None, "1200", "99999.99", str(rng.randint(1, 10**7))])
            edit_deal(
                session,
                team_id="T1",
                user_id="UREP",
                deal_id=deal.id,
                details=DealDetails(deal.name, amount, rng.choice([None, "Proposal"]), None),
                now=now,
            )
        elif what == "close" and deal:
            won = rng.random() < 0.5
            close_deal(
                session,
                team_id="T1",
                user_id="UREP",
                deal_id=deal.id,
                won=won,
                reason=None if won else LostReason.DECLINED,
                now=now,
            )
        elif what == "override" and deal:
            session.close()
            set_override(
                sessions,
                team_id="T1",
                deal_id=deal.id,
                user_id="UADMIN",
                admin=True,
                probability=rng.choice([None, 0.05, 0.42, 0.9]),
                reason="signed LOI",
                now=now,
                name="Mia",
            )
        elif what in ("escalate", "re-escalate"):
            # As the sweep does: a Core UPDATE, no ORM object in sight. Escalate or un-escalate one
            # of the rep's nudges; or escalate an open unscheduled step again: its flag stays, the
            # time it shows moves.
            again = what == "re-escalate"
            chosen = select(Nudge).where(Nudge.rep_id == rep_id).order_by(Nudge.id)
            if again:
                chosen = chosen.join(NextStep, NextStep.id == Nudge.next_step_id).where(
                    Nudge.escalated_at.is_not(None), NextStep.status == NextStepStatus.UNSCHEDULED
                )
            nudge = session.scalar(chosen.offset(0 if again else rng.randint(0, 9)).limit(1))
            if nudge is None:
                return f"{what}: none"
            if again:
                at = nudge.escalated_at - timedelta(minutes=rng.randint(1, 600))
            else:
                at = None if nudge.escalated_at else now
            session.execute(update(Nudge).where(Nudge.id == nudge.id).values(escalated_at=at))
        elif what == "threshold":
            session.get(Workspace, "T1").stalled_after_days = rng.choice([7, 14, 30])
        elif what == "fit" and fitted:
            fit_workspace(session, "T1", now)
        elif what == "rename" and deal:
            session.get(Account, deal.account_id).name = f"Renamed {rng.randint(1, 10**6)}"
        elif what == "manager":
            team = session.scalar(select(SalesTeam).where(SalesTeam.team_id == "T1"))
            team.manager_user_id = None if team.manager_user_id else "UBOSS"
        session.commit()
    return what


@pytest.mark.parametrize(("fitted", "seed_"), [(False, 1), (True, 2), (True, 3), (False, 4), (True, 5)])
def test_the_stored_home_is_the_home_scored_from_scratch(engine, fitted, seed_):
    rng = random.Random(seed_)
    sessions = make_session_factory(engine)
    with sessions() as session:
        rep = seed.rep(session, "T1", "UREP", START)
        rep.timezone = "Europe/Berlin"
        team = SalesTeam(team_id="T1", name="East", manager_user_id=None, created_at=START)
        session.add(team)
        session.flush()
        rep.sales_team_id = team.id
        other = seed.rep(session, "T1", "UOTHER", START)
        _varied(session, rng, rep, 55, ended=False)
        if fitted:
            _varied(session, rng, other, 40, ended=True)
        for step in session.scalars(select(NextStep).where(NextStep.rep_id == rep.id)).all()[:40]:
            for kind in sorted(ESCALATING)[:1]:
                session.add(
                    Nudge(
                        team_id="T1",
                        kind=kind,
                        rep_id=rep.id,
                        next_step_id=step.id,
                        deal_id=step.deal_id,
                        subject_key=f"step:{step.id}",
                        window_key="w",
                        due_at=START,
                        escalated_at=START if rng.random() < 0.3 else None,
                    )
                )
        for d in _open_deals(session, rep.id)[::3]:
            d.amount = Decimal(rng.randint(100, 10**6)) / 100
        session.commit()
        if fitted:
            fit_workspace(session, "T1", START)
            session.commit()
        rep_id = rep.id
    now = START
    assert _same_home(sessions, rep_id, now) == 55
    done = []
    # Every kind of write at least once (in a random order), then at random.
    planned = [*rng.sample(sorted(set(WRITES)), len(set(WRITES))), *(rng.choice(WRITES) for _ in range(30))]
    for _ in range(20):
        for _ in range(rng.randint(1, 2)):
            done.append(_write(sessions, rng, rep_id, now, fitted, planned.pop(0)))
        _same_home(sessions, rep_id, now)
        now += rng.choice(
            [timedelta(0), timedelta(minutes=rng.randint(1, 600)), timedelta(days=rng.randint(1, 4))]
        )
        _same_home(sessions, rep_id, now)
    # The run wrote what it means to: meetings, bookings, closes, overrides, escalations.
    assert {"meeting", "book", "close", "override", "escalate", "rename", "manager", "re-escalate"} <= set(
        done
    ), done


def _statements_of(engine, build) -> tuple[object, list[str]]:
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        return build(), statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_home_opened_again_scores_its_page_once_and_a_fix_made_by_hand_shows_within_keep_for(engine):
    sessions = make_session_factory(engine)
    with sessions() as session:
        rep = seed.rep(session, "T1", "UREP", START)
        _varied(session, random.Random(7), rep, 8, ended=False)
        session.commit()
        rep_id = rep.id

    def build(now: datetime):
        with sessions() as session:
            page = home_page(session, "T1", rep_id, now)
            session.commit()
            return page

    first, cold = _statements_of(engine, lambda: build(START))
    again, warm = _statements_of(engine, lambda: build(START + timedelta(minutes=1)))
    # The page deals were scored by the first build: the second reads the page and nothing else of them.
    assert len(warm) < len(cold) - 5, (len(warm), len(cold))
    assert not [s for s in warm if "meetings" in s.lower()], warm
    assert [d.facts.deal_id for d in again.deals] == [d.facts.deal_id for d in first.deals]
    # A deal renamed in SQL, bypassing its generation: kept for at most KEEP_FOR, then read again.
    deal_id = again.deals[0].facts.deal_id
    with sessions() as session:
        session.execute(update(Deal).where(Deal.id == deal_id).values(name="Fixed by hand"))
        session.commit()
    later = START + timedelta(minutes=1) + _Scores.KEEP_FOR + timedelta(seconds=1)
    shown = {d.facts.deal_id: d.facts.name for d in build(later).deals}
    assert shown[deal_id] == "Fixed by hand"
    with sessions() as session:
        whole = load_pipeline(session, "T1", session.get(Rep, rep_id), later)
    assert list(build(later).deals) == list(page_of(whole, 0).deals)
