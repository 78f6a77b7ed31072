"""Who may touch and see what: one ownership check, one wording; admins asked of Slack only when needed."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotAllowed
from bot.services.permissions import (
    DEAL_NOT_YOURS,
    STEP_NOT_YOURS,
    Admins,
    is_admin,
    may_see,
    own_deal,
    own_step,
)
from bot.services.reps import SlackProfile, ensure_workspace
from models import Rep, SalesTeam, make_session_factory
from tests.seeds.meetings import logged


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


def test_only_the_owner_gets_their_step_or_deal_in_one_wording(session, now):
    mine = logged(session, now)
    logged(session, now, user="U2", account="new:Other")
    assert own_step(session, "T1", "U1", mine.next_step_id).id == mine.next_step_id
    assert own_deal(session, "T1", "U1", mine.deal_id).id == mine.deal_id
    # someone else's, another workspace's, one that doesn't exist, no id: the same words
    for team, user, step_id, deal_id in (
        ("T1", "U2", mine.next_step_id, mine.deal_id),
        ("T2", "U1", mine.next_step_id, mine.deal_id),
        ("T1", "U1", 999_999, 999_999),
        ("T1", "U1", None, None),
    ):
        with pytest.raises(NotAllowed) as step_refused:
            own_step(session, team, user, step_id)
        with pytest.raises(NotAllowed) as deal_refused:
            own_deal(session, team, user, deal_id)
        assert (
            str(step_refused.value)
            == STEP_NOT_YOURS
            == "That next step isn't one of yours, so I left it as it was."
        )
        assert (
            str(deal_refused.value)
            == DEAL_NOT_YOURS
            == "That deal isn't one of yours, so I left it as it was."
        )


def test_slack_is_asked_about_an_admin_only_when_the_record_does_not_say(session, session_factory, now):
    ensure_workspace(session, "T1", now)
    session.commit()
    asked: list[str] = []

    def profile(admin: bool):
        def lookup():
            asked.append("users.info")
            return SlackProfile("U9", "Ana", "UTC", is_admin=admin)

        return lookup

    listed = Admins(listed=frozenset({"U9"}))
    assert is_admin(session_factory, listed, "T1", "U9", profile(False)) and asked == []
    assert is_admin(session_factory, Admins(), "T1", "U9", profile(True)) and asked == ["users.info"]
    assert not is_admin(session_factory, Admins(), "T1", "U9", profile(False))
    assert not is_admin(session_factory, Admins(), "T1", "U9", lambda: None)  # Slack refused: not an admin


def test_a_deal_is_seen_by_its_owner_their_manager_and_an_admin(session, session_factory, now):
    meeting = logged(session, now)
    team = SalesTeam(team_id="T1", name="West", manager_user_id="UMGR", created_at=now)
    session.add(team)
    session.flush()
    session.get(Rep, meeting.rep_id).sales_team_id = team.id
    session.commit()
    asked: list[str] = []

    def nobody():
        asked.append("users.info")
        return None

    def admin():
        asked.append("users.info")
        return SlackProfile("U7", "Ana", "UTC", is_admin=True)

    assert may_see(session_factory, Admins(), "T1", "U1", meeting.deal_id, nobody)
    assert may_see(session_factory, Admins(), "T1", "UMGR", meeting.deal_id, nobody)
    assert asked == []
    assert not may_see(session_factory, Admins(), "T1", "U7", meeting.deal_id, nobody)
    assert may_see(session_factory, Admins(), "T1", "U7", meeting.deal_id, admin)
    asked.clear()
    # another workspace's deal, or none: refused without asking Slack anything
    assert not may_see(session_factory, Admins(), "T2", "U7", meeting.deal_id, admin)
    assert not may_see(session_factory, Admins(), "T1", "U7", None, admin)
    assert asked == []
