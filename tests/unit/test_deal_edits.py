"""Closing, correcting and reassigning deals: owners, managers, admins, and nobody else."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import ids
from bot.deal_edits import DealDetails, close_deal, edit_deal, reassign_deal
from bot.errors import FieldErrors, NotAllowed, UserFacingError
from bot.meetings import MeetingForm, log_meeting
from bot.vocabulary import AskType, DealStatus, LostReason, NextStepStatus, Reaction
from models import Deal, NextStep, Rep, SalesTeam


def logged(session, now, user="U1", team="T1", account="new:Acme"):
    return log_meeting(
        session,
        team_id=team,
        user_id=user,
        view_id=None,
        now=now,
        form=MeetingForm(
            account=account,
            held_at=now - timedelta(hours=1),
            ask_text="Shall we meet Tuesday at 10?",
            ask_type=AskType.SCHEDULED_MEETING,
            reaction=Reaction.AGREED_UNSCHEDULED,
        ),
    )


def test_lost_needs_a_reason_and_cancels_the_open_step(session, now):
    meeting = logged(session, now)
    with pytest.raises(FieldErrors) as caught:
        close_deal(
            session, team_id="T1", user_id="U1", deal_id=meeting.deal_id, won=False, reason=None, now=now
        )
    assert ids.LOST_REASON in caught.value.errors
    close_deal(
        session,
        team_id="T1",
        user_id="U1",
        deal_id=meeting.deal_id,
        won=False,
        reason=LostReason.COMPETITOR,
        now=now,
    )
    deal = session.get(Deal, meeting.deal_id)
    assert (deal.status, deal.lost_reason, deal.closed_at) == (DealStatus.LOST, LostReason.COMPETITOR, now)
    assert session.get(NextStep, meeting.next_step_id).status == NextStepStatus.CANCELLED
    with pytest.raises(UserFacingError, match="already lost"):
        close_deal(
            session, team_id="T1", user_id="U1", deal_id=meeting.deal_id, won=True, reason=None, now=now
        )


def test_only_the_owner_closes_or_edits_a_deal(session, now):
    meeting = logged(session, now)
    logged(session, now, user="U2", account="new:Other")
    for attempt in (
        lambda: close_deal(
            session, team_id="T1", user_id="U2", deal_id=meeting.deal_id, won=True, reason=None, now=now
        ),
        lambda: close_deal(
            session, team_id="T2", user_id="U1", deal_id=meeting.deal_id, won=True, reason=None, now=now
        ),
        lambda: edit_deal(
            session,
            team_id="T1",
            user_id="U2",
            deal_id=meeting.deal_id,
            details=DealDetails("Renamed", None, None, None),
            now=now,
        ),
    ):
        with pytest.raises(NotAllowed):
            attempt()
    assert session.get(Deal, meeting.deal_id).status == DealStatus.OPEN


def test_edit_deal_reads_amounts_as_people_type_them(session, now):
    meeting = logged(session, now)
    edit_deal(
        session,
        team_id="T1",
        user_id="U1",
        deal_id=meeting.deal_id,
        details=DealDetails("  Acme   renewal ", "$25,000", "Proposal", date(2027, 1, 31)),
        now=now,
    )
    deal = session.get(Deal, meeting.deal_id)
    assert (deal.name, deal.amount, deal.stage, deal.expected_close) == (
        "Acme renewal",
        Decimal("25000"),
        "Proposal",
        date(2027, 1, 31),
    )
    with pytest.raises(FieldErrors) as caught:
        edit_deal(
            session,
            team_id="T1",
            user_id="U1",
            deal_id=meeting.deal_id,
            details=DealDetails("", "lots", None, None),
            now=now,
        )
    assert set(caught.value.errors) == {ids.DEAL_NAME, ids.DEAL_AMOUNT}
    assert session.get(Deal, meeting.deal_id).name == "Acme renewal", "nothing changed"


def test_a_manager_or_admin_reassigns_a_deal_with_its_open_step(session, now):
    meeting = logged(session, now)
    rep = session.get(Rep, meeting.rep_id)
    team = SalesTeam(team_id="T1", name="West", manager_user_id="UMGR", created_at=now)
    session.add(team)
    session.flush()
    rep.sales_team_id = team.id
    session.commit()
    with pytest.raises(NotAllowed):
        reassign_deal(
            session,
            team_id="T1",
            user_id="U3",
            admin=False,
            deal_id=meeting.deal_id,
            to_user_id="U3",
            now=now,
        )
    with pytest.raises(NotAllowed):
        reassign_deal(
            session,
            team_id="T2",
            user_id="UMGR",
            admin=True,
            deal_id=meeting.deal_id,
            to_user_id="U3",
            now=now,
        )
    reassign_deal(
        session, team_id="T1", user_id="UMGR", admin=False, deal_id=meeting.deal_id, to_user_id="U4", now=now
    )
    new_owner = session.scalars(select(Rep).where(Rep.user_id == "U4")).one()
    assert session.get(Deal, meeting.deal_id).owner_rep_id == new_owner.id
    step = session.get(NextStep, meeting.next_step_id)
    assert step.rep_id == new_owner.id and step.nudge_check_at == now, "the new owner gets its nudges"
    reassign_deal(
        session, team_id="T1", user_id="UADMIN", admin=True, deal_id=meeting.deal_id, to_user_id="U1", now=now
    )
    assert session.get(Deal, meeting.deal_id).owner_rep_id == meeting.rep_id


def test_withdrawing_a_booked_meeting_takes_it_out_of_the_streak(session, now):
    from bot.deal_edits import withdraw_meeting

    def booked(view, at):
        return log_meeting(
            session,
            team_id="T1",
            user_id="U1",
            view_id=view,
            now=at,
            form=MeetingForm(
                account="new:Acme",
                held_at=at - timedelta(hours=1),
                ask_text="Tuesday at 10?",
                ask_type=AskType.SCHEDULED_MEETING,
                reaction=Reaction.BOOKED,
                next_step_at=at + timedelta(days=3),
            ),
        )

    booked("V1", now)
    last = booked("V2", now + timedelta(hours=2))
    assert session.get(Rep, last.rep_id).streak == 2
    withdraw_meeting(
        session, team_id="T1", user_id="U1", meeting_id=last.meeting_id, now=now + timedelta(hours=3)
    )
    assert session.get(Rep, last.rep_id).streak == 1


def test_finding_a_deal_by_name_is_filtered_by_owner_before_the_limit(session, now):
    """A rep's own 'Acme' deal is found even when colleagues have many newer 'Acme' deals."""
    from bot.deal_history import find_deals

    mine = logged(session, now, user="U1", account="new:Acme Mine")
    for n in range(12):
        logged(session, now + timedelta(minutes=n + 1), user="U2", account=f"new:Acme Other {n}")
    assert mine.deal_id not in [d.id for d in find_deals(session, "T1", "acme", limit=10)]
    found = find_deals(session, "T1", "acme", limit=10, owner_rep_ids=[mine.rep_id])
    assert [d.id for d in found] == [mine.deal_id]
