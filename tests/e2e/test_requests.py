"""Requests Slack would never send, and failures Slack cannot see: answered sensibly, nothing half-written."""

from __future__ import annotations

import copy
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, Reaction
from bot.slack import ids
from models import Account, Deal, Meeting, NextStep, ProcessedEvent, Workspace
from tests.e2e.conftest import fill_booked_meeting, open_modal, submission

FORM = "application/x-www-form-urlencoded"
# Opening the modal records the rep and workspace (their timezone); a submission writes these.
TABLES = (Account, Deal, Meeting, NextStep)


def nothing_stored(engine) -> bool:
    with Session(engine) as session:
        return all(session.scalar(select(func.count()).select_from(t)) == 0 for t in TABLES)


@pytest.fixture
def ready_view(fake, running, maria) -> dict[str, Any]:
    """A filled, valid `/meeting` modal, not yet submitted."""
    fill_booked_meeting(maria, fake)
    return copy.deepcopy(maria.view)


def test_forged_signature_is_refused_and_stores_nothing(fake, running, maria, ready_view):
    response = maria.post_raw(submission(maria, ready_view), FORM, signature="v0=" + "0" * 64)
    assert response.status == 401
    assert nothing_stored(running.engine)


def test_request_older_than_five_minutes_is_refused(fake, running, maria, ready_view):
    response = maria.post_raw(submission(maria, ready_view), FORM, timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401
    assert nothing_stored(running.engine)


def test_missing_signature_headers_are_refused(fake, running, maria, ready_view):
    assert maria.post_raw(submission(maria, ready_view), FORM, omit_headers=True).status == 401
    assert maria.slash("/meeting", omit_headers=True).status == 401
    assert nothing_stored(running.engine)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=not-json", FORM),
        (b"{not json", "application/json"),
        (b"", FORM),
        (b"payload=" + json.dumps({"type": "view_submission"}).encode(), FORM),
        (
            urlencode(
                {"payload": json.dumps({"type": "view_submission", "view": "nope", "user": {}})}
            ).encode(),
            FORM,
        ),
        (urlencode({"payload": json.dumps({"type": "block_actions", "actions": "x"})}).encode(), FORM),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
    ],
)
def test_malformed_bodies_never_get_a_500_and_store_nothing(fake, running, maria, body, content_type, caplog):
    response = maria.post_raw(body, content_type)
    assert response.status < 500
    fake.wait_idle(quiet=0.2)
    assert nothing_stored(running.engine)


def test_unknown_callback_id_asks_to_reopen(fake, running, maria, ready_view):
    ready_view["callback_id"] = "retired_modal"
    answer = maria.post_raw(submission(maria, ready_view), FORM).json()
    assert answer["response_action"] == "errors"
    assert "open it again" in next(iter(answer["errors"].values()))
    assert nothing_stored(running.engine)


def test_modal_from_before_a_deploy_asks_to_reopen(fake, running, maria, ready_view):
    ready_view["private_metadata"] = json.dumps({"v": "0", "channel": "C1"})
    answer = maria.post_raw(submission(maria, ready_view), FORM).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) <= {b["block_id"] for b in ready_view["blocks"] if b["type"] == "input"}
    assert "open it again" in answer["errors"][ids.ACCOUNT]
    assert nothing_stored(running.engine)


@pytest.mark.parametrize(
    ("action_id", "entry"),
    [
        (ids.NEXT_STEP_AT, {"type": "datetimepicker", "selected_date_time": "tomorrow"}),
        (ids.REACTION, {"type": "radio_buttons", "selected_option": "agreed_booked"}),
        (ids.ASK_TYPE, {"type": "radio_buttons", "selected_option": {"value": "beg_nicely"}}),
        (ids.ASK, {"type": "plain_text_input", "value": ["a", "list"]}),
    ],
)
def test_mistyped_state_values_get_a_field_error_and_store_nothing(
    fake, running, maria, ready_view, action_id, entry
):
    values = ready_view["state"]["values"]
    block_id = next(b for b, actions in values.items() if action_id in actions)
    values[block_id][action_id] = entry
    answer = maria.post_raw(submission(maria, ready_view), FORM).json()
    assert answer["response_action"] == "errors" and block_id in answer["errors"]
    assert nothing_stored(running.engine)


