"""`/meeting` end to end: real signed HTTP to the real app, the sandbox fake as Slack."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, NextStepStatus, Reaction
from bot.services.reps import ensure_workspace
from bot.slack import ids
from bot.slack.blocks.meeting_modal import deal_block_id
from bot.slackfake.render import render_message, render_view
from models import Account, Deal, Meeting, NextStep, Rep
from tests.e2e.conftest import (
    block_ids,
    fill_booked_meeting,
    open_modal,
    submission,
    submit_with,
    wait_for_block,
    wait_for_block_gone,
)

HOUR = timedelta(hours=1)


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_slash_command_opens_the_short_modal(fake, running, maria):
    view = open_modal(maria, fake)
    assert view["title"]["text"] == "Log a meeting"
    present = block_ids(view)
    assert ids.ACCOUNT in present and ids.ASK in present and ids.REACTION in present
    assert not any(b.startswith(ids.PREP_PREFIX) for b in present), "prep questions stay hidden until booked"
    (call,) = fake.calls_to("views.open")
    assert call.token == "xoxb-T1"


def test_a_refused_or_hanging_views_open_still_gets_the_rep_an_answer_in_time(fake, running, maria):
    from handlers.commands.meeting import OPEN_FAILED

    fake.inject("views.open", error="expired_trigger_id")
    response = maria.slash("/meeting")
    assert response.status == 200 and maria.ephemerals()[-1]["text"] == OPEN_FAILED
    assert maria.view is None

    # Slack hangs, then refuses: the ack may not wait for it, and the rep still hears why
    fake.inject("views.open", delay=4.0, error="expired_trigger_id")
    response = maria.slash("/meeting")
    assert response.status == 200 and response.elapsed < 3.0
    fake.wait_until(lambda: [e for e in maria.ephemerals() if e.get("source") == "response_url"], timeout=8)
    assert [e["text"] for e in maria.ephemerals()] == [OPEN_FAILED, OPEN_FAILED]


def test_typeahead_offers_a_new_account_then_the_workspaces_matches(fake, running, maria, person):
    with Session(running.engine) as session:
        for team in ("T1", "T2"):  # T1 exists already: the app recorded it at start-up
            ensure_workspace(session, team, datetime.now(UTC))
        session.add_all(
            [
                Account(
                    team_id="T1",
                    name="Acme Logistics",
                    name_key="acme logistics",
                    created_at=datetime.now(UTC),
                ),
                Account(
                    team_id="T2",
                    name="Acme Elsewhere",
                    name_key="acme elsewhere",
                    created_at=datetime.now(UTC),
                ),
            ]
        )
        session.commit()
    open_modal(maria, fake)
    labels = [o["text"]["text"] for o in maria.suggest(ids.ACCOUNT, "acme")]
    assert labels == ["\u2795 New account: acme", "Acme Logistics"]
    assert [o["text"]["text"] for o in maria.suggest(ids.ACCOUNT, "Acme Logistics")] == ["Acme Logistics"]


def test_booked_meeting_end_to_end(fake, running, maria):
    at = fill_booked_meeting(maria, fake)
    response = maria.submit()
    assert response.status == 200 and maria.errors == {}
    assert maria.view is None, "a valid submission closes the modal"

    with Session(running.engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        step = session.scalars(select(NextStep)).one()
        rep = session.scalars(select(Rep)).one()
        assert meeting.reaction == Reaction.BOOKED and meeting.graded_ask_type == AskType.SCHEDULED_MEETING
        assert step.status == NextStepStatus.BOOKED and step.scheduled_at == at
        assert step.prep_attendees == "Dana (VP Ops), Lee (CFO)"
        assert session.get(Deal, meeting.deal_id).name == "Acme Corp opportunity"
        assert (rep.user_id, rep.timezone, rep.display_name) == ("U1", "Europe/Berlin", "maria")

    dm = fake.wait_until(maria.last_dm)
    text = render_message(dm)
    berlin = at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert f"{berlin:%H:%M}" in text and "Europe/Berlin" in text
    assert "Google Calendar" in text and "Outlook" in text
    assert "evaluat" in text.lower(), "the missing evaluation criteria are pointed out"


def test_command_text_preselects_the_account_and_its_only_deal(fake, running, maria):
    fill_booked_meeting(maria, fake, account="Globex")
    maria.submit()
    fake.wait_until(maria.last_dm)
    with Session(running.engine) as session:
        account = session.scalars(select(Account)).one()
        deal = session.scalars(select(Deal)).one()
    view = open_modal(maria, fake, "globex")
    account_block = next(b for b in view["blocks"] if b.get("block_id") == ids.ACCOUNT)
    assert account_block["element"]["initial_option"]["value"] == f"acct:{account.id}"
    deal_block = next(b for b in view["blocks"] if b.get("block_id") == deal_block_id(f"acct:{account.id}"))
    assert deal_block["element"]["initial_option"]["value"] == str(deal.id)


def test_choosing_an_account_keeps_what_was_typed(fake, running, maria):
    open_modal(maria, fake)
    maria.fill(ids.ASK, "Would you mind if I came back tomorrow with the contract for you to sign?")
    maria.suggest(ids.ACCOUNT, "Initech")
    maria.fill(ids.ACCOUNT, "new:Initech")
    view = wait_for_block(maria, fake, ids.NEW_DEAL_NAME)
    assert view["state"]["values"][ids.ASK][ids.ASK]["value"].startswith("Would you mind")
    update = fake.calls_to("views.update")[-1]
    assert update.params.get("hash"), "views.update carries the view's hash"


def test_each_invalid_submission_gets_its_error_next_to_the_field_and_stores_nothing(fake, running, maria):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cases = [
        ({ids.REACTION: Reaction.BOOKED.value}, ids.NEXT_STEP_AT, "date and time"),
        ({ids.REACTION: Reaction.BOOKED.value, ids.NEXT_STEP_AT: now - 3 * HOUR}, ids.NEXT_STEP_AT, "passed"),
        (
            {ids.REACTION: Reaction.BOOKED.value, ids.NEXT_STEP_AT: now + timedelta(days=400)},
            ids.NEXT_STEP_AT,
            "year",
        ),
        ({ids.HELD_AT: now + 5 * HOUR}, ids.HELD_AT, "future"),
        ({ids.REACTION: None}, ids.REACTION, "react"),
        ({ids.NOTES: "x" * 3001}, ids.NOTES, "3000"),
    ]
    for changes, field, words in cases:
        errors = submit_with(maria, fake, **changes)
        assert words in errors.get(field, ""), (changes, errors)
        maria.close()
    assert count(running.engine, Meeting) == 0 and count(running.engine, Account) == 0


def test_double_click_on_save_stores_one_meeting_and_sends_one_dm(fake, running, maria):
    fill_booked_meeting(maria, fake)
    body = submission(maria, maria.view)
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def click_save() -> None:
        barrier.wait()
        statuses.append(maria.post_raw(body, "application/x-www-form-urlencoded").status)

    threads = [threading.Thread(target=click_save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fake.wait_until(maria.last_dm)
    fake.wait_idle(quiet=0.3)
    assert statuses == [200, 200]
    assert count(running.engine, Meeting) == 1 and count(running.engine, NextStep) == 1
    assert len(maria.dms()) == 1
    # Pressing Save again after a slow answer: still one meeting, one DM.
    assert maria.post_raw(body, "application/x-www-form-urlencoded").status == 200
    fake.wait_idle(quiet=0.3)
    assert count(running.engine, Meeting) == 1 and len(maria.dms()) == 1


def test_unscheduled_step_is_booked_from_the_coaching_dm(fake, running, maria):
    submit_with(maria, fake)
    dm = fake.wait_until(maria.last_dm)
    assert "phone tag" in render_message(dm).lower()
    maria.open_home()  # she looks at her Home: the writes that follow rebuild it for her
    fake.wait_until(lambda: maria.home and "1 not scheduled" in render_view(maria.home).replace("*", ""))
    maria.click(ids.BOOKED_IT, in_message=dm)
    fake.wait_until(lambda: maria.view and maria.view["callback_id"] == ids.BOOKED_IT_MODAL)
    at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    maria.fill(ids.NEXT_STEP_AT, at)
    assert maria.submit().status == 200 and maria.errors == {}
    # The DM is edited in place: wait for its second version.
    versions = fake.wait_until(
        lambda: (
            len(fake.message_history(dm["channel"], dm["ts"])) >= 2
            and fake.message_history(dm["channel"], dm["ts"])
        )
    )
    updated = render_message(versions[-1])
    assert "\u2705 *Booked:*" in updated and "[Booked it]" not in updated
    assert "Google Calendar" in updated
    with Session(running.engine) as session:
        step = session.scalars(select(NextStep)).one()
        assert step.status == NextStepStatus.BOOKED and step.scheduled_at == at
    # the Home tab follows: the step is booked there too
    fake.wait_until(lambda: maria.home and "0 not scheduled" in render_view(maria.home).replace("*", ""))
    assert "1 booked" in render_view(maria.home).replace("*", "")


def test_declined_prompts_a_replacement_deal(fake, running, maria):
    errors = submit_with(maria, fake, **{ids.REACTION: Reaction.DECLINED.value})
    assert errors == {}
    dm = fake.wait_until(maria.last_dm)
    assert "replace" in render_message(dm).lower()
    maria.click(ids.ADD_REPLACEMENT_DEAL, in_message=dm)
    fake.wait_until(lambda: maria.view and maria.view["callback_id"] == ids.REPLACEMENT_MODAL)
    maria.suggest(ids.ACCOUNT, "Wayne Enterprises")
    maria.fill(ids.ACCOUNT, "new:Wayne Enterprises")
    assert maria.submit().status == 200 and maria.errors == {}
    fake.wait_until(lambda: len(maria.dms()) == 2)
    with Session(running.engine) as session:
        lost, replacement = session.scalars(select(Deal).order_by(Deal.id)).all()
        assert replacement.replaces_deal_id == lost.id and lost.at_risk_since is not None


def test_someone_elses_booked_it_button_is_refused(fake, running, maria, person):
    submit_with(maria, fake)
    dm = fake.wait_until(maria.last_dm)
    sam = person("U2")
    sam.click(ids.BOOKED_IT, in_message=dm)
    fake.wait_until(sam.ephemerals)
    assert sam.ephemerals()[-1]["text"] == "That next step isn't one of yours, so I left it as it was."
    assert sam.view is None


def test_nextsteps_help_lists_the_commands(fake, running, maria):
    response = maria.slash("/nextsteps", "help")
    body = response.json()
    assert response.status == 200 and "/meeting" in body["text"]
    from slack_sdk.models.blocks import Block

    for block in body["blocks"]:
        Block.parse(block).to_dict()


def test_no_ask_makes_the_ask_optional_hides_the_reaction_and_coaches_a_scheduled_ask(fake, running, maria):
    view = open_modal(maria, fake)
    required = {b["block_id"]: not b.get("optional") for b in view["blocks"] if b["type"] == "input"}
    assert required[ids.ASK] and required[ids.REACTION], "required until 'No next step asked' is chosen"
    maria.suggest(ids.ACCOUNT, "Hooli")
    maria.fill(ids.ACCOUNT, "new:Hooli")
    maria.fill(ids.ASK_TYPE, AskType.NO_ASK.value)
    view = wait_for_block_gone(maria, fake, ids.REACTION)
    optional = {b["block_id"]: b.get("optional") for b in view["blocks"] if b["type"] == "input"}
    assert optional[ids.ASK] and not {ids.REACTION, ids.NEXT_STEP, ids.NEXT_STEP_AT} & set(optional)
    assert maria.submit().status == 200 and maria.errors == {}
    text = " ".join(render_message(fake.wait_until(maria.last_dm)).split())
    assert "Would you mind if I came back tomorrow with the contract" in text
    assert "A stronger ask, with a date" in text
    with Session(running.engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.reaction is None and meeting.ask_type == AskType.NO_ASK
        assert session.scalar(select(func.count()).select_from(NextStep)) == 0


def test_a_scheduled_ask_whose_words_only_describe_the_meeting_is_lowered_and_the_dm_says_why(
    fake, running, maria
):
    errors = submit_with(maria, fake, **{ids.ASK: "Great chat with their ops lead"})
    assert errors == {}
    text = " ".join(render_message(fake.wait_until(maria.last_dm)).split())
    # The reason names what was missing, the rep's own words, and how to fix a wrong grade.
    assert "You picked \u201cScheduled meeting\u201d" in text
    assert "\u201cGreat chat with their ops lead\u201d describes the meeting but asks for nothing" in text
    assert "graded no next step asked" in text and "Edit it" in text
    assert "A stronger ask, with a date" in text
    with Session(running.engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.ask_type == AskType.SCHEDULED_MEETING
        assert meeting.graded_ask_type == AskType.NO_ASK


def test_a_meeting_with_a_day_but_no_time_keeps_its_grade_and_the_dm_asks_for_the_time(fake, running, maria):
    errors = submit_with(maria, fake, **{ids.ASK: "Demo for their ops team on Thursday"})
    assert errors == {}
    text = " ".join(render_message(fake.wait_until(maria.last_dm)).split())
    assert "You named Thursday. Name the time too, so it goes on both calendars." in text
    with Session(running.engine) as session:
        assert session.scalars(select(Meeting)).one().graded_ask_type == AskType.SCHEDULED_MEETING
