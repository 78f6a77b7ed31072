"""The meeting service: validation, one-transaction writes, duplicates, and the next step it makes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from bot.domain.errors import DuplicateSubmission, FieldErrors, NotAllowed
from bot.domain.vocabulary import AskType, NextStepStatus, Reaction
from bot.services.accounts import search_accounts
from bot.services.meetings import MeetingForm, book_next_step, log_meeting, replacement_accounts, validate
from bot.slack import ids
from models import Account, Deal, Meeting, NextStep, Rep, Reschedule


def form(now, **overrides) -> MeetingForm:
    values = dict(
        account="new:Acme Corp",
        held_at=now - timedelta(hours=1),
        ask_text="Can we meet Thursday at 10 with your CFO to review the proposal?",
        ask_type=AskType.SCHEDULED_MEETING,
        reaction=Reaction.BOOKED,
        next_step="Proposal review",
        next_step_at=now + timedelta(days=2),
        prep={"attendees": "Dana (CFO)", "evaluation": None},
    )
    values.update(overrides)
    return MeetingForm(**values)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_booked_meeting_creates_rep_account_deal_meeting_and_booked_step(session, now):
    logged = log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    meeting = session.get(Meeting, logged.meeting_id)
    step = session.get(NextStep, logged.next_step_id)
    assert logged.new_account and logged.new_deal
    assert meeting.reaction == Reaction.BOOKED and meeting.graded_ask_type == AskType.SCHEDULED_MEETING
    assert meeting.held_at == now - timedelta(hours=1)
    assert step.status == NextStepStatus.BOOKED and step.scheduled_at == now + timedelta(days=2)
    assert step.prep_attendees == "Dana (CFO)" and step.prep_evaluation is None
    assert session.get(Deal, logged.deal_id).name == "Acme Corp opportunity"
    assert session.get(Rep, logged.rep_id).streak == 1


def test_unscheduled_and_hesitant_make_an_unscheduled_step_declined_makes_none(session, now):
    unscheduled = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V1",
        now=now,
        form=form(now, reaction=Reaction.AGREED_UNSCHEDULED, next_step_at=None),
    )
    assert session.get(NextStep, unscheduled.next_step_id).status == NextStepStatus.UNSCHEDULED
    declined = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V2",
        now=now,
        form=form(now, account="new:Beta", reaction=Reaction.DECLINED, next_step=None, next_step_at=None),
    )
    assert declined.next_step_id is None
    assert session.get(Deal, declined.deal_id).at_risk_since == now
    assert session.get(Rep, declined.rep_id).streak == 0


def test_the_grade_is_stored_lower_than_the_choice_when_the_words_say_so(session, now):
    logged = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V1",
        now=now,
        form=form(
            now,
            ask_text="I'll circle back in a few weeks",
            reaction=Reaction.AGREED_UNSCHEDULED,
            next_step_at=None,
        ),
    )
    meeting = session.get(Meeting, logged.meeting_id)
    assert meeting.ask_type == AskType.SCHEDULED_MEETING
    assert meeting.graded_ask_type == AskType.OPEN_ENDED
    assert meeting.grade_reason


def test_second_submission_of_the_same_view_stores_nothing(session, now):
    log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    with pytest.raises(DuplicateSubmission):
        log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    assert count(session, Meeting) == 1 and count(session, NextStep) == 1


def test_the_same_view_id_in_another_workspace_is_a_different_meeting(session, now):
    log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    log_meeting(session, team_id="T2", user_id="U1", form=form(now), view_id="V1", now=now)
    assert count(session, Meeting) == 2 and count(session, Account) == 2


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"reaction": Reaction.BOOKED, "next_step_at": None}, ids.NEXT_STEP_AT, "date and time"),
        ({"next_step_at": "past"}, ids.NEXT_STEP_AT, "passed"),
        ({"next_step_at": "far"}, ids.NEXT_STEP_AT, "year ahead"),
        ({"held_at": "future"}, ids.HELD_AT, "future"),
        ({"reaction": None}, ids.REACTION, "react"),
        ({"account": None}, ids.ACCOUNT, "account"),
        ({"ask_text": "x" * 3001}, ids.ASK, "3000"),
        ({"notes": "n" * 3001}, ids.NOTES, "3000"),
        ({"ask_text": None}, ids.ASK, "own words"),
        ({"reaction": Reaction.HESITANT}, ids.NEXT_STEP_AT, "Agreed and booked"),
        ({"account": "new:" + "a" * 201}, ids.ACCOUNT, "200"),
    ],
)
def test_each_invalid_form_is_refused_at_its_field_and_writes_nothing(session, now, overrides, field, words):
    special = {
        "past": now - timedelta(hours=1),
        "far": now + timedelta(days=400),
        "future": now + timedelta(hours=2),
    }
    overrides = {
        k: special.get(v, v) if isinstance(v, str) and v in special else v for k, v in overrides.items()
    }
    with pytest.raises(FieldErrors) as caught:
        log_meeting(session, team_id="T1", user_id="U1", form=form(now, **overrides), view_id="V1", now=now)
    assert words in caught.value.errors[field]
    assert count(session, Meeting) == 0 and count(session, Rep) == 0 and count(session, Account) == 0


def test_no_ask_needs_no_reaction_and_makes_no_step(session, now):
    f = form(now, ask_type=AskType.NO_ASK, ask_text=None, reaction=None, next_step=None, next_step_at=None)
    assert validate(f, now) == {}
    logged = log_meeting(session, team_id="T1", user_id="U1", form=f, view_id="V1", now=now)
    assert logged.next_step_id is None


def test_existing_account_with_one_open_deal_logs_on_that_deal(session, now):
    first = log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    second = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V2",
        now=now + timedelta(days=2, hours=1),
        form=form(now + timedelta(days=2, hours=1), account=f"acct:{first.account_id}"),
    )
    assert second.deal_id == first.deal_id and not second.new_deal
    # The meeting the booked step waited for was logged: that step is done.
    assert session.get(NextStep, first.next_step_id).status == NextStepStatus.DONE
    assert session.get(Rep, second.rep_id).streak == 2


def test_a_forged_account_id_from_another_workspace_is_refused(session, now):
    other = log_meeting(session, team_id="T2", user_id="U9", form=form(now), view_id="V1", now=now)
    with pytest.raises(FieldErrors) as caught:
        log_meeting(
            session,
            team_id="T1",
            user_id="U1",
            form=form(now, account=f"acct:{other.account_id}"),
            view_id="V2",
            now=now,
        )
    assert ids.ACCOUNT in caught.value.errors
    assert count(session, Meeting) == 1


def test_a_forged_deal_id_is_refused(session, now):
    other = log_meeting(session, team_id="T2", user_id="U9", form=form(now), view_id="V1", now=now)
    with pytest.raises(FieldErrors):
        log_meeting(
            session,
            team_id="T1",
            user_id="U1",
            form=form(now, deal=str(other.deal_id)),
            view_id="V2",
            now=now,
        )
    assert count(session, Meeting) == 1


def test_typeahead_offers_matches_own_first_and_a_new_account(session, now):
    log_meeting(
        session,
        team_id="T1",
        user_id="U2",
        form=form(now, account="new:Acme Logistics"),
        view_id="V1",
        now=now,
    )
    log_meeting(
        session, team_id="T1", user_id="U1", form=form(now, account="new:Acme Corp"), view_id="V2", now=now
    )
    log_meeting(
        session, team_id="T2", user_id="U1", form=form(now, account="new:Acme Secret"), view_id="V3", now=now
    )
    labels = [c.label for c in search_accounts(session, "T1", "U1", "acme")]
    assert labels == ["\u2795 New account: acme", "Acme Corp", "Acme Logistics"]
    exact = search_accounts(session, "T1", "U1", "ACME corp")
    assert [c.label for c in exact][0] == "Acme Corp" and not any(c.is_new for c in exact)
    # LIKE wildcards in what was typed match themselves, not every account.
    assert [c.label for c in search_accounts(session, "T1", "U1", "100%")] == ["\u2795 New account: 100%"]


def test_replacement_accounts_are_the_reps_own_in_the_territory_without_open_deals(session, now):
    lost = log_meeting(
        session, team_id="T1", user_id="U1", form=form(now, account="new:Lost Co"), view_id="V1", now=now
    )
    for name in ("Idle West", "Busy West", "Idle East", "Other reps West"):
        user = "U2" if name.startswith("Other") else "U1"
        logged = log_meeting(
            session,
            team_id="T1",
            user_id=user,
            form=form(now, account=f"new:{name}"),
            view_id=f"V-{name}",
            now=now,
        )
        if name != "Busy West":
            session.get(Deal, logged.deal_id).status = "lost"
        session.get(Account, logged.account_id).territory = "East" if "East" in name else "West"
    session.get(Account, lost.account_id).territory = "West"
    session.commit()
    assert [name for _, name in replacement_accounts(session, "T1", lost.rep_id, lost.account_id)] == [
        "Idle West"
    ]


def test_booked_it_books_and_moving_it_records_a_reschedule(session, now):
    logged = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V1",
        now=now,
        form=form(now, reaction=Reaction.AGREED_UNSCHEDULED, next_step_at=None),
    )
    at = now + timedelta(days=3)
    step, reminders = book_next_step(
        session,
        team_id="T1",
        user_id="U1",
        next_step_id=logged.next_step_id,
        at=at,
        description=None,
        now=now,
    )
    assert step.status == NextStepStatus.BOOKED and step.scheduled_at == at
    assert reminders == ()  # no reminder was sent about it yet
    assert count(session, Reschedule) == 0
    book_next_step(
        session,
        team_id="T1",
        user_id="U1",
        next_step_id=logged.next_step_id,
        at=at + timedelta(days=1),
        description="Demo for the CFO",
        now=now,
    )
    (move,) = session.scalars(select(Reschedule)).all()
    assert (move.from_at, move.to_at) == (at, at + timedelta(days=1))
    with pytest.raises(NotAllowed):
        book_next_step(
            session,
            team_id="T1",
            user_id="U2",
            next_step_id=logged.next_step_id,
            at=at,
            description=None,
            now=now,
        )
    with pytest.raises(FieldErrors):
        book_next_step(
            session,
            team_id="T1",
            user_id="U1",
            next_step_id=logged.next_step_id,
            at=now - timedelta(hours=1),
            description=None,
            now=now,
        )


def test_a_call_before_a_booked_meeting_leaves_that_meeting_booked(session, now):
    """Thursday's demo is booked; a quick call on Tuesday doesn't make it done."""
    first = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        form=form(now, next_step_at=now + timedelta(days=2)),
        view_id="V1",
        now=now,
    )
    call = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V2",
        now=now + timedelta(hours=3),
        form=form(
            now + timedelta(hours=3),
            account=f"acct:{first.account_id}",
            reaction=Reaction.AGREED_UNSCHEDULED,
            next_step_at=None,
        ),
    )
    assert call.deal_id == first.deal_id
    assert session.get(NextStep, first.next_step_id).status == NextStepStatus.BOOKED
    # The meeting that follows the booked one (held at its time) completes it.
    log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V3",
        now=now + timedelta(days=2, hours=1),
        form=form(
            now + timedelta(days=2, hours=1),
            account=f"acct:{first.account_id}",
            next_step_at=now + timedelta(days=9),
        ),
    )
    assert session.get(NextStep, first.next_step_id).status == NextStepStatus.DONE
    assert session.get(NextStep, call.next_step_id).status == NextStepStatus.DONE


def test_a_colleagues_deal_is_not_offered_and_cannot_be_logged_on(session, now):
    from bot.services.accounts import open_deals

    theirs = log_meeting(session, team_id="T1", user_id="U2", form=form(now), view_id="V1", now=now)
    assert open_deals(session, "T1", f"acct:{theirs.account_id}", "U1") == []
    assert len(open_deals(session, "T1", f"acct:{theirs.account_id}", "U2")) == 1
    with pytest.raises(FieldErrors) as caught:
        log_meeting(
            session,
            team_id="T1",
            user_id="U1",
            view_id="V2",
            now=now,
            form=form(now, account=f"acct:{theirs.account_id}", deal=str(theirs.deal_id)),
        )
    assert "another rep's" in caught.value.errors[ids.DEAL]
    # Without picking it, Maria's meeting on the shared account gets a deal of her own.
    mine = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V3",
        now=now,
        form=form(now, account=f"acct:{theirs.account_id}"),
    )
    assert mine.deal_id != theirs.deal_id and mine.new_deal
    assert session.get(NextStep, theirs.next_step_id).status == NextStepStatus.BOOKED


def test_meeting_text_picks_the_one_account_containing_it(session, now):
    from bot.services.accounts import find_account

    log_meeting(
        session, team_id="T1", user_id="U1", form=form(now, account="new:Acme Corp"), view_id="V1", now=now
    )
    assert find_account(session, "T1", "acme").label == "Acme Corp"
    log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        form=form(now, account="new:Acme Logistics"),
        view_id="V2",
        now=now,
    )
    assert find_account(session, "T1", "acme").is_new, "two match: the rep picks in the typeahead"
    assert find_account(session, "T1", "acme logistics").label == "Acme Logistics"


@pytest.mark.parametrize(
    ("overrides", "kept_in_notes"),
    [
        # "Declined" hides the next step and its time: both land in the notes, the meeting is stored.
        (
            {"reaction": Reaction.DECLINED, "next_step": "Call back in Q3"},
            ["Next step: Call back in Q3", "Next step time:"],
        ),
        # "Agreed, not scheduled" hides only the time: the step stays a step, the time goes to the notes.
        ({"reaction": Reaction.AGREED_UNSCHEDULED}, ["Next step time:"]),
        # "No next step asked" hides the reaction too.
        (
            {"ask_type": AskType.NO_ASK, "reaction": Reaction.BOOKED},
            ["Their reaction: Agreed and booked", "Next step: ", "Next step time:"],
        ),
    ],
)
def test_a_value_sent_for_a_hidden_field_goes_to_the_notes_and_is_never_refused(
    session, now, overrides, kept_in_notes
):
    logged = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        form=form(now, notes="Good call.", **overrides),
        view_id="V1",
        now=now,
    )
    meeting = session.get(Meeting, logged.meeting_id)
    assert meeting.notes.startswith("Good call.\n\n")
    for words in kept_in_notes:
        assert words in meeting.notes
    step = session.get(NextStep, logged.next_step_id) if logged.next_step_id else None
    if overrides["reaction"] is Reaction.AGREED_UNSCHEDULED:
        assert step is not None and step.status == NextStepStatus.UNSCHEDULED and step.scheduled_at is None
    else:
        assert step is None
    if overrides.get("ask_type") is AskType.NO_ASK:
        assert meeting.reaction is None


def test_folded_values_never_push_the_notes_over_their_limit(session, now):
    logged = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        form=form(now, notes="n" * 2990, reaction=Reaction.DECLINED, next_step="x" * 500),
        view_id="V1",
        now=now,
    )
    notes = session.get(Meeting, logged.meeting_id).notes
    assert len(notes) == 3000 and notes.startswith("n" * 2990)


def test_the_logged_meeting_carries_what_the_coaching_dm_needs_as_stored(session, now):
    """The coaching DM is built from what log_meeting returns (no read after the ack): it must be
    what was stored: the deal's and account's names and territory, the step and its prep, the
    streak, the grade the coach would give."""
    from bot.domain.coaching import grade_ask

    first = log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    session.get(Account, first.account_id).territory = "West"
    session.get(Deal, first.deal_id).name = "Acme expansion"
    session.get(Rep, first.rep_id).timezone = "America/Los_Angeles"
    session.commit()
    again = form(
        now,
        account=f"acct:{first.account_id}",
        deal=str(first.deal_id),
        next_step="Security review",
        next_step_at=now + timedelta(days=3),
        prep={"agenda": "  SOC 2 questions  ", "attendees": None},
    )
    logged = log_meeting(session, team_id="T1", user_id="U1", form=again, view_id="V2", now=now)
    c = logged.coaching
    step = session.get(NextStep, logged.next_step_id)
    assert c is not None and not logged.new_account and not logged.new_deal
    assert (c.account_name, c.deal_name, c.territory) == ("Acme Corp", "Acme expansion", "West")
    assert (c.next_step_id, c.next_step_description, c.next_step_at) == (
        step.id,
        "Security review",
        step.scheduled_at,
    )
    assert c.prep.agenda == "SOC 2 questions" and c.prep.attendees is None
    assert c.streak == session.get(Rep, logged.rep_id).streak == 2
    assert str(c.rep_tz) == "America/Los_Angeles" and c.deal_id == logged.deal_id
    assert c.grade == grade_ask(again.ask_type, again.ask_text, "Security review", booked=True)

    # No step and no step written: the coach reads the same words, the stored grade is passed on.
    declined = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V3",
        now=now,
        form=form(now, account="new:Beta", reaction=Reaction.DECLINED, next_step=None, next_step_at=None),
    )
    d = declined.coaching
    assert d is not None and d.next_step_id is None and d.next_step_description is None
    assert (d.deal_name, d.territory, d.streak) == ("Beta opportunity", None, 0)
    assert d.grade == grade_ask(AskType.SCHEDULED_MEETING, form(now).ask_text, None)
    # An unscheduled step's description is the ask when no step was written: graded by the coach.
    vague = log_meeting(
        session,
        team_id="T1",
        user_id="U1",
        view_id="V4",
        now=now,
        form=form(
            now, account="new:Gamma", reaction=Reaction.AGREED_UNSCHEDULED, next_step=None, next_step_at=None
        ),
    )
    assert vague.coaching is not None and vague.coaching.grade is None
    assert vague.coaching.next_step_description == form(now).ask_text


def test_a_meeting_on_a_deal_with_open_steps_writes_every_row_in_one_statement_on_postgresql(session, now):
    """The busiest write: the read, then on PostgreSQL one statement for all it writes (SQLite: one each)."""
    first = log_meeting(session, team_id="T1", user_id="U1", form=form(now), view_id="V1", now=now)
    later = now + timedelta(days=2, hours=1)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        follow_up = log_meeting(
            session,
            team_id="T1",
            user_id="U1",
            view_id="V2",
            now=later,
            form=form(later, account=f"acct:{first.account_id}", next_step_at=later + timedelta(days=7)),
        )
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(statements) == (2 if engine.dialect.name == "postgresql" else 6), statements
    session.expire_all()
    done, booked = session.get(NextStep, first.next_step_id), session.get(NextStep, follow_up.next_step_id)
    assert done.status == NextStepStatus.DONE and done.done_by_meeting_id == follow_up.meeting_id
    assert booked.status == NextStepStatus.BOOKED and booked.meeting_id == follow_up.meeting_id
    assert booked.scheduled_at == later + timedelta(days=7)
    deal = session.get(Deal, first.deal_id)
    assert follow_up.deal_id == deal.id and deal.last_meeting_at == later - timedelta(hours=1)
    assert session.get(Rep, first.rep_id).streak == 2
    assert session.get(Meeting, follow_up.meeting_id).source_view_id == "V2"
