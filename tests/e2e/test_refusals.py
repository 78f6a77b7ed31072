"""Every refusal reaches the person: a modal Slack would not open, and Slack's refusals after the ack."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import NextStepStatus, Reaction
from bot.slack import ids
from models import Meeting, NextStep, Workspace
from tests.e2e.conftest import TEAM, fill_booked_meeting, submit_with

OPEN_FAILED = "Slack didn't let me open the form just then"


def _unscheduled_meeting(maria, fake) -> dict:
    """A logged meeting with an unscheduled next step: its coaching DM, and the Home tab, offer buttons."""
    errors = submit_with(
        maria, fake, **{ids.REACTION: Reaction.AGREED_UNSCHEDULED.value, ids.NEXT_STEP: "Send it"}
    )
    assert errors == {}
    return fake.wait_until(maria.last_dm)


# (button, value picked for a menu): every modal a rep opens from their coaching DM or Home tab.
DM_BUTTONS = [(ids.BOOKED_IT, None), (ids.EDIT_MEETING, None)]
HOME_BUTTONS = [
    (ids.HOME_LOG_MEETING, None),
    (ids.HOME_BOOK_STEP, None),
    (ids.OPEN_DEAL, None),
    (ids.EDIT_MEETING, None),
    (ids.HOME_DEAL_MENU, "edit:1"),
    (ids.HOME_DEAL_MENU, "lost:1"),
]


@pytest.mark.parametrize(("action_id", "value"), DM_BUTTONS)
def test_a_refused_modal_from_a_dm_button_is_said_privately_in_that_dm(
    fake, running, maria, action_id, value
):
    dm = _unscheduled_meeting(maria, fake)
    fake.inject("views.open", error="expired_trigger_id")
    assert maria.click(action_id, in_message=dm, value=value).status == 200
    told = fake.wait_until(lambda: [e for e in maria.ephemerals() if OPEN_FAILED in e["text"]])
    assert "click it again" in told[-1]["text"]
    assert maria.view is None


@pytest.mark.parametrize(("action_id", "value"), HOME_BUTTONS)
def test_a_refused_modal_from_the_home_tab_reaches_the_person_by_dm_and_the_tab_is_redrawn(
    fake, running, maria, action_id, value
):
    _unscheduled_meeting(maria, fake)
    maria.open_home()
    fake.wait_until(lambda: maria.home)
    fake.wait_idle(quiet=0.3)
    home = maria.home
    dms_before = len(maria.dms())
    fake.clear_calls()
    fake.inject("views.open", error="expired_trigger_id")
    assert maria.click(action_id, in_view=home, value=value).status == 200
    # The Home tab has no channel and no response_url: the DM is the one place the person sees.
    told = fake.wait_until(lambda: [m for m in maria.dms()[dms_before:] if OPEN_FAILED in m["text"]])
    assert "click it again" in told[0]["text"]
    fake.wait_until(lambda: fake.calls_to("views.publish"))
    assert maria.view is None


def test_a_refused_modal_from_a_command_says_so_in_the_ack(fake, running, maria):
    fake.inject("views.open", error="expired_trigger_id")
    assert maria.slash("/meeting").status == 200
    assert OPEN_FAILED in maria.ephemerals()[-1]["text"] and "/meeting" in maria.ephemerals()[-1]["text"]


# Slack's refusals after the ack, each through the coaching DM that follows a saved meeting.
REFUSALS = [
    "user_not_found",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "invalid_auth",
    "missing_scope",
]
DEAD_TOKEN = {"invalid_auth", "account_inactive"}


def _warnings_about(caplog, code: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if code in r.getMessage()]


def _assert_logged_once_without_traceback(caplog, code: str) -> None:
    about = _warnings_about(caplog, code)
    assert [r.levelno for r in about] == [logging.WARNING], [r.getMessage() for r in about]
    assert all(r.exc_info is None for r in caplog.records), "a refusal is news, not a traceback"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _revoked(engine) -> bool:
    with Session(engine) as session:
        return session.get(Workspace, TEAM).tokens_revoked_at is not None


@pytest.mark.parametrize("code", REFUSALS)
def test_a_refused_coaching_dm_keeps_the_meeting_and_is_logged_once_by_meaning(
    fake, running, maria, caplog, code
):
    caplog.set_level(logging.INFO)
    fill_booked_meeting(maria, fake)
    fake.inject("chat.postMessage", error=code)
    assert maria.submit().status == 200 and maria.errors == {}
    fake.wait_until(lambda: _warnings_about(caplog, code))
    fake.wait_idle(quiet=0.1)
    with Session(running.engine) as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1
    _assert_logged_once_without_traceback(caplog, code)
    assert _revoked(running.engine) == (code in DEAD_TOKEN)
    if code == "missing_scope":
        assert "needs chat:write" in _warnings_about(caplog, code)[0].getMessage()


@pytest.mark.parametrize("code", ["user_not_found", "invalid_auth"])
def test_a_refused_profile_look_up_after_meeting_opens_the_modal_anyway(fake, running, maria, caplog, code):
    caplog.set_level(logging.INFO)
    fake.inject("users.info", error=code)
    assert maria.slash("/meeting").status == 200
    assert fake.wait_until(lambda: maria.view)
    fake.wait_until(lambda: _warnings_about(caplog, code))
    fake.wait_idle(quiet=0.1)
    _assert_logged_once_without_traceback(caplog, code)
    assert _revoked(running.engine) == (code in DEAD_TOKEN)


@pytest.mark.parametrize("code", ["user_not_found", "account_inactive"])
def test_a_refused_home_tab_is_logged_once(fake, running, maria, caplog, code):
    caplog.set_level(logging.INFO)
    fake.inject("views.publish", error=code)
    assert maria.open_home().status == 200
    fake.wait_until(lambda: _warnings_about(caplog, code))
    fake.wait_idle(quiet=0.1)
    _assert_logged_once_without_traceback(caplog, code)
    assert _revoked(running.engine) == (code in DEAD_TOKEN)


def test_a_stale_home_button_is_answered_by_dm_and_the_tab_is_redrawn(fake, running, maria):
    _unscheduled_meeting(maria, fake)
    maria.open_home()
    fake.wait_until(lambda: maria.home)
    fake.wait_idle(quiet=0.3)  # the Home tab as last drawn (the save and the visit each draw it)
    stale = maria.home
    with Session(running.engine) as session:  # the step was dealt with elsewhere (another device)
        for step in session.scalars(select(NextStep)):  # as the app writes: the deal's Home key follows
            step.status = NextStepStatus.DONE
        session.commit()
    assert maria.click(ids.HOME_BOOK_STEP, in_view=stale).status == 200
    assert any("already done" in m["text"] for m in fake.wait_until(lambda: maria.dms()[1:]))
    fake.wait_until(lambda: ids.HOME_BOOK_STEP not in str(maria.home["blocks"]))
