"""Momentum, flags and the pipeline on hand-built histories; the App Home and history as a rep reads them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from bot.domain.pipeline import (
    Chance,
    DealFacts,
    FlagKind,
    Level,
    MeetingFact,
    Override,
    ReplacementRatio,
    flags,
    momentum,
    pipeline,
)
from bot.domain.vocabulary import AskType, DealStatus, LostReason, NextStepStatus, Reaction
from bot.services.deal_edits import MeetingEdit, edit_meeting, withdraw_meeting
from bot.services.deal_history import load_history
from bot.services.pipeline import load_pipeline
from bot.services.reps import zone
from bot.slack.blocks.app_home import PAGE_SIZE, home_view
from bot.slack.blocks.deal_history import history_modal
from bot.slackfake.render import render_view
from tests.seeds import pipeline as seed

DAY = timedelta(days=1)
UTC = zone("UTC")


def facts(now, *history, **extra) -> DealFacts:
    recent = tuple(
        MeetingFact(now - (len(history) - i) * 7 * DAY, r, AskType.SCHEDULED_MEETING, s, moves)
        for i, (r, s, moves) in enumerate(history)
    )
    base = dict(
        deal_id=1,
        name="Acme opportunity",
        account_id=1,
        account_name="Acme",
        created_at=now - 60 * DAY,
        last_meeting_at=recent[-1].held_at if recent else None,
        meetings_held=len(recent),
        recent=recent,
    )
    return DealFacts(**(base | extra))


B, U, H, D = Reaction.BOOKED, Reaction.AGREED_UNSCHEDULED, Reaction.HESITANT, Reaction.DECLINED
DONE, MISSED = NextStepStatus.DONE, NextStepStatus.MISSED


def test_kept_commitments_raise_momentum_and_say_so(now):
    kept = facts(
        now,
        (B, DONE, 0),
        (B, DONE, 0),
        (B, NextStepStatus.BOOKED, 0),
        step_status=NextStepStatus.BOOKED,
        step_at=now + 2 * DAY,
    )
    m = momentum(kept, now)
    assert m.level is Level.STRONG
    assert "3 of the last 3 meetings ended with a date booked" in m.reasons
    assert "they kept 2 booked meetings and booked again" in m.reasons


def test_declines_hesitation_missed_steps_and_gaps_lower_it(now):
    slipping = facts(now, (B, MISSED, 0), (H, DONE, 0), (D, None, 0), last_meeting_at=now - 20 * DAY)
    m = momentum(slipping, now)
    assert m.level is Level.SLIPPING and m.points < -1
    assert m.reasons[0] == "they declined at the last meeting"
    assert "1 booked step didn't happen" in m.reasons
    moved = facts(now, (B, NextStepStatus.BOOKED, 3), step_status=NextStepStatus.BOOKED, step_at=now + DAY)
    assert "1 step moved twice or more" in momentum(moved, now).reasons
    assert momentum(moved, now).points == 1  # +2 booked, -1 moved


def test_a_deal_with_no_meetings_says_so_rather_than_showing_a_score(now):
    fresh = facts(now, created_at=now - 2 * DAY)
    assert momentum(fresh, now).reasons == ("no meetings logged yet",)


def test_time_sink_needs_many_meetings_many_days_and_no_recent_booking(now):
    sink = facts(now, (B, DONE, 0), (U, DONE, 0), (H, DONE, 0), (U, None, 0), created_at=now - 45 * DAY)
    (flag,) = [f for f in flags(sink, now) if f.kind is FlagKind.TIME_SINK]
    assert flag.why.startswith(
        "4 meetings over 45 days, and none of the last 3 ended with a date on their calendar"
    )
    booked_lately = facts(
        now, (U, DONE, 0), (U, DONE, 0), (B, DONE, 0), (U, None, 0), created_at=now - 45 * DAY
    )
    assert not any(f.kind is FlagKind.TIME_SINK for f in flags(booked_lately, now))
    young = facts(now, (U, DONE, 0), (U, DONE, 0), (H, DONE, 0), (U, None, 0), created_at=now - 20 * DAY)
    assert not any(f.kind is FlagKind.TIME_SINK for f in flags(young, now))


def test_replace_now_after_a_decline_or_a_stall_but_not_with_a_booked_step_ahead(now):
    declined = facts(now, (B, DONE, 0), (D, None, 0))
    assert [f.kind for f in flags(declined, now)] == [FlagKind.REPLACE_NOW]
    assert "Replace the prospect before you lose them" in flags(declined, now)[0].why
    quiet = facts(now, (U, None, 0), last_meeting_at=now - 15 * DAY, step_status=NextStepStatus.UNSCHEDULED)
    assert flags(quiet, now)[0].why.startswith("No meeting for 15 days and nothing booked")
    booked_ahead = facts(
        now,
        (B, None, 0),
        last_meeting_at=now - 15 * DAY,
        step_status=NextStepStatus.BOOKED,
        step_at=now + DAY,
    )
    assert flags(booked_ahead, now) == ()


def test_pipeline_is_most_urgent_first_and_weights_known_amounts_by_their_learned_chance(now):
    booked = facts(
        now,
        (B, NextStepStatus.BOOKED, 0),
        deal_id=1,
        amount=Decimal(10000),
        step_status=NextStepStatus.BOOKED,
        step_at=now + DAY,
    )
    overdue = facts(
        now,
        (B, NextStepStatus.BOOKED, 0),
        deal_id=2,
        amount=Decimal(20000),
        step_status=NextStepStatus.BOOKED,
        step_at=now - DAY,
    )
    unscheduled = facts(
        now,
        (U, NextStepStatus.UNSCHEDULED, 0),
        deal_id=3,
        step_status=NextStepStatus.UNSCHEDULED,
        step_since=now - 3 * DAY,
    )
    declined = facts(now, (D, None, 0), deal_id=4)
    chances = {
        1: Chance(0.62, 0.5, 0.7, "of 48 deals …, 30 were won"),
        2: Chance(0.2, 0.1, 0.3, "of 20 deals …, 4 were won"),
        3: Chance(0.3, 0.2, 0.4, "…"),
        4: Chance(0.05, 0.0, 0.1, "…", override=Override(0.5, "CFO signed off", "Lee", now)),
    }
    p = pipeline([booked, unscheduled, declined, overdue], ReplacementRatio(1, 2), now, chances)
    assert [s.facts.deal_id for s in p.deals] == [2, 4, 3, 1]
    assert p.total == Decimal(30000) and p.priced == 2
    # The learned chances, not the momentum levels' fixed weights (both Building: 50 %, 15,000).
    assert p.expected == Decimal("6200.00") + Decimal("4000.00")  # 10,000 x 62 % + 20,000 x 20 %
    # A manager's override counts in the expected wins instead of the learned 5 %.
    assert abs(p.expected_wins - (0.62 + 0.2 + 0.3 + 0.5)) < 1e-9
    assert p.overrides == 1
    assert p.ratio.text == "1 replacement deal added for 2 lost to a decline or silence: 1 still to replace"


def _history(session: Session, now):
    maria = seed.rep(session, "T1", "U1", now, "Maria")
    acme = seed.deal(session, maria, "Acme", now - 40 * DAY, amount="25000", stage="Proposal")
    seed.meeting(session, acme, now - 30 * DAY, B, step=DONE, step_at=now - 23 * DAY)
    seed.meeting(
        session,
        acme,
        now - 23 * DAY,
        H,
        ask="I'll circle back in a few weeks",
        ask_type=AskType.OPEN_ENDED,
        step=NextStepStatus.DONE,
    )
    last = seed.meeting(
        session,
        acme,
        now - 2 * DAY,
        B,
        step=NextStepStatus.BOOKED,
        step_at=now + 3 * DAY,
        logged_at=now - 2 * DAY,
    )
    lost = seed.deal(
        session, maria, "Globex", now - 90 * DAY, status=DealStatus.LOST, lost_reason=LostReason.DECLINED
    )
    seed.deal(session, maria, "Initech", now - 10 * DAY, replaces=lost)
    session.commit()
    return maria, acme, last


def test_app_home_reads_as_a_rep_needs_it(session, now):
    maria, acme, _ = _history(session, now)
    p = load_pipeline(session, "T1", maria, now)
    text = render_view(home_view(p, now, UTC), width=200).replace("*", "")
    assert "2 open deals: 0 overdue · 0 not scheduled · 1 with no next step · 1 booked" in text
    # No deal has ended yet: each chance is today's rule, said so, with a wide range.
    assert (
        "Pipeline 25,000 across 1 deal with an amount; expected value 12,500 · expected wins 0.8 of 2" in text
    )
    assert "Chance to win: 50 % (20–80 %): no deals have ended yet, too few to learn from (20 needed)" in text
    assert "Too few deals have ended here to learn from yet" in text
    assert "Replacement: 1 replacement deal added for 1 lost to a decline or silence" in text
    acme_line = next(line for line in text.splitlines() if "Last meeting 2 days ago" in line)
    assert "3 meetings held · open 40 days · 25,000 · Proposal" in acme_line
    assert "last booked commitment 2 days ago" in acme_line
    assert "Booked for Fri 27 Nov, 15:30 — Proposal walkthrough" in text
    assert "Momentum: Building (2 of the last 3 meetings ended with a date booked; they hesitated" in text
    assert "No meeting yet · last booked commitment never · 0 meetings held · open 10 days" in text
    # Initech has no meeting and no step: shown first (no next step), Acme (booked) after it
    assert text.index("Initech") < text.index("Acme")


def test_app_home_with_500_open_deals_stays_inside_slacks_limits(session, now):
    maria = seed.rep(session, "T1", "U1", now)
    seed.bulk_pipeline(session.connection(), maria, 500, 2000, now)
    session.commit()
    p = load_pipeline(session, "T1", maria, now)
    assert len(p.deals) == 500
    for start in (0, PAGE_SIZE, 475):
        view = home_view(p, now, UTC, page_start=start)
        View(**view).to_dict()
        assert len(view["blocks"]) <= 100
        text = render_view(view, width=200)
        assert (
            f"Showing {start + 1}–{min(start + PAGE_SIZE, 500)} of 500 open deals, most urgent first" in text
        )
    assert "Next 25 →" in render_view(home_view(p, now, UTC), width=200)


def test_history_shows_the_timeline_edits_and_withdrawals(session, now):
    maria, acme, last = _history(session, now)
    edit_meeting(
        session,
        team_id="T1",
        user_id="U1",
        meeting_id=last.id,
        now=now,
        edit=MeetingEdit(
            held_at=last.held_at,
            kind=None,
            ask_text="Thursday 10:00 with the CFO?",
            ask_type=AskType.SCHEDULED_MEETING,
            reaction=Reaction.BOOKED,
            notes=None,
        ),
    )
    withdraw_meeting(session, team_id="T1", user_id="U1", meeting_id=last.id, now=now)
    history = load_history(session, "T1", acme.id, now)
    view = history_modal(history, now, UTC)
    View(**view).to_dict()
    text = render_view(view, width=200).replace("*", "")
    assert "Owner: Maria · Open · 3 meetings logged" in text
    assert "withdrawn" in text and "kept here, left out of every metric" in text
    assert "changed the ask (version 1 kept)" in text
    assert "Graded: Open-ended follow-up" in text and "Reaction: Hesitant / needs to check" in text
    assert "happened (booked for" in text
    # withdrawn: out of the metrics, the deal's last meeting is the one before it
    session.refresh(acme)
    assert acme.last_meeting_at == now - 23 * DAY
    assert load_pipeline(session, "T1", maria, now).deals[-1].facts.meetings_held in (0, 2)


def test_export_cells_that_a_spreadsheet_would_run_are_quoted():
    from bot.services.export import _cell

    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [_cell(t) for t in ("+1", "-2", "@cmd", "\tx")] == ["'+1", "'-2", "'@cmd", "'\tx"]
    assert _cell("Can we meet Tuesday?") == "Can we meet Tuesday?" and _cell(None) == ""
