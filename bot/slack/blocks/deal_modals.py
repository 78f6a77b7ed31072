"""Small modals for changing a deal or the last meeting: edit the deal, mark it lost, reassign it, edit the meeting."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from bot.domain.vocabulary import AskType, LostReason, MeetingKind, Reaction
from bot.services.meetings import MAX_ASK, MAX_NAME, MAX_NOTES
from bot.slack import ids
from bot.slack.blocks.common import Block, clip, context, plain, user_text

_NAME = 200


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(clip(label, 75)), "value": value}


def _input(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def _text(action_id: str, max_length: int, initial: str | None = None, multiline: bool = False) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": action_id, "max_length": max_length}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = clip(initial, max_length)
    return element


def _modal(callback_id: str, meta: dict[str, Any], title: str, submit: str, blocks: list[Block]) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(meta),
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def _deal_line(account_name: str, deal_name: str) -> Block:
    return context(
        f"Deal: *{user_text(account_name, _NAME)}* \u00b7 {user_text(deal_name, _NAME)}", block_id="deal"
    )


def edit_deal_modal(
    deal_id: int,
    account_name: str,
    name: str,
    amount: Decimal | None,
    stage: str | None,
    expected_close: date | None,
) -> Block:
    close: Block = {"type": "datepicker", "action_id": ids.DEAL_CLOSE}
    if expected_close is not None:
        close["initial_date"] = expected_close.isoformat()
    return _modal(
        ids.EDIT_DEAL_MODAL,
        {"v": ids.EDIT_DEAL_MODAL_VERSION, "deal_id": deal_id},
        "Edit the deal",
        "Save",
        [
            _deal_line(account_name, name),
            _input(ids.DEAL_NAME, "Deal name", _text(ids.DEAL_NAME, MAX_NAME, name)),
            _input(
                ids.DEAL_AMOUNT,
                "Amount",
                _text(ids.DEAL_AMOUNT, 20, f"{amount:f}" if amount is not None else None),
                optional=True,
                hint="Counts toward your expected value, at the deal's chance to be won.",
            ),
            _input(ids.DEAL_STAGE, "Stage", _text(ids.DEAL_STAGE, 64, stage), optional=True),
            _input(ids.DEAL_CLOSE, "Expected close", close, optional=True),
        ],
    )


def deal_lost_modal(deal_id: int, account_name: str, deal_name: str) -> Block:
    return _modal(
        ids.DEAL_LOST_MODAL,
        {"v": ids.DEAL_LOST_MODAL_VERSION, "deal_id": deal_id},
        "Mark the deal lost",
        "Mark lost",
        [
            _deal_line(account_name, deal_name),
            _input(
                ids.LOST_REASON,
                "Why was it lost?",
                {
                    "type": "static_select",
                    "action_id": ids.LOST_REASON,
                    "placeholder": plain("Choose the reason"),
                    "options": [_option(r.value, r.label) for r in LostReason],
                },
                hint="Its open next steps are cancelled and its reminders stop.",
            ),
        ],
    )


def reassign_modal(deal_id: int, account_name: str, deal_name: str, owner_name: str) -> Block:
    return _modal(
        ids.REASSIGN_MODAL,
        {"v": ids.REASSIGN_MODAL_VERSION, "deal_id": deal_id},
        "Reassign the deal",
        "Reassign",
        [
            _deal_line(account_name, deal_name),
            context(f"Owned by {user_text(owner_name, 80)} today.", block_id="owner"),
            _input(
                ids.REASSIGN_TO,
                "Who takes it over?",
                {"type": "users_select", "action_id": ids.REASSIGN_TO, "placeholder": plain("Pick a rep")},
                hint="Its open next steps and their reminders move with it.",
            ),
        ],
    )


class MeetingShown(Protocol):
    """The meeting the edit modal is prefilled with (bot.services.deal_edits.MeetingToEdit)."""

    @property
    def id(self) -> int: ...
    @property
    def held_at(self) -> datetime: ...
    @property
    def ask_text(self) -> str: ...
    @property
    def ask_type(self) -> str: ...
    @property
    def reaction(self) -> str | None: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def notes(self) -> str | None: ...


def edit_meeting_modal(meeting: MeetingShown, account_name: str, deal_name: str) -> Block:
    kind: Block = {
        "type": "static_select",
        "action_id": ids.KIND,
        "placeholder": plain("Choose"),
        "options": [_option(k.value, k.label) for k in MeetingKind],
    }
    if meeting.kind in set(MeetingKind):
        kind["initial_option"] = _option(meeting.kind, MeetingKind(meeting.kind).label)
    ask_type: Block = {
        "type": "radio_buttons",
        "action_id": ids.ASK_TYPE,
        "options": [_option(t.value, t.label) for t in AskType],
        "initial_option": _option(meeting.ask_type, AskType(meeting.ask_type).label),
    }
    reaction: Block = {
        "type": "radio_buttons",
        "action_id": ids.REACTION,
        "options": [_option(r.value, r.label) for r in Reaction],
    }
    if meeting.reaction:
        reaction["initial_option"] = _option(meeting.reaction, Reaction(meeting.reaction).label)
    return _modal(
        ids.EDIT_MEETING_MODAL,
        {"v": ids.EDIT_MEETING_MODAL_VERSION, "meeting_id": meeting.id},
        "Edit your meeting",
        "Save the edit",
        [
            _deal_line(account_name, deal_name),
            context("The version you logged is kept in the deal's history.", block_id="kept"),
            _input(
                ids.HELD_AT,
                "When was it held?",
                {
                    "type": "datetimepicker",
                    "action_id": ids.HELD_AT,
                    "initial_date_time": int(meeting.held_at.timestamp()),
                },
            ),
            _input(
                ids.ASK,
                "What did you ask for at the end?",
                _text(ids.ASK, MAX_ASK, meeting.ask_text, True),
                optional=True,
            ),
            _input(ids.ASK_TYPE, "What kind of ask was it?", ask_type),
            _input(ids.REACTION, "How did they react?", reaction, optional=True),
            _input(ids.KIND, "Kind of meeting", kind, optional=True),
            _input(ids.NOTES, "Notes", _text(ids.NOTES, MAX_NOTES, meeting.notes, True), optional=True),
        ],
    )


def override_modal(
    deal_id: int, account_name: str, deal_name: str, learned: str, current: str | None
) -> Block:
    """A manager sets the deal's chance by hand, with the reason; empty goes back to the learned figure."""
    lines = [f"Learned from this workspace's deals: {learned}."]
    if current:
        lines.append(f"Set by hand now: {current}.")
    return _modal(
        ids.OVERRIDE_MODAL,
        {"v": ids.OVERRIDE_MODAL_VERSION, "deal_id": deal_id},
        "Set the chance to win",
        "Save",
        [
            _deal_line(account_name, deal_name),
            context(*lines, block_id="learned"),
            _input(
                ids.OVERRIDE_PROBABILITY,
                "Chance to win, in %",
                _text(ids.OVERRIDE_PROBABILITY, 5),
                optional=True,
                hint="Counts in the totals instead of the learned figure, shown beside it. "
                "Leave empty to go back to the learned figure.",
            ),
            _input(
                ids.OVERRIDE_REASON,
                "Why?",
                _text(ids.OVERRIDE_REASON, 500, multiline=True),
                hint="Kept in the deal's history; the backtest scores overrides on their own line.",
            ),
        ],
    )
