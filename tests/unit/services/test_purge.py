"""Uninstalled workspaces: tokens at once, data 30 days later unless reinstalled; others untouched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.domain.vocabulary import AskType, Reaction
from bot.services.meetings import MeetingForm, log_meeting
from bot.services.purge import purge_uninstalled
from bot.services.reps import ensure_workspace, token_accepted
from models import Account, Deal, Meeting, NextStep, Rep, Workspace, make_session_factory


def seed(session, team, now):
    log_meeting(
        session,
        team_id=team,
        user_id="U1",
        view_id=None,
        now=now,
        form=MeetingForm(
            account="new:Acme",
            held_at=now - timedelta(hours=1),
            ask_text="Tuesday at 10?",
            ask_type=AskType.SCHEDULED_MEETING,
            reaction=Reaction.AGREED_UNSCHEDULED,
        ),
    )


def counts(session, team):
    return [
        session.scalar(select(func.count()).select_from(m).where(m.team_id == team))
        for m in (Workspace, Rep, Account, Deal, Meeting, NextStep)
    ]


def test_data_goes_30_days_after_uninstall_and_only_that_workspaces(engine, session, now):
    for team in ("T1", "T2", "T3"):
        seed(session, team, now)
    session.get(Workspace, "T1").uninstalled_at = now - timedelta(days=31)
    session.get(Workspace, "T2").uninstalled_at = now - timedelta(days=29)
    session.commit()
    assert purge_uninstalled(make_session_factory(engine), now) == ["T1"]
    session.expire_all()
    assert counts(session, "T1") == [0, 0, 0, 0, 0, 0]
    assert counts(session, "T2") == [1, 1, 1, 1, 1, 1] and counts(session, "T3") == [1, 1, 1, 1, 1, 1]


def test_using_the_app_does_not_cancel_the_purge_but_a_reinstall_does(session, now):
    seed(session, "T1", now)
    session.get(Workspace, "T1").uninstalled_at = now - timedelta(days=3)
    session.commit()
    ensure_workspace(session, "T1", now)  # e.g. a late tokens_revoked event
    assert session.get(Workspace, "T1").uninstalled_at is not None
    token_accepted(session, "T1", now)
    assert session.get(Workspace, "T1").uninstalled_at is None
    assert session.get(Workspace, "T1").tokens_revoked_at is None
