"""Until ``signals_change_at`` / ``features_change_at``, time passing changes nothing the Home stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.forecast import DealTimeline, MeetingRecord, StepRecord, features_at
from bot.domain.home_key import features_change_at, key_of, signals_change_at
from bot.domain.pipeline import DealFacts, MeetingFact, TimeSpent, signals
from bot.domain.vocabulary import AskType, NextStepStatus, Reaction

BASE = datetime(2026, 3, 1, tzinfo=UTC)  # DST starts in Europe on 29 March: nothing here is local
HORIZON = timedelta(days=120)


def moments() -> st.SearchStrategy[datetime]:
    # Whole seconds and odd microseconds: the edges (a step due exactly now) come up often.
    return st.one_of(
        st.integers(0, 120 * 24).map(lambda h: BASE + timedelta(hours=h)),
        st.integers(0, int(HORIZON.total_seconds()) * 1_000_000).map(
            lambda us: BASE + timedelta(microseconds=us)
        ),
    )


reactions = st.sampled_from([None, *Reaction])
statuses = st.sampled_from(list(NextStepStatus))


@st.composite
def facts(draw: st.DrawFn) -> tuple[DealFacts, datetime]:
    created = draw(moments())
    now = draw(moments())
    recent = tuple(
        MeetingFact(draw(moments()), draw(reactions), draw(st.sampled_from(list(AskType))), draw(statuses))
        for _ in range(draw(st.integers(0, 5)))
    )
    step_status = draw(st.sampled_from([None, NextStepStatus.BOOKED, NextStepStatus.UNSCHEDULED]))
    spent = draw(
        st.one_of(
            st.none(),
            st.builds(
                TimeSpent,
                won=st.integers(0, 30),
                lost=st.integers(0, 30),
                won_meetings=st.tuples(st.floats(0, 20), st.floats(0, 20)),
                won_days=st.tuples(st.floats(0, 90), st.floats(0, 90)),
                lost_meetings=st.just((1.0, 2.0)),
                lost_days=st.just((3.0, 4.0)),
            ),
        )
    )
    f = DealFacts(
        deal_id=1,
        name="d",
        account_id=1,
        account_name="a",
        created_at=created,
        last_meeting_at=draw(st.one_of(st.none(), moments())),
        meetings_held=draw(st.integers(0, 12)),
        recent=recent,
        step_id=1 if step_status else None,
        step_status=step_status,
        step_at=draw(st.one_of(st.none(), moments())) if step_status else None,
        step_since=draw(st.one_of(st.none(), moments())) if step_status else None,
        stalled_after_days=draw(st.integers(1, 60)),
        escalated_at=draw(st.one_of(st.none(), moments())),
        time_spent=spent,
    )
    return f, now


def _later(draw: st.DrawFn, now: datetime, until: datetime | None) -> datetime:
    end = until or now + HORIZON
    span = int((end - now) / timedelta(microseconds=1))
    assert span > 0, "the change is after now"
    offset = draw(st.one_of(st.just(span - 1), st.just(0), st.integers(0, span - 1)))
    return now + timedelta(microseconds=offset)


@settings(max_examples=400, deadline=None)
@given(st.data(), facts())
def test_the_stored_key_holds_until_signals_change_at(data: st.DataObject, drawn) -> None:
    f, now = drawn
    until = signals_change_at(f, now)
    t = _later(data.draw, now, until)
    assert key_of(signals(f, t), t) == key_of(signals(f, now), now)


def test_a_booked_step_turns_overdue_just_after_its_time() -> None:
    step_at = BASE + timedelta(days=3)
    f = DealFacts(1, "d", 1, "a", BASE, step_id=1, step_status=NextStepStatus.BOOKED, step_at=step_at)
    assert signals_change_at(f, BASE) == step_at
    at_it = signals_change_at(f, step_at)
    assert at_it == step_at + timedelta(microseconds=1)
    assert key_of(signals(f, at_it), at_it).state.value == "overdue"
    assert key_of(signals(f, step_at), step_at).state.value == "booked"


@st.composite
def timelines(draw: st.DrawFn) -> tuple[DealTimeline, datetime]:
    created = draw(moments())
    meetings = sorted(
        (
            MeetingRecord(
                i, held, max(held, draw(moments())), draw(reactions), draw(st.sampled_from(list(AskType)))
            )
            for i, held in enumerate(draw(st.lists(moments(), max_size=6)), start=1)
        ),
        key=lambda m: (m.held_at, m.id),
    )
    steps = []
    for i in range(draw(st.integers(0, 4))):
        made = draw(moments())
        booked = draw(st.one_of(st.none(), moments()))
        steps.append(
            StepRecord(
                100 + i,
                draw(st.sampled_from([None, *(m.id for m in meetings)])),
                made,
                draw(statuses),
                draw(moments()),
                booked,
                draw(st.one_of(st.none(), moments())) if booked else None,
            )
        )
    steps.sort(key=lambda s: (s.created_at, s.id))
    return DealTimeline(1, created, meetings=tuple(meetings), steps=tuple(steps)), draw(moments())


@settings(max_examples=400, deadline=None)
@given(st.data(), timelines())
def test_the_forecast_reads_the_same_until_features_change_at(data: st.DataObject, drawn) -> None:
    timeline, now = drawn
    until = features_change_at(timeline, now)
    t = _later(data.draw, now, until)
    before, after = features_at(timeline, now), features_at(timeline, t)
    assert (after.chain(), after.level) == (before.chain(), before.level)
