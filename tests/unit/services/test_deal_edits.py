"""Closing, correcting and reassigning deals: owners, managers, admins, and nobody else."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain.errors import FieldErrors, NotAllowed, UserFacingError
from bot.domain.vocabulary import AskType, DealStatus, LostReason, NextStepStatus, Reaction
from bot.services.deal_edits import (
    DealDetails,
    MeetingEdit,
    close_deal,
    edit_deal,
    edit_meeting,
    reassign_deal,
)
from bot.services.meetings import MeetingForm, log_meeting
from bot.slack import ids
from models import Deal, Meeting, NextStep, Rep, SalesTeam
from tests.seeds.meetings import logged


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
    from bot.services.deal_edits import withdraw_meeting

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
    from bot.services.deal_history import find_deals

    mine = logged(session, now, user="U1", account="new:Acme Mine")
    for n in range(12):
        logged(session, now + timedelta(minutes=n + 1), user="U2", account=f"new:Acme Other {n}")
    assert mine.deal_id not in [d.id for d in find_deals(session, "T1", "acme", limit=10)]
    found = find_deals(session, "T1", "acme", limit=10, owner_rep_ids=[mine.rep_id])
    assert [d.id for d in found] == [mine.deal_id]


def _log(session, at, view, reaction, *, account="new:Acme", deal=None, step_at=None):
    return log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id=view,
        now=at,
        form=MeetingForm(
            account=account,
            deal=deal,
            held_at=at - timedelta(hours=1),
            ask_text="Shall we meet Tuesday at 10?",
            ask_type=AskType.SCHEDULED_MEETING if reaction is not None else AskType.NO_ASK,
            reaction=reaction,
            next_step_at=step_at,
        ),
    )


def _follow_up(session, first, at, view, reaction, step_at=None):
    """A later meeting on the same deal."""
    return _log(
        session,
        at,
        view,
        reaction,
        account=f"acct:{first.account_id}",
        deal=str(first.deal_id),
        step_at=step_at,
    )


def _meeting_edit(at, reaction, **changed) -> MeetingEdit:
    values = dict(
        held_at=at - timedelta(hours=2),
        kind=None,
        ask_text="Shall we meet Tuesday at 10?",
        ask_type=AskType.SCHEDULED_MEETING,
        reaction=reaction,
        notes=None,
    )
    return MeetingEdit(**{**values, **changed})


def _edit(session, meeting_id, at, reaction, **changed):
    return edit_meeting(
        session,
        team_id="T1",
        user_id="U1",
        meeting_id=meeting_id,
        now=at,
        edit=_meeting_edit(at, reaction, **changed),
    )


def test_withdrawing_a_meeting_puts_back_the_steps_it_counted_as_happened(session, now):
    from bot.services.deal_edits import withdraw_meeting

    booked = _log(session, now, "V1", Reaction.BOOKED, step_at=now + timedelta(days=1))
    later = now + timedelta(days=1, hours=2)
    by_mistake = _follow_up(session, booked, later, "V2", Reaction.AGREED_UNSCHEDULED)
    first_step = session.get(NextStep, booked.next_step_id)
    assert first_step.status == NextStepStatus.DONE and first_step.done_by_meeting_id == by_mistake.meeting_id

    withdraw_meeting(session, team_id="T1", user_id="U1", meeting_id=by_mistake.meeting_id, now=later)
    session.expire_all()
    first_step = session.get(NextStep, booked.next_step_id)
    # booked for yesterday and nothing real logged since: open again, so the clock sees it overdue
    assert first_step.status == NextStepStatus.BOOKED and first_step.scheduled_at == now + timedelta(days=1)
    assert first_step.nudge_check_at == later and first_step.done_by_meeting_id is None
    assert session.get(NextStep, by_mistake.next_step_id).status == NextStepStatus.CANCELLED
    assert session.get(Deal, booked.deal_id).last_meeting_at == now - timedelta(hours=1)


def test_withdrawing_puts_an_unscheduled_step_back_unscheduled_but_not_on_a_closed_deal(session, now):
    from bot.services.deal_edits import withdraw_meeting

    agreed = _log(session, now, "V1", Reaction.AGREED_UNSCHEDULED)
    second = _follow_up(session, agreed, now + timedelta(hours=3), "V2", Reaction.HESITANT)
    withdraw_meeting(
        session, team_id="T1", user_id="U1", meeting_id=second.meeting_id, now=now + timedelta(hours=4)
    )
    session.expire_all()
    assert session.get(NextStep, agreed.next_step_id).status == NextStepStatus.UNSCHEDULED

    third = _follow_up(session, agreed, now + timedelta(hours=5), "V3", Reaction.HESITANT)
    close_deal(
        session,
        team_id="T1",
        user_id="U1",
        deal_id=agreed.deal_id,
        won=True,
        reason=None,
        now=now + timedelta(hours=6),
    )
    withdraw_meeting(
        session, team_id="T1", user_id="U1", meeting_id=third.meeting_id, now=now + timedelta(hours=7)
    )
    session.expire_all()
    assert session.get(NextStep, agreed.next_step_id).status == NextStepStatus.DONE
    assert session.get(Deal, agreed.deal_id).stall_check_at is None  # a won deal never stalls


def test_editing_booked_to_agreed_takes_the_date_off_the_step(session, now):
    booked = _log(session, now, "V1", Reaction.BOOKED, step_at=now + timedelta(days=2))
    _edit(session, booked.meeting_id, now + timedelta(hours=1), Reaction.AGREED_UNSCHEDULED)
    step = session.get(NextStep, booked.next_step_id)
    assert step.status == NextStepStatus.UNSCHEDULED
    assert step.scheduled_at is None and step.booked_at is None
    assert step.nudge_check_at == now + timedelta(hours=1)  # nudged like any unscheduled step
    assert session.get(Rep, booked.rep_id).streak == 0


def test_editing_a_decline_back_to_agreed_reopens_the_step_and_clears_the_risk(session, now):
    agreed = _log(session, now, "V1", Reaction.AGREED_UNSCHEDULED)
    _edit(session, agreed.meeting_id, now + timedelta(hours=1), Reaction.DECLINED)
    step = session.get(NextStep, agreed.next_step_id)
    assert step.status == NextStepStatus.CANCELLED
    assert session.get(Deal, agreed.deal_id).at_risk_since == now + timedelta(hours=1)

    _edit(session, agreed.meeting_id, now + timedelta(hours=2), Reaction.HESITANT)
    session.expire_all()
    step = session.get(NextStep, agreed.next_step_id)
    assert step.status == NextStepStatus.UNSCHEDULED and step.nudge_check_at == now + timedelta(hours=2)
    assert session.get(Deal, agreed.deal_id).at_risk_since is None


def test_editing_the_notes_after_booked_it_keeps_the_date(session, now):
    from bot.services.meetings import book_next_step

    agreed = _log(session, now, "V1", Reaction.AGREED_UNSCHEDULED)
    thursday = now + timedelta(days=2)
    book_next_step(
        session,
        team_id="T1",
        user_id="U1",
        next_step_id=agreed.next_step_id,
        at=thursday,
        description=None,
        now=now,
    )
    # the reaction stays "agreed, not yet scheduled": Booked it dated the step, not the meeting
    _edit(session, agreed.meeting_id, now + timedelta(hours=1), Reaction.AGREED_UNSCHEDULED)
    step = session.get(NextStep, agreed.next_step_id)
    assert step.status == NextStepStatus.BOOKED and step.scheduled_at == thursday


EDIT_FAULTS = [
    # (what is wrong, the field that says so)
    ({"held_at": None}, ids.HELD_AT),
    ({"held_at": "future"}, ids.HELD_AT),
    ({"held_at": "long ago"}, ids.HELD_AT),
    ({"ask_type": None}, ids.ASK_TYPE),
    ({"ask_text": None}, ids.ASK),
    ({"ask_text": "x" * 3001}, ids.ASK),
    ({"reaction": None}, ids.REACTION),
    ({"notes": "n" * 3001}, ids.NOTES),
]


@pytest.mark.parametrize(("fault", "field"), EDIT_FAULTS)
def test_an_edit_is_refused_in_the_words_logging_uses_and_changes_nothing(session, now, fault, field):
    """The same mistake reads the same in the /meeting modal and the edit modal."""
    meeting = _log(session, now, "V1", Reaction.AGREED_UNSCHEDULED)
    at = now + timedelta(hours=1)
    special = {"future": at + timedelta(hours=2), "long ago": at - timedelta(days=400)}
    fault = {k: special.get(v, v) if isinstance(v, str) else v for k, v in fault.items()}
    reaction = fault.pop("reaction", Reaction.HESITANT)
    with pytest.raises(FieldErrors) as edited:
        _edit(session, meeting.meeting_id, at, reaction, **fault)
    # The same values logged as a new meeting (an edit is the /meeting form without its account).
    form = _meeting_edit(at, reaction, **fault)
    form.account = "new:Acme"
    with pytest.raises(FieldErrors) as logged_anew:
        log_meeting(session, team_id="T1", user_id="U1", view_id="V2", now=at, form=form)
    assert list(edited.value.errors) == [field], "no account or date is asked of an edit"
    assert edited.value.errors[field] == logged_anew.value.errors[field]
    session.expire_all()
    kept = session.get(Meeting, meeting.meeting_id)
    assert (kept.version, kept.reaction) == (1, Reaction.AGREED_UNSCHEDULED)
    assert kept.ask_text == "Shall we meet Tuesday at 10?"


def test_an_edit_says_what_was_missing_and_why(session, now):
    meeting = _log(session, now, "V1", Reaction.AGREED_UNSCHEDULED)

    def refused(reaction=Reaction.AGREED_UNSCHEDULED, **changed):
        with pytest.raises(FieldErrors) as caught:
            _edit(session, meeting.meeting_id, now, reaction, **changed)
        return caught.value.errors

    assert "what did you ask them to agree to?" in refused(ask_text=None)[ids.ASK]
    assert "Their reaction is the signal" in refused(reaction=None)[ids.REACTION]
    assert "you did ask" in refused(ask_type=AskType.NO_ASK, reaction=Reaction.BOOKED)[ids.ASK_TYPE]
