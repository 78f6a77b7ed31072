"""The nudge DM shows each kind's buttons from the table, in its order, each with its own action id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.domain.nudge_kinds import NUDGE_KINDS, Offer
from bot.domain.nudges import NudgeItem
from bot.domain.vocabulary import NudgeKind
from bot.slack import ids
from bot.slack.blocks.nudge_dm import OFFER_BUTTONS, nudge_message

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_every_offer_in_the_table_has_a_button_or_the_snooze_menu() -> None:
    offers = {b.offer for row in NUDGE_KINDS.values() for b in row.buttons}
    assert offers - {Offer.SNOOZE} <= set(OFFER_BUTTONS)
    assert len({action_id for _, action_id in OFFER_BUTTONS.values()}) == len(OFFER_BUTTONS)


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_an_unanswered_nudge_shows_its_kinds_buttons_in_order(kind: NudgeKind) -> None:
    item = NudgeItem(
        nudge_id=7,
        kind=kind,
        account_name="Acme",
        deal_name="Renewal",
        scheduled_at=NOW + timedelta(days=1),
        ordinal=2,
    )
    _, blocks = nudge_message([item], ZoneInfo("Europe/Berlin"))
    for block in blocks:
        Block.parse(block).validate_json()
    elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    expected = [
        ids.NUDGE_SNOOZE if b.offer is Offer.SNOOZE else OFFER_BUTTONS[b.offer][1]
        for b in NUDGE_KINDS[kind].buttons
    ]
    assert [e["action_id"] for e in elements] == expected
    assert [e.get("style") == "primary" for e in elements] == [b.primary for b in NUDGE_KINDS[kind].buttons]
    footers = [b for b in blocks if b["type"] == "context"]
    assert bool(footers) == bool(NUDGE_KINDS[kind].footer)
