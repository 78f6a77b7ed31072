"""The digest's forecast line as a manager reads it."""

from __future__ import annotations

from decimal import Decimal

from slack_sdk.models.blocks import Block

from bot.domain.outlook import ForecastChange
from bot.slack.blocks.digest import forecast_blocks


def _line(change: ForecastChange) -> str:
    blocks = forecast_blocks(change)
    for block in blocks:
        Block.parse(block).to_dict()  # valid for Slack
    return blocks[0]["text"]["text"]


def _change(expected: str, before: str) -> ForecastChange:
    return ForecastChange(
        expected=Decimal(expected),
        expected_wins=3.2,
        before_expected=Decimal(before),
        before_wins=0.2,
        deals=5,
        before_deals=4,
        moves=(),
    )


def test_a_team_with_no_deal_amounts_is_not_told_its_expected_value_is_zero():
    line = _line(_change("0", "0"))
    assert "no deal amounts yet" in line and "expected wins *3.2* (last week 0.2)" in line
    assert "expected value" not in line


def test_amounts_show_the_expected_value_and_its_change():
    line = _line(_change("120000", "100000"))
    assert "expected value" in line and "+" in line and "expected wins *3.2*" in line
