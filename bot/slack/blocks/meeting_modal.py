"""The `/meeting` modal: short by default, the deal and prep fields appear as the rep chooses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.meeting_fields import MeetingField, shown_fields
from bot.domain.vocabulary import PREP_QUESTIONS, AskType, MeetingKind, Reaction
from bot.services.meetings import MAX_ASK, MAX_NAME, MAX_NEXT_STEP, MAX_NOTES, MAX_PREP
from bot.slack import ids
from bot.slack.blocks.common import clip, context, plain, section

TITLE = "Log a meeting"


@dataclass(frozen=True)
class MeetingModal:
    """What the modal shows, as plain values."""

    now: datetime
    account: tuple[str, str] | None = None  # (option value, label) of the chosen account
    deals: list[tuple[int, str]] = field(default_factory=list)  # the chosen account's open deals
    deal: str | None = None  # the chosen (or given) deal option's value: preselected when open
    ask_type: AskType | None = None  # the chosen ask type and reaction: what else applies
    reaction: Reaction | None = None
    channel_id: str | None = None
    notes: str | None = None  # pre-filled notes (the message shortcut's message)

    @property
    def shown(self) -> frozenset[MeetingField]:
        return shown_fields(self.ask_type, self.reaction)


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(clip(label, 75)), "value": value}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _text_input(
    action_id: str,
    max_length: int,
    placeholder: str | None = None,
    multiline: bool = False,
    initial: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "max_length": max_length,
        "multiline": multiline,
    }
    if placeholder:
        element["placeholder"] = plain(placeholder)
    if initial:
        element["initial_value"] = initial
    return element


def deal_block_id(account_value: str | None) -> str:
    """The deal field is re-keyed per account so Slack drops a deal chosen for another account."""
    return f"{ids.DEAL}@{account_value or ''}"[:255]


def private_metadata(channel_id: str | None) -> str:
    """The modal's version and where it was opened; a channel id that is not one is not echoed back."""
    return json.dumps({"v": ids.MEETING_MODAL_VERSION, "channel": ids.parse_channel_id(channel_id)})


def meeting_modal(m: MeetingModal) -> dict[str, Any]:
    """The modal as Slack's view payload."""
    account_select: dict[str, Any] = {
        "type": "external_select",
        "action_id": ids.ACCOUNT,
        "placeholder": plain("Type the company's name"),
        "min_query_length": 0,
    }
    if m.account:
        account_select["initial_option"] = _option(*m.account)
    blocks: list[dict[str, Any]] = [
        _input(
            ids.ACCOUNT,
            "Account",
            account_select,
            dispatch=True,
            hint="A name that matches nothing is offered as a new account.",
        ),
    ]
    blocks += _deal_blocks(m)
    blocks += [
        _input(
            ids.HELD_AT,
            "When was it held?",
            {"type": "datetimepicker", "action_id": ids.HELD_AT, "initial_date_time": int(m.now.timestamp())},
        ),
        _input(
            ids.ASK,
            "What did you ask for at the end?",
            _text_input(
                ids.ASK,
                MAX_ASK,
                "e.g. Can we meet Thursday at 10 with your CFO to go through pricing?",
                multiline=True,
            ),
            optional=m.ask_type is AskType.NO_ASK,
            hint="Your own words. The coaching reply grades them.",
        ),
        _input(
            ids.ASK_TYPE,
            "What kind of ask was it?",
            {
                "type": "radio_buttons",
                "action_id": ids.ASK_TYPE,
                "options": [_option(t.value, t.label) for t in AskType],
            },
            dispatch=True,
        ),
    ]
    shown = m.shown
    if MeetingField.REACTION in shown:
        blocks.append(
            _input(
                ids.REACTION,
                "How did they react?",
                {
                    "type": "radio_buttons",
                    "action_id": ids.REACTION,
                    "options": [_option(r.value, r.label) for r in Reaction],
                },
                dispatch=True,
            )
        )
    if MeetingField.NEXT_STEP in shown:
        blocks.append(
            _input(
                ids.NEXT_STEP,
                "What's the next step?",
                _text_input(ids.NEXT_STEP, MAX_NEXT_STEP, "e.g. Proposal review with Dana and their CFO"),
                optional=True,
            )
        )
    if MeetingField.NEXT_STEP_AT in shown:
        blocks.append(
            _input(
                ids.NEXT_STEP_AT,
                "When is it booked for?",
                {"type": "datetimepicker", "action_id": ids.NEXT_STEP_AT},
                optional=True,
                hint="Needed for \u201cAgreed and booked\u201d: the date and time on their calendar.",
            )
        )
    if MeetingField.PREP in shown:
        blocks.append(
            section(
                "*Prep for that meeting* \u2014 all optional. I'll hand your answers back on the day.",
                block_id="prep_intro",
            )
        )
        for name, question in PREP_QUESTIONS:
            blocks.append(
                _input(
                    ids.PREP_PREFIX + name,
                    question,
                    _text_input(ids.PREP_PREFIX + name, MAX_PREP, multiline=name == "agenda"),
                    optional=True,
                )
            )
    blocks += [
        _input(
            ids.KIND,
            "Kind of meeting",
            {
                "type": "static_select",
                "action_id": ids.KIND,
                "placeholder": plain("Choose"),
                "options": [_option(k.value, k.label) for k in MeetingKind],
            },
            optional=True,
        ),
        _input(
            ids.NOTES,
            "Notes",
            _text_input(
                ids.NOTES, MAX_NOTES, multiline=True, initial=clip(m.notes, MAX_NOTES) if m.notes else None
            ),
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.MEETING_MODAL,
        "title": plain(TITLE),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": private_metadata(m.channel_id),
        "blocks": blocks,
    }


def _deal_blocks(m: MeetingModal) -> list[dict[str, Any]]:
    if m.account is None:
        return [context("Pick the account to see its open deals.", block_id="deal_hint")]
    account_value = m.account[0]
    blocks: list[dict[str, Any]] = []
    if m.deals:
        select: dict[str, Any] = {
            "type": "static_select",
            "action_id": ids.DEAL,
            "placeholder": plain("Choose the deal"),
            "options": [_option(str(deal_id), name) for deal_id, name in m.deals]
            + [_option(ids.NEW_DEAL, "\u2795 A new deal on this account")],
        }
        given = next(((i, name) for i, name in m.deals if str(i) == m.deal), None)
        if given is not None:  # e.g. a nudge's "Log meeting": that deal
            select["initial_option"] = _option(str(given[0]), given[1])
        elif len(m.deals) == 1 and m.deal is None:
            select["initial_option"] = _option(str(m.deals[0][0]), m.deals[0][1])
        blocks.append(_input(deal_block_id(account_value), "Deal", select, dispatch=True))
    if not m.deals or m.deal == ids.NEW_DEAL:
        blocks.append(
            _input(
                ids.NEW_DEAL_NAME,
                "New deal's name",
                _text_input(ids.NEW_DEAL_NAME, MAX_NAME, "e.g. 2027 renewal, or Platform expansion"),
                optional=True,
                hint="Leave it empty to name it after the account.",
            )
        )
    return blocks
