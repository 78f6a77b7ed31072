"""The `/meeting` modal asks only what applies after each ask type and reaction, as a person reads it,
and a value sent for a field that no longer applies is kept in the notes, never refused."""

from __future__ import annotations

import copy

import pytest
from slack_sdk.models.views import View
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, Reaction
from bot.slack import ids
from bot.slackfake.render import render_view
from models import Meeting, NextStep
from tests.e2e.conftest import fill_booked_meeting, open_modal, submission, wait_for_block

NEXT_STEP_Q = "What's the next step?"
WHEN_Q = "When is it booked for?"
REACTION_Q = "How did they react?"
PREP = "Prep for that meeting"


def _read(view) -> str:
    View(**view).to_dict()
    return render_view(view, width=200)


@pytest.mark.parametrize(
    ("ask_type", "reaction", "shown", "hidden"),
    [
        (AskType.SCHEDULED_MEETING, Reaction.BOOKED, [REACTION_Q, NEXT_STEP_Q, WHEN_Q, PREP], []),
        (AskType.SCHEDULED_MEETING, Reaction.AGREED_UNSCHEDULED, [REACTION_Q, NEXT_STEP_Q], [WHEN_Q, PREP]),
        (AskType.OPEN_ENDED, Reaction.HESITANT, [REACTION_Q, NEXT_STEP_Q, WHEN_Q], [PREP]),
        (AskType.SPECIFIC_ACTION, Reaction.DECLINED, [REACTION_Q], [NEXT_STEP_Q, WHEN_Q, PREP]),
        (AskType.NO_ASK, None, [], [REACTION_Q, NEXT_STEP_Q, WHEN_Q, PREP]),
    ],
)
def test_the_modal_shows_only_the_questions_that_apply(
    fake, running, maria, ask_type, reaction, shown, hidden
):
    first = _read(open_modal(maria, fake))
    assert REACTION_Q in first and NEXT_STEP_Q in first and WHEN_Q in first  # before any choice
    maria.fill(ids.ASK_TYPE, ask_type.value)
    if reaction is not None:
        maria.fill(ids.REACTION, reaction.value)
    text = fake.wait_until(
        lambda: (
            (t := _read(maria.view)) and all(q in t for q in shown) and not any(q in t for q in hidden) and t
        )
    )
    assert "Notes" in text and "What did you ask for at the end?" in text


def test_declined_after_booked_hides_the_next_step_and_a_stale_one_goes_to_the_notes(fake, running, maria):
    fill_booked_meeting(maria, fake)
    stale = copy.deepcopy(maria.view)  # filled in as booked, with a next step and its time
    maria.fill(ids.REACTION, Reaction.DECLINED.value)
    redrawn = fake.wait_until(lambda: NEXT_STEP_Q not in _read(maria.view) and maria.view)
    assert WHEN_Q not in _read(redrawn)
    # The form Slack still had on a slow phone: "Declined" chosen, the next step still filled in.
    declined = next(o for o in _reaction_options(stale) if o["value"] == Reaction.DECLINED.value)
    stale["state"]["values"][ids.REACTION][ids.REACTION]["selected_option"] = declined
    response = maria.post_raw(submission(maria, stale), "application/x-www-form-urlencoded")
    assert response.status == 200 and not response.text.strip(), response.text  # saved, not refused
    with Session(running.engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.reaction == Reaction.DECLINED
        assert "Next step: Proposal walkthrough" in meeting.notes and "Next step time:" in meeting.notes
        assert "Dana (VP Ops), Lee (CFO)" in meeting.notes  # the prep answer too
        assert session.scalars(select(NextStep)).all() == []


def test_agreed_not_scheduled_keeps_the_step_and_its_time_goes_to_the_notes(fake, running, maria):
    fill_booked_meeting(maria, fake)
    stale = copy.deepcopy(maria.view)
    unscheduled = next(o for o in _reaction_options(stale) if o["value"] == Reaction.AGREED_UNSCHEDULED.value)
    stale["state"]["values"][ids.REACTION][ids.REACTION]["selected_option"] = unscheduled
    response = maria.post_raw(submission(maria, stale), "application/x-www-form-urlencoded")
    assert response.status == 200 and not response.text.strip(), response.text
    with Session(running.engine) as session:
        step = session.scalars(select(NextStep)).one()
        assert step.description == "Proposal walkthrough" and step.scheduled_at is None
        assert "Next step time:" in session.scalars(select(Meeting)).one().notes


def test_no_ask_after_a_reaction_hides_it_and_a_stale_reaction_goes_to_the_notes(fake, running, maria):
    open_modal(maria, fake)
    maria.suggest(ids.ACCOUNT, "Initech")
    maria.fill(ids.ACCOUNT, "new:Initech")
    wait_for_block(maria, fake, ids.NEW_DEAL_NAME)
    maria.fill(ids.ASK, "Shall we talk again?")
    maria.fill(ids.ASK_TYPE, AskType.OPEN_ENDED.value)
    maria.fill(ids.REACTION, Reaction.AGREED_UNSCHEDULED.value)
    stale = copy.deepcopy(fake.wait_until(lambda: WHEN_Q not in _read(maria.view) and maria.view))
    no_ask = next(o for o in _ask_type_options(stale) if o["value"] == AskType.NO_ASK.value)
    stale["state"]["values"][ids.ASK_TYPE][ids.ASK_TYPE]["selected_option"] = no_ask
    response = maria.post_raw(submission(maria, stale), "application/x-www-form-urlencoded")
    assert response.status == 200 and not response.text.strip(), response.text
    with Session(running.engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.ask_type == AskType.NO_ASK and meeting.reaction is None
        assert "Their reaction: Agreed, not yet scheduled" in meeting.notes


def _options(view, block_id):
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return block["element"]["options"]


def _reaction_options(view):
    return _options(view, ids.REACTION)


def _ask_type_options(view):
    return _options(view, ids.ASK_TYPE)
