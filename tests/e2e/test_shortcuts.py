"""The "Log a meeting" shortcuts over signed requests: the same modal as `/meeting`, from anywhere."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, Reaction
from bot.services.meetings import MAX_NOTES
from bot.slack import ids
from models import Meeting
from tests.e2e.conftest import block_ids, open_modal, wait_for_block

OPEN_FAILED = "Slack didn't let me open the form just then"


def _notes(view) -> str | None:
    block = next(b for b in view["blocks"] if b["block_id"] == ids.NOTES)
    return block["element"].get("initial_value")


def _message(text: str) -> dict:
    return {"type": "message", "user": "U2", "ts": "1764900000.000100", "text": text, "channel": "C_GENERAL"}


def test_the_global_shortcut_opens_the_meeting_modal_and_saves_a_meeting(fake, running, maria):
    from_command = open_modal(maria, fake)
    maria.close()
    assert maria.shortcut(ids.LOG_MEETING_SHORTCUT).status == 200
    view = fake.wait_until(lambda: maria.view)
    assert view["callback_id"] == ids.MEETING_MODAL and block_ids(view) == block_ids(from_command)
    maria.suggest(ids.ACCOUNT, "Hooli")
    maria.fill(ids.ACCOUNT, "new:Hooli")
    wait_for_block(maria, fake, ids.NEW_DEAL_NAME)
    maria.fill(ids.ASK, "Can we book the pilot kickoff?")
    maria.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    maria.fill(ids.REACTION, Reaction.HESITANT.value)
    assert maria.submit().status == 200 and maria.errors == {}
    assert fake.wait_until(maria.last_dm)
    with Session(running.engine) as session:
        assert session.scalars(select(Meeting)).one().reaction == Reaction.HESITANT


def test_the_message_shortcut_puts_the_message_in_the_notes_without_slack_markup(fake, running, maria):
    text = (
        "Call with <@U2|sam> and Dana: they want <https://acme.example/pricing|the pricing page> "
        "&amp; a pilot &lt;30 days. <!here>"
    )
    assert maria.message_shortcut(ids.LOG_MEETING_FROM_MESSAGE, _message(text)).status == 200
    view = fake.wait_until(lambda: maria.view)
    assert view["callback_id"] == ids.MEETING_MODAL
    assert _notes(view) == (
        "Call with @sam and Dana: they want the pricing page (https://acme.example/pricing) "
        "& a pilot <30 days. @here"
    )
    maria.suggest(ids.ACCOUNT, "Acme")
    maria.fill(ids.ACCOUNT, "new:Acme")
    wait_for_block(maria, fake, ids.NEW_DEAL_NAME)
    maria.fill(ids.ASK, "Shall we start the pilot Monday?")
    maria.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    maria.fill(ids.REACTION, Reaction.HESITANT.value)
    assert maria.submit().status == 200 and maria.errors == {}
    with Session(running.engine) as session:
        assert session.scalars(select(Meeting)).one().notes.startswith("Call with @sam and Dana")


def test_a_long_message_fits_the_notes_field(fake, running, maria):
    maria.message_shortcut(ids.LOG_MEETING_FROM_MESSAGE, _message("word " * 1000))
    notes = _notes(fake.wait_until(lambda: maria.view))
    assert len(notes) == MAX_NOTES and notes.endswith("\u2026")


def test_a_refused_shortcut_modal_reaches_the_person(fake, running, maria):
    fake.inject("views.open", error="expired_trigger_id")
    maria.shortcut(ids.LOG_MEETING_SHORTCUT)  # from the shortcuts menu: no channel, so a DM
    assert OPEN_FAILED in fake.wait_until(maria.last_dm)["text"]
    fake.inject("views.open", error="expired_trigger_id")
    maria.message_shortcut(ids.LOG_MEETING_FROM_MESSAGE, _message("Notes from the call"))  # in its channel
    assert fake.wait_until(lambda: [e for e in maria.ephemerals() if OPEN_FAILED in e["text"]])
    assert maria.view is None
