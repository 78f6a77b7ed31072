"""Every leaderboard number on hand-built weeks, and the post as a person reads it."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from bot.domain.vocabulary import AskType, NextStepStatus, Reaction
from bot.services.leaderboard import (
    FollowThrough,
    RepLine,
    compute_board,
    default_scope,
    post_moment,
    rank_lines,
    reported_week,
    team_scopes,
    week_containing,
)
from bot.slack.blocks.leaderboard import leaderboard_message
from bot.slack.chart import DATA_KEY, chart_png
from bot.slackfake.render import render_message
from models import Meeting
from tests.seeds.leaderboard import BERLIN, MONDAY, POST_AT, Builder, at

NEW_YORK = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")


def board_of(b: Builder, as_of: datetime = POST_AT, scope=None, history: bool = False):
    week = reported_week(as_of, ZoneInfo(b.workspace.timezone))
    return compute_board(
        b.session,
        b.workspace,
        scope or default_scope(b.workspace),
        week,
        as_of=post_moment(b.workspace, week),
        with_history=history,
    )


def read(board) -> str:
    text, blocks = leaderboard_message(board)
    for block in blocks:
        Block.parse(block).to_dict()  # what Slack would accept
    assert len(blocks) <= 50 and text
    shown = render_message({"text": text, "blocks": blocks}, width=200)
    return " ".join(
        shown.replace("*", "").replace("_", "").replace("`", "").split()
    )  # bold and italics as read


def test_the_reported_week_is_the_last_full_monday_to_sunday_in_the_workspace_zone():
    week = reported_week(POST_AT, BERLIN)
    assert (week.monday, week.sunday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert week.start == datetime(2026, 11, 15, 23, tzinfo=UTC)  # Monday 00:00 in Berlin
    assert week.label == "16–22 Nov 2026"
    # Sunday night in Berlin is still that week; the post on Monday reports it.
    assert reported_week(at(22, 23, 59), BERLIN).monday == date(2026, 11, 9)


def test_ranked_by_booked_rate_ties_by_meetings_with_shared_places(session):
    b = Builder(session)
    ana, bea, cem = b.rep("Ana"), b.rep("Bea"), b.rep("Cem")
    dan, eve = b.rep("Dan"), b.rep("Eve")
    b.meetings(ana, 4, 3)  # 75%, 4 meetings
    b.meetings(bea, 8, 6)  # 75%, 8 meetings: ahead of Ana on the tie
    b.meetings(cem, 4, 3)  # same as Ana: same place
    b.meetings(dan, 2, 2)  # 100% but under the minimum of 3: unranked
    b.meeting(eve, MONDAY - timedelta(days=10))  # a rep (she logs meetings), but none this week
    board = board_of(b)
    assert [(r.name, r.rank) for r in board.ranked] == [("Bea", 1), ("Ana", 2), ("Cem", 2)]
    assert [r.name for r in board.unranked] == ["Dan"] and [r.name for r in board.quiet] == ["Eve"]
    assert (board.totals.meetings, board.totals.booked, board.totals.reps) == (18, 14, 5)
    shown = read(board)
    assert "1. Bea · new — 75% booked · 100% asked · 8 meetings" in shown
    assert "2. Ana · new — 75% booked" in shown and "2. Cem · new — 75% booked" in shown
    assert "Not ranked yet (under 3 meetings): • Dan — 100% booked · 100% asked · 2 meetings" in shown
    assert "1 logged no meetings" in shown
    assert "Team: 18 meetings by 5 reps · 78% booked" in shown
    assert eve.id  # listed only as a count


def test_ask_rate_uses_the_graded_ask_and_withdrawn_meetings_are_hidden(session):
    b = Builder(session)
    ana = b.rep("Ana")
    b.meeting(ana, at(16, 10), Reaction.BOOKED, ask=AskType.SCHEDULED_MEETING)
    b.meeting(ana, at(17, 10), Reaction.AGREED_UNSCHEDULED, ask=AskType.SPECIFIC_ACTION)
    b.meeting(ana, at(18, 10), Reaction.HESITANT, ask=AskType.OPEN_ENDED)
    b.meeting(ana, at(19, 10), None, ask=AskType.NO_ASK)
    b.meeting(ana, at(20, 10), Reaction.BOOKED, withdrawn=True)
    (line,) = board_of(b).ranked
    assert (line.meetings, line.asked, line.booked) == (4, 2, 1)
    assert (line.ask_rate, line.booked_rate) == (0.5, 0.25)


def test_a_pause_leaves_a_rep_out_of_the_weeks_it_reached_into_only(session):
    from bot.services.pauses import pause, resume

    b = Builder(session)
    monday_early = datetime(2026, 11, 23, 7, tzinfo=ZoneInfo("Europe/Berlin"))  # before the 09:00 post
    holiday = b.rep("Holiday Hana", timezone="Europe/Berlin")
    sick = b.rep("Sick Sven", timezone="Europe/Berlin")
    back = b.rep("Back Ben", timezone="Europe/Berlin")
    for rep in (holiday, sick, back):
        b.meetings(rep, 4, 2)
    # Hana starts her holiday on Monday morning, after the week she worked: she stays on its board.
    pause(
        session,
        team_id="T1",
        user_id=holiday.user_id,
        until=date(2026, 12, 4),
        today=monday_early.date(),
        now=monday_early,
    )
    # Sven was off from Thursday 19 November: out of that week.
    thursday = datetime(2026, 11, 19, 8, tzinfo=ZoneInfo("Europe/Berlin"))
    pause(
        session,
        team_id="T1",
        user_id=sick.user_id,
        until=date(2026, 11, 30),
        today=thursday.date(),
        now=thursday,
    )
    # Ben paused the week before and came back on Monday 16th, before logging anything.
    before = datetime(2026, 11, 10, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    pause(
        session, team_id="T1", user_id=back.user_id, until=date(2026, 11, 20), today=before.date(), now=before
    )
    resume(
        session,
        team_id="T1",
        user_id=back.user_id,
        now=datetime(2026, 11, 16, 8, tzinfo=ZoneInfo("Europe/Berlin")),
    )

    # Sara set her pause on Sunday evening, for the week ahead: the week she worked still counts.
    sunday = b.rep("Sunday Sara", timezone="Europe/Berlin")
    b.meetings(sunday, 4, 2)
    sunday_evening = datetime(2026, 11, 22, 20, tzinfo=ZoneInfo("Europe/Berlin"))
    pause(
        session,
        team_id="T1",
        user_id=sunday.user_id,
        until=date(2026, 11, 27),
        today=sunday_evening.date(),
        now=sunday_evening,
    )

    board = board_of(b)
    named = [r.name for r in (*board.ranked, *board.unranked, *board.quiet)]
    assert "Holiday Hana" in named and "Back Ben" in named and "Sunday Sara" in named
    assert "Sick Sven" not in named
    assert board.paused == 1
    # the week before: Ben (paused through Sunday 15th) and nobody else is left out
    earlier = compute_board(
        session,
        b.workspace,
        default_scope(b.workspace),
        reported_week(POST_AT - timedelta(days=7), ZoneInfo("Europe/Berlin")),
        as_of=POST_AT - timedelta(days=7),
    )
    assert earlier.paused == 1


def test_opted_out_reps_count_in_totals_unnamed_and_paused_reps_are_left_out(session):
    b = Builder(session)
    ana = b.rep("Ana")
    shy = b.rep("Shy Sam", leaderboard_opt_out=True)
    away = b.rep("Away Ali", paused_until=date(2026, 11, 18))
    b.meetings(ana, 3, 3)
    b.meetings(shy, 5, 1)
    b.meetings(away, 4, 4)
    board = board_of(b)
    assert [r.name for r in board.ranked] == ["Ana"]
    assert (board.opted_out, board.paused) == (1, 1)
    assert (board.totals.meetings, board.totals.booked) == (8, 4)  # Sam's counted, Ali's not
    shown = read(board)
    assert "Shy Sam" not in shown and "Away Ali" not in shown
    assert "1 opted out of being named (their meetings are in the team totals)" in shown
    assert "1 paused, left out this week" in shown


def test_someone_who_never_logged_a_meeting_is_not_on_the_default_board(session):
    """An admin who opened the settings, a manager who opened App Home: not reps."""
    b = Builder(session)
    ana = b.rep("Ana")
    b.meetings(ana, 3, 2)
    b.rep("Admin Ada")
    board = board_of(b)
    assert [r.name for r in board.ranked] == ["Ana"] and board.quiet == [] and board.totals.reps == 1


def test_a_week_with_no_meetings(session):
    b = Builder(session)
    b.meeting(b.rep("Ana"), MONDAY - timedelta(days=9))  # history, not this week
    b.meeting(b.rep("Old Olga"), MONDAY - timedelta(days=20))
    board = board_of(b)
    assert board.ranked == [] and board.unranked == [] and board.totals.meetings == 0
    assert board.totals.booked_rate is None
    shown = read(board)
    assert "No meetings logged this week." in shown and "Team: 0 meetings by 2 reps · – booked" in shown
    assert "No meetings logged this week. Log each one with /meeting" in shown


def test_meetings_count_by_when_they_were_held_in_the_workspace_zone(session):
    b = Builder(session, tz="America/New_York")
    ana = b.rep("Ana", timezone="America/Los_Angeles")
    # Sunday 22 Nov, 22:00 in New York (Monday 03:00 UTC), logged on Monday: last week's.
    b.meeting(ana, at(22, 22, tz=NEW_YORK), logged_at=at(23, 9, tz=NEW_YORK))
    # Sunday 21:30 in Los Angeles is Monday 00:30 in New York: the workspace's zone puts it in this week.
    b.meeting(ana, at(22, 21, 30, tz=LA))
    # Monday 16 Nov 00:10 in New York opens the week; Sunday 15 Nov 23:50 does not.
    b.meeting(ana, at(16, 0, 10, tz=NEW_YORK))
    b.meeting(ana, at(15, 23, 50, tz=NEW_YORK))
    b.meeting(ana, at(18, 12, tz=NEW_YORK))
    board = board_of(b, as_of=at(23, 9, tz=NEW_YORK))
    assert board.week.monday == date(2026, 11, 16)
    assert board.ranked[0].meetings == 3


def test_weeks_across_both_dst_changes_have_their_real_length(session):
    b = Builder(session)
    ana = b.rep("Ana")
    spring = week_containing(at(23, 12, month=3), BERLIN)  # Berlin springs forward on Sunday 29 March
    assert spring.end - spring.start == timedelta(hours=167)
    autumn = week_containing(at(19, 12, month=10), BERLIN)  # and falls back on Sunday 25 October
    assert autumn.end - autumn.start == timedelta(hours=169)
    b.meeting(ana, at(29, 23, 30, month=3))  # Sunday 23:30 summer time: that week
    b.meeting(ana, at(30, 0, 30, month=3))  # Monday 00:30: the next
    b.meeting(ana, at(23, 0, 15, month=3))  # Monday 00:15 winter time: that week
    b.meeting(ana, at(25, 23, 30, month=10))  # Sunday 23:30 winter time again: its week
    b.meeting(ana, at(25, 2, 30, month=10))  # the repeated hour of the fall-back night
    b.meeting(ana, at(19, 0, 5, month=10))
    assert board_of(b, as_of=at(30, 9, month=3)).totals.meetings == 2
    assert board_of(b, as_of=at(26, 9, month=10)).totals.meetings == 3


def test_the_week_across_the_year_end(session):
    b = Builder(session)
    ana = b.rep("Ana")
    for held in (
        at(28, 9, month=12),
        at(31, 23, month=12),
        at(1, 10, month=1, year=2027),
        at(3, 20, month=1, year=2027),
    ):
        b.meeting(ana, held)
    b.meeting(ana, at(4, 9, month=1, year=2027))  # the Monday of the post: next week's
    board = board_of(b, as_of=at(4, 9, month=1, year=2027))
    assert board.week.label == "28 Dec 2026 – 3 Jan 2027"
    assert board.ranked[0].meetings == 4
    assert "week of 28 Dec 2026 – 3 Jan 2027" in read(board)


def test_follow_through_counts_booked_steps_in_the_window_with_their_two_day_grace(session):
    b = Builder(session)
    ana = b.rep("Ana")
    b.meetings(ana, 3, 3)
    window_start, window_end = POST_AT - timedelta(days=9), POST_AT - timedelta(days=2)
    kept = b.deal(ana)
    b.step(ana, kept, window_start + timedelta(days=1), status=NextStepStatus.DONE)
    b.meeting(ana, window_start + timedelta(days=2, hours=20), deal=kept)  # within 2 days after
    late = b.deal(ana)
    b.step(ana, late, window_start + timedelta(days=2), status=NextStepStatus.DONE)
    b.meeting(ana, window_start + timedelta(days=4, hours=1), deal=late)  # 2 days and an hour: too late
    missed = b.deal(ana)
    b.step(ana, missed, window_end - timedelta(hours=1))  # still booked, nothing logged
    b.step(ana, b.deal(ana), window_end + timedelta(hours=1))  # still in its grace: not yet counted
    b.step(ana, b.deal(ana), window_start + timedelta(days=3), status=NextStepStatus.CANCELLED)
    line = board_of(b).ranked[0]
    assert (line.follow.due, line.follow.kept) == (3, 1)
    assert "follow-through 1/3" in read(board_of(b))


def test_median_days_between_meetings_on_the_same_deal_reaches_back_before_the_week(session):
    b = Builder(session)
    ana = b.rep("Ana")
    acme = b.deal(ana, "Acme")
    b.meeting(ana, at(6, 10), deal=acme)  # before the week: only a predecessor
    b.meeting(ana, at(16, 10), deal=acme)  # 10 days after
    b.meeting(ana, at(20, 10), deal=acme)  # 4 days after
    b.meeting(ana, at(17, 10))  # a first meeting on another deal: no gap
    b.meeting(ana, at(15, 10), deal=acme, withdrawn=True)  # withdrawn: not a predecessor
    line = board_of(b).ranked[0]
    assert sorted(line.gaps) == [4.0, 10.0] and line.median_gap_days == 7.0
    assert "7 days between" in read(board_of(b))


def test_streak_comes_from_the_rep_and_movement_from_last_weeks_ranking(session):
    b = Builder(session)
    ana, bea, cem = b.rep("Ana", streak=5), b.rep("Bea"), b.rep("Cem")
    last = MONDAY - timedelta(days=7)
    b.meetings(ana, 3, 1, start=last)
    b.meetings(bea, 3, 3, start=last)
    b.meetings(ana, 3, 3)
    b.meetings(bea, 3, 2)
    b.meetings(cem, 3, 1)
    board = board_of(b)
    assert [(r.name, r.rank, r.movement) for r in board.ranked] == [
        ("Ana", 1, 1),
        ("Bea", 2, -1),
        ("Cem", 3, None),
    ]
    shown = read(board)
    assert "1. Ana · ▲1 — 100% booked · 100% asked · 3 meetings · streak 5" in shown
    assert "2. Bea · ▼1" in shown and "3. Cem · new" in shown


def test_each_team_has_its_board_and_reps_in_no_team_share_the_default_one(session):
    b = Builder(session, leaderboard_channel_id="CALL")
    east = b.team("East", manager="UMGR", channel="CEAST")
    west = b.team("West")
    b.meetings(b.rep("Ana", east), 3, 3)
    b.meetings(b.rep("Bea", west), 3, 1)
    b.meetings(b.rep("Cem"), 3, 2)
    scopes = {s.name: s for s in team_scopes(session, b.workspace)}
    assert {n: s.channel_id for n, s in scopes.items()} == {
        "East": "CEAST",
        "West": "CALL",
        "Acme Sales": "CALL",
    }
    assert [r.name for r in board_of(b, scope=scopes["East"]).ranked] == ["Ana"]
    assert [r.name for r in board_of(b, scope=scopes["Acme Sales"]).ranked] == ["Cem"]


def test_a_200_rep_team_stays_within_50_blocks_and_the_rest_is_summarised(session):
    b = Builder(session)
    for n in range(200):
        rep = b.rep(f"Rep {n:03d} with a rather long display name")
        b.meetings(rep, 3 if n % 4 else 1, n % 4)
    board = board_of(b)
    text, blocks = leaderboard_message(board)
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).to_dict()
    shown = " ".join(render_message({"text": text, "blocks": blocks}, width=200).split())
    assert len(board.ranked) == 150 and "Rep 001" in shown
    huge = compute_board(session, b.workspace, default_scope(b.workspace), board.week, as_of=POST_AT)
    huge.ranked = huge.ranked * 6  # 900 ranked lines: more than 43 sections hold
    text, blocks = leaderboard_message(huge)
    assert len(blocks) <= 50 and "more ranked reps" in render_message({"text": text, "blocks": blocks})


def test_the_chart_is_a_png_of_the_last_8_weeks(session):
    b = Builder(session)
    ana = b.rep("Ana")
    b.meetings(ana, 4, 3)  # the reported week
    b.meetings(ana, 2, 0, start=MONDAY - timedelta(days=14))
    b.meeting(ana, MONDAY - timedelta(days=7 * 7 + 1))  # Sunday before the 8 weeks: not drawn
    board = board_of(b, history=True)
    weeks = [(w.monday, w.meetings, w.booked) for w in board.history]
    assert len(weeks) == 8 and weeks[0][0] == date(2026, 9, 28) and weeks[-1] == (date(2026, 11, 16), 4, 3)
    assert weeks[-3] == (date(2026, 11, 2), 2, 0)
    assert sum(w[1] for w in weeks) == 6
    png = chart_png(board.history, "Acme Sales")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 400)
    drawn = json.loads(image.text[DATA_KEY])
    assert [(d["week"], d["meetings"], d["booked_rate"]) for d in drawn][-3:] == [
        ("2026-11-02", 2, 0.0),
        ("2026-11-09", 0, None),
        ("2026-11-16", 4, 0.75),
    ]


def test_every_figure_matches_the_definitions_on_a_varied_team(session):
    """Ten weeks of varied meetings (withdrawn, on shared deals, on week bounds, across the DST change):
    the board's counts, gaps, places, movement and chart are what PRODUCT.md's definitions give."""
    import random
    import statistics

    rng = random.Random(16)
    b = Builder(session)
    reps = [b.rep(f"Rep {n:02d}") for n in range(12)]
    reps.append(b.rep("Olga", leaderboard_opt_out=True))
    reps.append(b.rep("Paul", paused_until=MONDAY.date() + timedelta(days=2)))
    deals = {rep.id: [b.deal(rep) for _ in range(3)] for rep in reps}
    week = reported_week(POST_AT, BERLIN)
    asks = list(AskType)
    reactions = [*Reaction, None]
    for rep in reps:
        for _ in range(rng.randint(0, 40)):
            held = week.start - timedelta(weeks=9) + timedelta(minutes=rng.randint(0, 10 * 7 * 24 * 60))
            if rng.random() < 0.1:  # on a week's first or last instant (Monday 00:00 local)
                held = week.shifted(-rng.randint(0, 8)).start - timedelta(microseconds=rng.choice([0, 1]))
            b.meeting(
                rep,
                held,
                rng.choice(reactions),
                ask=rng.choice(asks),
                deal=rng.choice(deals[rep.id]),
                withdrawn=rng.random() < 0.1,
            )
    board = board_of(b, history=True)

    counted = [m for m in session.scalars(select(Meeting)) if m.withdrawn_at is None]
    # The default board: reps who logged a meeting (withdrawn or not), less the paused one.
    on_board = {m.rep_id for m in session.scalars(select(Meeting))} - {reps[-1].id}

    def held_in(w, rep_id):
        return [m for m in counted if m.rep_id == rep_id and w.start <= m.held_at < w.end]

    def counts(w, rep_id):
        ms = held_in(w, rep_id)
        return (
            len(ms),
            sum(m.graded_ask_type in (AskType.SCHEDULED_MEETING, AskType.SPECIFIC_ACTION) for m in ms),
            sum(m.reaction == Reaction.BOOKED for m in ms),
        )

    def gaps(rep_id):
        out = []
        for m in held_in(week, rep_id):
            before = [o.held_at for o in counted if o.deal_id == m.deal_id and o.held_at < m.held_at]
            if before:
                out.append((m.held_at - max(before)).total_seconds() / 86400)
        return sorted(out)

    last = week.shifted(-1)
    before = [
        RepLine(r.id, r.display_name, *counts(last, r.id), FollowThrough(), [], 0, False)
        for r in reps
        if r.id in on_board and not r.leaderboard_opt_out
    ]
    previous = {line.rep_id: line.rank for line in rank_lines(before, b.workspace.min_meetings_to_rank)[0]}
    lines = board.ranked + board.unranked + board.quiet
    assert {line.rep_id for line in lines} == {
        r.id for r in reps if r.id in on_board and not r.leaderboard_opt_out
    }
    for line in lines:
        assert (line.meetings, line.asked, line.booked) == counts(week, line.rep_id), line.name
        assert sorted(line.gaps) == pytest.approx(gaps(line.rep_id)), line.name
        if line.rank is not None:
            was = previous.get(line.rep_id)
            assert line.movement == (was - line.rank if was is not None else None), line.name
    everyone = [counts(week, rep_id) for rep_id in on_board]
    assert (board.totals.reps, board.totals.meetings, board.totals.asked, board.totals.booked) == (
        len(on_board),
        *(sum(c[i] for c in everyone) for i in range(3)),
    )
    all_gaps = [g for rep_id in on_board for g in gaps(rep_id)]
    assert board.totals.median_gap_days == pytest.approx(statistics.median(all_gaps))
    chart = [
        (w.monday, len(ms), sum(m.reaction == Reaction.BOOKED for m in ms))
        for w in (week.shifted(-n) for n in range(7, -1, -1))
        for ms in [[m for rep_id in on_board for m in held_in(w, rep_id)]]
    ]
    assert [(w.monday, w.meetings, w.booked) for w in board.history] == chart
    assert sum(w.meetings for w in board.history) > 100 and board.ranked and board.opted_out == 1
