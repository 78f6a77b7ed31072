"""The coaching DM and the Booked-it modal: valid Block Kit, within Slack's limits, saying the right things."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.coaching import STRONG_EXAMPLE, WEAK_EXAMPLE, Coaching, CoachingInput, Outcome, Prep, coach
from bot.domain.vocabulary import AskType, MeetingKind, Reaction
from bot.slack import ids
from bot.slack.blocks.booked_it_modal import booked_it_modal
from bot.slack.blocks.coaching_dm import coaching_message
from bot.slack.blocks.common import fit

AT = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
LONG = "x" * 5000

REACTIONS = {
    Outcome.BOOKED: Reaction.BOOKED,
    Outcome.UNSCHEDULED: Reaction.AGREED_UNSCHEDULED,
    Outcome.HESITANT: Reaction.HESITANT,
    Outcome.DECLINED: Reaction.DECLINED,
    Outcome.NO_ASK: None,
}


def _coaching(outcome: Outcome, **overrides: Any) -> Coaching:
    values: dict[str, Any] = {
        "rep_tz": ZoneInfo("America/Los_Angeles"),
        "account_name": "Acme",
        "deal_name": "Platform rollout",
        "ask_text": "Demo with their CFO on Thursday at 5am",
        "chosen": AskType.NO_ASK if outcome is Outcome.NO_ASK else AskType.SCHEDULED_MEETING,
        "reaction": REACTIONS[outcome],
        "deal_id": 7,
        "kind": MeetingKind.DEMO,
        "next_step_description": "Demo with the CFO",
        "next_step_at": AT if outcome is Outcome.BOOKED else None,
        "prep": Prep(attendees="Dana (CFO)"),
        "next_step_id": 42,
        "replacement_accounts": ((3, "Globex"), (4, "Initech")),
        "territory": "West",
        "streak": 3,
    }
    values.update(overrides)
    c = coach(CoachingInput(**values))
    assert c.outcome is outcome
    return c


def _validate(blocks: list[dict[str, Any]]) -> None:
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.to_dict()  # raises SlackObjectFormationError when a limit is broken


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a person reads, block by block (header, sections, context, buttons)."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            out.append(element["text"] if element["type"] == "mrkdwn" else element["text"]["text"])
        if "accessory" in block:
            out.append(block["accessory"]["text"]["text"])
    return out


def _read(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(_texts(blocks))


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [e for b in blocks for e in b.get("elements", []) if e.get("type") == "button"]
    found += [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"]
    return found


def _by_action(blocks: list[dict[str, Any]], action_id: str) -> list[dict[str, Any]]:
    return [b for b in _buttons(blocks) if b["action_id"] == action_id]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_is_valid_block_kit(outcome: Outcome) -> None:
    text, blocks = coaching_message(_coaching(outcome))
    _validate(blocks)
    assert blocks[0]["type"] == "header"
    assert blocks[-1]["type"] == "context"
    c = _coaching(outcome)
    assert text.startswith(f"Coaching on your {c.account_name} meeting. {c.headline}")


def test_booked_shows_the_date_in_the_reps_timezone_and_calendar_buttons() -> None:
    c = _coaching(Outcome.BOOKED)
    text, blocks = coaching_message(c)
    read = _read(blocks)
    assert "*When:* Thursday 3 December 2026, 05:00 (America/Los_Angeles)" in read
    assert "Thursday 3 December 2026, 05:00 (America/Los_Angeles)" in text
    assert "That's 3 meetings in a row" in read
    assert "*Who will attend?* Dana (CFO)" in read
    assert "You don't know yet how you'll be evaluated" in read
    assert c.calendar is not None
    [google] = _by_action(blocks, ids.CALENDAR_GOOGLE)
    [outlook] = _by_action(blocks, ids.CALENDAR_OUTLOOK)
    assert google["text"]["text"] == "Add to Google Calendar" and google["url"] == c.calendar.google
    assert outlook["text"]["text"] == "Add to Outlook" and outlook["url"] == c.calendar.outlook
    assert google["url"].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert not _by_action(blocks, ids.BOOKED_IT)
    assert "A stronger ask" not in read


@pytest.mark.parametrize("outcome", [Outcome.UNSCHEDULED, Outcome.HESITANT])
def test_unscheduled_and_hesitant_carry_a_booked_it_button(outcome: Outcome) -> None:
    _, blocks = coaching_message(_coaching(outcome))
    [booked] = _by_action(blocks, ids.BOOKED_IT)
    assert booked["value"] == "42"
    assert booked["style"] == "primary"
    assert booked["text"]["text"] == "Booked it"
    assert not _by_action(blocks, ids.CALENDAR_GOOGLE)
    assert not _by_action(blocks, ids.ADD_REPLACEMENT_DEAL)


def test_no_booked_it_button_without_a_next_step() -> None:
    _, blocks = coaching_message(_coaching(Outcome.UNSCHEDULED, next_step_id=None))
    _validate(blocks)
    assert not _by_action(blocks, ids.BOOKED_IT)


def test_unscheduled_reads_pin_it_now_and_phone_tag() -> None:
    _, blocks = coaching_message(_coaching(Outcome.UNSCHEDULED))
    read = _read(blocks)
    assert "Pin it now" in read and "phone tag" in read
    assert "*A stronger ask, with a date*" in read


def test_hesitant_reads_worth_their_time_and_a_smaller_scheduled_step() -> None:
    _, blocks = coaching_message(_coaching(Outcome.HESITANT))
    read = _read(blocks)
    assert "worth their time" in read
    assert "*A smaller step, still scheduled*\n>Could we do a 20-minute call on Thursday at 10am" in read


def test_declined_offers_a_replacement_deal_and_the_accounts() -> None:
    _, blocks = coaching_message(_coaching(Outcome.DECLINED))
    [replace] = _by_action(blocks, ids.ADD_REPLACEMENT_DEAL)
    assert replace["value"] == "7" and replace["text"]["text"] == "Add a replacement deal"
    logs = _by_action(blocks, ids.LOG_MEETING_FOR_ACCOUNT)
    assert [b["value"] for b in logs] == ["3", "4"]
    assert all(b["text"]["text"] == "Log a meeting" for b in logs)
    read = _read(blocks)
    assert "*Your accounts in West with no open deal*" in read
    assert "Globex" in read and "Initech" in read
    assert "more" not in read.split("Initech")[1]


def test_declined_without_accounts_suggests_adding_one() -> None:
    _, blocks = coaching_message(_coaching(Outcome.DECLINED, replacement_accounts=(), territory=None))
    _validate(blocks)
    assert not _by_action(blocks, ids.LOG_MEETING_FOR_ACCOUNT)
    assert _by_action(blocks, ids.ADD_REPLACEMENT_DEAL)
    assert "You have no accounts in your territory without an open deal. Add one" in _read(blocks)


def test_declined_with_200_accounts_shows_five_and_how_many_more() -> None:
    accounts = tuple((i, f"Account {i}") for i in range(1000, 1200))
    _, blocks = coaching_message(_coaching(Outcome.DECLINED, replacement_accounts=accounts))
    _validate(blocks)
    assert len(blocks) <= 50
    logs = _by_action(blocks, ids.LOG_MEETING_FOR_ACCOUNT)
    assert [b["value"] for b in logs] == ["1000", "1001", "1002", "1003", "1004"]
    assert "\u2026and 195 more" in _texts(blocks)
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert len([b for b in blocks if b.get("accessory")]) == 5


def test_replacement_rows_have_unique_block_ids_even_for_repeated_accounts() -> None:
    _, blocks = coaching_message(_coaching(Outcome.DECLINED, replacement_accounts=((3, "Globex"),) * 4))
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)) >= 4


@pytest.mark.parametrize("outcome", [Outcome.NO_ASK, Outcome.UNSCHEDULED])
def test_weak_ask_is_quoted_with_the_contrast_and_a_stronger_ask(outcome: Outcome) -> None:
    c = _coaching(outcome, chosen=AskType.OPEN_ENDED, ask_text="I'll circle back in a few weeks", kind=None)
    _, blocks = coaching_message(c)
    read = _read(blocks)
    assert "*Your ask*\nYou asked: \u201cI'll circle back in a few weeks\u201d" in read
    assert WEAK_EXAMPLE in read and STRONG_EXAMPLE in read
    assert c.stronger_ask is not None
    assert f"*A stronger ask, with a date*\n>{c.stronger_ask}" in read


def test_lowered_grade_says_why_in_the_message() -> None:
    # "Circle back" names no meeting: the booked date supplies the day, not what was asked.
    c = _coaching(
        Outcome.BOOKED, ask_text="I'll circle back after the holidays", next_step_description="Circle back"
    )
    _, blocks = coaching_message(c)
    assert c.grade.reason is not None
    assert c.grade.reason in _read(blocks)
    assert "Ask graded: Open-ended follow-up" in _read(blocks)


def test_no_ask_message() -> None:
    _, blocks = coaching_message(_coaching(Outcome.NO_ASK, ask_text="", kind=MeetingKind.PROPOSAL))
    read = _read(blocks)
    assert "No scheduled next step" in _texts(blocks)[0]
    assert "The meeting ended without an ask for a next step." in read
    assert f">{STRONG_EXAMPLE}" in read
    assert not _buttons(blocks)


EVIL = "A&B <@U123> <!channel> > done"
EVIL_ESCAPED = "A&amp;B &lt;@U123&gt; &lt;!channel&gt; &gt; done"


@pytest.mark.parametrize("outcome", list(Outcome))
def test_user_text_is_escaped_everywhere(outcome: Outcome) -> None:
    c = _coaching(
        outcome,
        account_name=EVIL,
        deal_name=EVIL,
        ask_text=f"I'll circle back {EVIL}",
        chosen=AskType.OPEN_ENDED if outcome is not Outcome.NO_ASK else AskType.NO_ASK,
        next_step_description=EVIL,
        prep=Prep(attendees=EVIL, agenda=EVIL),
        territory=EVIL,
        replacement_accounts=((3, EVIL),),
    )
    text, blocks = coaching_message(c)
    _validate(blocks)
    for shown in [text, *_texts(blocks)]:
        assert "<" not in shown and ">" not in shown.replace("\n>", "\n").lstrip(">")
        assert "&B" not in shown
    assert EVIL_ESCAPED in _read(blocks)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_huge_user_text_stays_within_slack_limits(outcome: Outcome) -> None:
    accounts = tuple((i, LONG) for i in range(200))
    c = _coaching(
        outcome,
        account_name=LONG,
        deal_name=LONG,
        ask_text="circle back " + LONG,
        chosen=AskType.OPEN_ENDED if outcome is not Outcome.NO_ASK else AskType.NO_ASK,
        next_step_description=LONG,
        prep=Prep(attendees=LONG, agenda=LONG, materials=LONG, evaluation=LONG, step_after=LONG),
        territory=LONG,
        replacement_accounts=accounts,
    )
    text, blocks = coaching_message(c)
    _validate(blocks)
    assert len(blocks) <= 50
    assert len(text) <= 3000
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
    for b in _buttons(blocks):
        assert len(b["text"]["text"]) <= 75
        assert len(b.get("url", "")) <= 3000
    assert any("x\u2026" in t for t in _texts(blocks))


@pytest.mark.parametrize("outcome", list(Outcome))
def test_huge_escaped_text_is_never_cut_inside_an_entity(outcome: Outcome) -> None:
    c = _coaching(
        outcome, account_name="&" * 5000, ask_text="<" * 5000, replacement_accounts=((1, ">" * 5000),)
    )
    _, blocks = coaching_message(c)
    _validate(blocks)
    for shown in _texts(blocks):
        for piece in shown.split("&")[1:]:
            assert piece.startswith(("amp;", "lt;", "gt;")), shown[-20:]


def test_fit_keeps_entities_whole() -> None:
    escaped = "&amp;" * 1000
    cut = fit(escaped, 3000)
    assert len(cut) <= 3000
    assert cut.endswith("&amp;\u2026")


# ---------------------------------------------------------------------------
# The Booked-it modal
# ---------------------------------------------------------------------------


def test_booked_it_modal_is_a_valid_view() -> None:
    modal = booked_it_modal(42, "Demo with the CFO", "Platform rollout", AT)
    View(**modal).to_dict()
    assert modal["type"] == "modal"
    assert modal["callback_id"] == ids.BOOKED_IT_MODAL
    assert json.loads(modal["private_metadata"]) == {"v": ids.BOOKED_IT_MODAL_VERSION, "next_step_id": 42}
    assert modal["title"]["text"] == "Book the next step"
    assert modal["submit"]["text"] == "Book it"

    by_id = {b.get("block_id"): b for b in modal["blocks"]}
    when = by_id[ids.NEXT_STEP_AT]
    assert when["type"] == "input" and when["label"]["text"] == "When is it?"
    assert when["element"] == {
        "type": "datetimepicker",
        "action_id": ids.NEXT_STEP_AT,
        "initial_date_time": int(AT.timestamp()),
    }
    what = by_id[ids.NEXT_STEP]
    assert what["optional"] is True
    assert what["element"]["type"] == "plain_text_input"
    assert what["element"]["action_id"] == ids.NEXT_STEP
    assert what["element"]["initial_value"] == "Demo with the CFO"
    contexts = [b for b in modal["blocks"] if b["type"] == "context"]
    assert contexts and "Platform rollout" in contexts[0]["elements"][0]["text"]


def test_booked_it_modal_without_description_or_date() -> None:
    modal = booked_it_modal(1, None, "Deal", None)
    View(**modal).to_dict()
    by_id = {b.get("block_id"): b for b in modal["blocks"]}
    assert "initial_date_time" not in by_id[ids.NEXT_STEP_AT]["element"]
    assert "initial_value" not in by_id[ids.NEXT_STEP]["element"]


def test_booked_it_modal_escapes_and_clips_user_text() -> None:
    modal = booked_it_modal(1, LONG, EVIL + LONG, AT)
    View(**modal).to_dict()
    context = next(b for b in modal["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert EVIL_ESCAPED in context and "<@U123>" not in context
    assert len(context) <= 3000
    by_id = {b.get("block_id"): b for b in modal["blocks"]}
    element = by_id[ids.NEXT_STEP]["element"]
    assert len(element["initial_value"]) <= element["max_length"]


def test_booked_it_modal_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        booked_it_modal(1, None, "Deal", datetime(2026, 12, 3, 13, 0))
