"""The services the buttons and commands call: the session factory in, one transaction, plain values out."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

from bot.domain.errors import NotAllowed, UserFacingError
from bot.domain.vocabulary import AskType, DealStatus, LostReason, Reaction
from bot.services.accounts import account_named
from bot.services.deal_edits import (
    MEETING_NOT_EDITABLE,
    REASSIGN_REFUSED,
    close_deal,
    deal_of_rep,
    meeting_to_edit,
    reassign_form,
    win_deal,
)
from bot.services.deal_history import deals_visible_to, history_for
from bot.services.deals import replacement_for
from bot.services.export import TEAM_EXPORT_REFUSED, exported_csv, plan_export
from bot.services.leaderboard import board_for
from bot.services.next_steps import StepClosed, step_to_book
from bot.services.nudge_answers import NOT_YOURS, answer_didnt_happen, answer_snooze, nudge_subject
from bot.services.pauses import pause_nudges, resume_nudges
from bot.services.permissions import DEAL_NOT_YOURS, STEP_NOT_YOURS
from bot.services.pipeline import team_hygiene
from bot.services.settings import choose_privacy
from models import Deal, Rep, SalesTeam, make_session_factory
from tests.seeds.meetings import logged as seeded_meeting


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


def logged(session, now, user="U1", account="new:Acme"):
    return seeded_meeting(session, now, user=user, account=account, next_step="Demo for the team")


def managed_by(session, now, rep_id, manager="UMGR"):
    team = SalesTeam(team_id="T1", name="West", manager_user_id=manager, created_at=now)
    session.add(team)
    session.flush()
    session.get(Rep, rep_id).sales_team_id = team.id
    session.commit()


def test_the_step_to_book_is_the_reps_own_open_one(session, session_factory, now):
    meeting = logged(session, now)
    step = step_to_book(session_factory, "T1", "U1", meeting.next_step_id)
    assert (step.step_id, step.description, step.deal_name, step.scheduled_at) == (
        meeting.next_step_id,
        "Demo for the team",
        "Acme opportunity",
        None,
    )
    with pytest.raises(NotAllowed, match=re.escape(STEP_NOT_YOURS)):
        step_to_book(session_factory, "T1", "U2", meeting.next_step_id)
    close_deal(
        session,
        team_id="T1",
        user_id="U1",
        deal_id=meeting.deal_id,
        won=False,
        reason=LostReason.COMPETITOR,
        now=now,
    )
    with pytest.raises(StepClosed) as closed:
        step_to_book(session_factory, "T1", "U1", meeting.next_step_id)
    assert closed.value.status == "cancelled"
    assert str(closed.value) == "That next step is already cancelled. Log a meeting instead."


def test_a_reps_own_deal_for_the_home_tab_and_winning_it(session, session_factory, now):
    meeting = logged(session, now)
    deal = deal_of_rep(session_factory, "T1", "U1", meeting.deal_id)
    assert (deal.name, deal.account_name, deal.open) == ("Acme opportunity", "Acme", True)
    assert replacement_for(session_factory, "T1", "U1", meeting.deal_id).account_name == "Acme"
    for refused in (
        lambda: deal_of_rep(session_factory, "T1", "U2", meeting.deal_id),
        lambda: replacement_for(session_factory, "T1", "U2", meeting.deal_id),
        lambda: win_deal(session_factory, team_id="T1", user_id="U2", deal_id=meeting.deal_id, now=now),
    ):
        with pytest.raises(NotAllowed, match=re.escape(DEAL_NOT_YOURS)):
            refused()
    win_deal(session_factory, team_id="T1", user_id="U1", deal_id=meeting.deal_id, now=now)
    session.expire_all()
    assert session.get(Deal, meeting.deal_id).status == DealStatus.WON  # committed
    assert not deal_of_rep(session_factory, "T1", "U1", meeting.deal_id).open


def test_the_meeting_to_edit_is_plain_values(session, session_factory, now):
    meeting = logged(session, now)
    shown = meeting_to_edit(
        session_factory, team_id="T1", user_id="U1", meeting_id=meeting.meeting_id, now=now
    )
    assert (shown.id, shown.ask_type, shown.reaction, shown.deal_name) == (
        meeting.meeting_id,
        AskType.SCHEDULED_MEETING,
        Reaction.AGREED_UNSCHEDULED,
        "Acme opportunity",
    )
    with pytest.raises(UserFacingError, match=re.escape(MEETING_NOT_EDITABLE)):
        meeting_to_edit(
            session_factory,
            team_id="T1",
            user_id="U1",
            meeting_id=meeting.meeting_id,
            now=now + timedelta(days=8),
        )


def test_reassigning_asks_about_admin_only_for_someone_who_does_not_manage_the_owner(
    session, session_factory, now
):
    meeting = logged(session, now)
    managed_by(session, now, meeting.rep_id)
    asked: list[str] = []

    def admin(answer):
        return lambda: asked.append("admin?") or answer

    form = reassign_form(
        session_factory, team_id="T1", user_id="UMGR", deal_id=meeting.deal_id, admin=admin(False)
    )
    assert (form.deal_name, form.account_name) == ("Acme opportunity", "Acme") and asked == []
    with pytest.raises(NotAllowed, match=re.escape(REASSIGN_REFUSED)):
        reassign_form(
            session_factory, team_id="T1", user_id="U5", deal_id=meeting.deal_id, admin=admin(False)
        )
    assert reassign_form(
        session_factory, team_id="T1", user_id="U5", deal_id=meeting.deal_id, admin=admin(True)
    )
    asked.clear()
    with pytest.raises(NotAllowed, match=re.escape(REASSIGN_REFUSED)):  # another workspace: Slack isn't asked
        reassign_form(session_factory, team_id="T2", user_id="U5", deal_id=meeting.deal_id, admin=admin(True))
    assert asked == []


def test_history_and_deal_search_as_each_viewer_sees_them(session, session_factory, now):
    meeting = logged(session, now)
    managed_by(session, now, meeting.rep_id)
    assert not history_for(session_factory, "T1", "U1", meeting.deal_id, now).can_reassign
    assert history_for(session_factory, "T1", "UMGR", meeting.deal_id, now).can_reassign
    assert [d.name for d in deals_visible_to(session_factory, "T1", "UMGR", "acme", admin=False)] == [
        "Acme opportunity"
    ]
    assert deals_visible_to(session_factory, "T1", "U5", "acme", admin=False) == []
    assert [d.account_name for d in deals_visible_to(session_factory, "T1", "U5", "acme", admin=True)] == [
        "Acme"
    ]


def test_export_plans_who_may_have_what_and_its_file_is_gone_after(session, session_factory, now):
    meeting = logged(session, now)
    asked: list[str] = []

    def admin(answer):
        return lambda: asked.append("admin?") or answer

    mine = plan_export(session_factory, team_id="T1", user_id="U1", words=[], now=now, admin=admin(False))
    assert (mine.request.scope, mine.rep_ids, asked) == ("mine", (meeting.rep_id,), [])
    with pytest.raises(NotAllowed, match=re.escape(TEAM_EXPORT_REFUSED)):
        plan_export(session_factory, team_id="T1", user_id="U1", words=["team"], now=now, admin=admin(False))
    everyone = plan_export(
        session_factory, team_id="T1", user_id="U1", words=["team"], now=now, admin=admin(True)
    )
    assert everyone.rep_ids is None
    with pytest.raises(UserFacingError, match="as a day"):
        plan_export(
            session_factory,
            team_id="T1",
            user_id="U1",
            words=["mine", "1", "2", "3"],
            now=now,
            admin=admin(False),
        )
    with exported_csv(session_factory, "T1", mine) as (path, count):
        assert count == 1 and os.path.getsize(path) > 0
    assert not os.path.exists(path)


def test_team_pause_privacy_and_board_each_in_one_call(session, session_factory, now):
    meeting = logged(session, now)
    assert team_hygiene(session_factory, "T1", "UMGR", now) == []
    managed_by(session, now, meeting.rep_id)
    assert len(team_hygiene(session_factory, "T1", "UMGR", now)) == 1
    assert pause_nudges(session_factory, team_id="T1", user_id="U1", text="2026-12-20", now=now) == date(
        2026, 12, 20
    )
    with pytest.raises(UserFacingError):
        pause_nudges(session_factory, team_id="T1", user_id="U1", text="someday", now=now)
    assert resume_nudges(session_factory, team_id="T1", user_id="U1", now=now)
    assert not resume_nudges(session_factory, team_id="T1", user_id="U1", now=now)
    assert choose_privacy(session_factory, team_id="T1", user_id="U1", now=now, opt_out=None)
    assert not choose_privacy(session_factory, team_id="T1", user_id="U1", now=now, opt_out=None)
    board = board_for(session_factory, team_id="T1", user_id="U1", this_week=True, now=now)
    assert board is not None
    assert account_named(session_factory, "T1", "  ") is None
    assert account_named(session_factory, "T1", "acme").label == "Acme"


def test_a_nudge_click_without_an_id_is_refused_without_a_query(session_factory, now):
    for call in (
        lambda: nudge_subject(session_factory, team_id="T1", user_id="U1", nudge_id=None),
        lambda: answer_snooze(
            session_factory, team_id="T1", user_id="U1", nudge_id=None, choice="1d", now=now
        ),
        lambda: answer_didnt_happen(session_factory, team_id="T1", user_id="U1", nudge_id=None, now=now),
    ):
        with pytest.raises(NotAllowed, match=re.escape(NOT_YOURS)):
            call()