def test_missing_state_values_get_field_errors(fake, running, maria, ready_view):
    ready_view["state"] = {"values": {}}
    answer = maria.post_raw(submission(maria, ready_view), FORM).json()
    assert answer["response_action"] == "errors"
    assert {ids.ACCOUNT, ids.HELD_AT, ids.ASK_TYPE} <= set(answer["errors"])
    assert nothing_stored(running.engine)


def test_database_failing_mid_submit_shows_an_error_and_writes_nothing(fake, running, maria, ready_view):
    def fail_on_next_step(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO NEXT_STEPS" in statement.upper():  # alone, or in PostgreSQL's one write statement
            raise OperationalError(
                statement, parameters, Exception("server closed the connection unexpectedly")
            )

    event.listen(running.engine, "before_cursor_execute", fail_on_next_step)
    try:
        answer = maria.post_raw(submission(maria, ready_view), FORM).json()
    finally:
        event.remove(running.engine, "before_cursor_execute", fail_on_next_step)
    assert answer["response_action"] == "errors"
    assert "nothing was saved" in answer["errors"][ids.ACCOUNT]
    assert nothing_stored(running.engine)
    assert maria.dms() == []
    # Once the database is back, the same Save works.
    assert maria.submit().status == 200 and maria.errors == {}
    with Session(running.engine) as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_retried_event_is_handled_once(fake, running, maria, caplog):
    caplog.set_level(logging.INFO, logger="nextstep")
    tokens_revoked = {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}
    assert maria.send_event(tokens_revoked, event_id="Ev123").status == 200
    assert maria.send_event(tokens_revoked, event_id="Ev123", retry_num=1).status == 200
    fake.wait_idle(quiet=0.2)
    with Session(running.engine) as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["Ev123"]
        assert session.get(Workspace, "T1").tokens_revoked_at is not None
    handled = [r for r in caplog.records if r.getMessage().startswith("tokens removed")]
    assert len(handled) == 1


def test_a_retried_home_open_publishes_the_home_again_and_records_nothing(fake, running, maria):
    """Handling app_home_opened twice does what once does: no row, no commit for it."""
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    assert maria.send_event(event, event_id="EvHome").status == 200
    fake.wait_until(lambda: len(fake.calls_to("views.publish")) == 1)
    assert maria.send_event(event, event_id="EvHome", retry_num=1).status == 200
    fake.wait_until(lambda: len(fake.calls_to("views.publish")) == 2)
    with Session(running.engine) as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == []


def test_healthz_answers_when_the_database_does(running):
    response = requests.get(f"{running.url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and "last_sweep_age_seconds" in response.json()
    assert requests.get(f"{running.url}/nope", timeout=5).status_code == 404
    assert requests.get(f"{running.url}/slack/events", timeout=5).status_code == 404


def test_no_secret_reaches_the_logs(fake, running, maria, caplog):
    caplog.set_level(logging.DEBUG)
    open_modal(maria, fake)
    maria.suggest(ids.ACCOUNT, "Soylent")
    maria.fill(ids.ACCOUNT, "new:Soylent")
    fake.wait_until(
        lambda: maria.view and any(b.get("block_id") == ids.NEW_DEAL_NAME for b in maria.view["blocks"])
    )
    maria.fill(ids.ASK, "Demo on Friday at 3pm?")
    maria.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    maria.fill(ids.REACTION, Reaction.HESITANT.value)
    maria.submit()
    fake.wait_until(maria.last_dm)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "xoxb-T1" not in logged and "e2e-signing-secret" not in logged
