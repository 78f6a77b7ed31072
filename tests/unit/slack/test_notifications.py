"""What each message says on a phone's lock screen, and what a screen reader says for repeated buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.domain.nudges import NudgeItem
from bot.domain.vocabulary import NudgeKind
from bot.services.leaderboard import ChartWeek
from bot.slack.blocks.nudge_dm import nudge_message
from bot.slack.chart import chart_alt_text

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
TZ = ZoneInfo("Europe/Berlin")


def _item(nudge_id: int, kind: NudgeKind, account: str = "Acme Corp") -> NudgeItem:
    return NudgeItem(
        nudge_id=nudge_id,
        kind=kind,
        account_name=account,
        deal_name=f"{account} renewal",
        description="Proposal review",
        scheduled_at=NOW + timedelta(days=1),
        days_quiet=21,
    )


@pytest.mark.parametrize(
    ("kind", "one", "several"),
    [
        (
            NudgeKind.UNSCHEDULED,
            "Acme Corp: the next step they agreed to needs a date",
            "2 next steps need a date",
        ),
        (
            NudgeKind.OVERDUE,
            "How did it go? Your meeting with Acme Corp",
            "How did they go? 2 meetings to log",
        ),
        (
            NudgeKind.PREP,
            "Coming up: your meeting with Acme Corp, with your prep notes",
            "Coming up: 2 meetings, with your prep notes",
        ),
        (
            NudgeKind.STALLED,
            "Acme Corp has gone quiet: book a next step or replace it",
            "2 deals have gone quiet",
        ),
    ],
)
def test_each_nudge_kind_says_what_it_is(kind, one, several):
    text, _ = nudge_message([_item(1, kind)], TZ)
    assert text == one
    text, _ = nudge_message([_item(1, kind), _item(2, kind, "Globex")], TZ)
    assert text == several


@pytest.mark.parametrize("kind", [NudgeKind.PREP, NudgeKind.OVERDUE])
def test_prep_and_how_did_it_go_never_claim_a_deal_needs_a_scheduled_step(kind):
    text, _ = nudge_message([_item(1, kind)], TZ)
    assert "scheduled next step" not in text and "needs a date" not in text


def test_a_mixed_dm_counts_each_kind_in_the_order_shown():
    items = [
        _item(1, NudgeKind.OVERDUE),
        _item(2, NudgeKind.UNSCHEDULED, "Globex"),
        _item(3, NudgeKind.PREP, "Initech"),
    ]
    text, _ = nudge_message(items, TZ)
    assert text == "Your next steps: 1 to log, 1 to put a date on, 1 coming up"


def test_account_names_in_the_notification_are_escaped():
    text, _ = nudge_message([_item(1, NudgeKind.STALLED, "R&D <Labs>")], TZ)
    assert text.startswith("R&amp;D &lt;Labs&gt; has gone quiet")


def test_every_repeated_nudge_button_names_its_deal_for_a_screen_reader():
    items = [
        _item(1, NudgeKind.UNSCHEDULED),
        _item(2, NudgeKind.UNSCHEDULED, "Globex"),
        _item(3, NudgeKind.STALLED, "Initech"),
    ]
    _, blocks = nudge_message(items, TZ)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]
    for block in blocks:
        Block.parse(block).to_dict()
    labels = [b["accessibility_label"] for b in buttons]
    assert len(labels) == len(set(labels)), "two buttons a screen reader cannot tell apart"
    assert (
        "Log meeting: Globex, Globex renewal" in labels
        and "Booked it: Acme Corp, Acme Corp renewal" in labels
    )
    assert all(len(label) <= 75 for label in labels)


def test_the_chart_alt_text_reads_out_each_week():
    weeks = [
        ChartWeek(monday=datetime(2026, 11, 9).date(), meetings=5, booked=2),
        ChartWeek(monday=datetime(2026, 11, 16).date(), meetings=0, booked=0),
    ]
    alt = chart_alt_text(weeks, "East: booked rate and meetings, last 8 weeks")
    assert alt.startswith("East: booked rate and meetings, last 8 weeks.")
    assert "week of 9 Nov: 5 meetings, 40% booked; week of 16 Nov: 0 meetings, no booked rate." in alt
