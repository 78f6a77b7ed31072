"""The edge, over real signed HTTP: each way issue 13 found to get a 500, a traceback or a stray row.

One signature check and one parse run before anything else: unsigned requests get 401 whatever
their body, signed malformed ones 400 with X-Slack-No-Retry, values the app never offered a
field error, and text a database cannot store is cleaned first.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, Reaction
from bot.slack import ids
from models import Account, Base, Meeting, Rep
from tests.e2e.conftest import fill_booked_meeting, open_modal, submission, wait_for_block

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def row_counts(engine) -> dict[str, int]:
    """Rows in every table of the app, by table name (one query: the fuzz test asks twice an example)."""
    tables = Base.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    with Session(engine) as session:
        return dict(session.execute(query).one()._mapping)


def tracebacks(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]


def as_payload(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def block_actions(person, actions: Any, /, **extra: Any) -> dict[str, Any]:
    """A click as Slack posts it, with ``extra`` replacing its fields."""
    return {
        "type": "block_actions",
        "user": {"id": person.user_id, "username": person.name, "team_id": person.team_id},
        "team": {"id": person.team_id, "domain": person.team_domain},
        "api_app_id": person.app_id,
        "trigger_id": person.fake.issue_trigger(person.team_id, person.user_id),
        "container": {"type": "message", "channel_id": "D1", "message_ts": "1.2"},
        "channel": {"id": "D1"},
        "actions": actions,
    } | extra


@pytest.fixture
def caplog_info(caplog):
    caplog.set_level(logging.INFO, logger="nextstep")
    return caplog


# ---------------------------------------------------------------- 1. signature first, whatever the body


HEADERS = [
    {"timestamp": "now"},  # a non-numeric timestamp, any signature
    {"timestamp": "12.5"},
    {"timestamp": "-1"},
    {"stale": True},
    {"signature": "v0=" + "0" * 64},
    {"signature": "garbage"},
    {"omit": True},
]
UNSIGNED_BODIES = [
    (b"\xff\xfe\x00not utf-8", FORM),  # a body that is not UTF-8
    (b"[" * 100_000 + b"]" * 100_000, JSON),  # deeply nested JSON
    (b"command=%2Fmeeting&text=x", FORM),
]


def test_unsigned_requests_get_401_whatever_the_body(fake, running, maria, caplog_info):
    before = row_counts(running.engine)
    for headers in HEADERS:
        for body, content_type in UNSIGNED_BODIES:
            sent: dict[str, str] = {"Content-Type": content_type}
            if not headers.get("omit"):
                sent["X-Slack-Request-Timestamp"] = str(headers.get("timestamp", int(time.time())))
                sent["X-Slack-Signature"] = str(headers.get("signature", "v0=" + "1" * 64))
            if headers.get("stale"):  # correctly signed, but six minutes ago
                status = maria.post_raw(body, content_type, timestamp=int(time.time()) - 6 * 60).status
            else:
                status = requests.post(running.events_url, data=body, headers=sent, timeout=5).status_code
            assert status == 401, (headers, body[:20])
    assert row_counts(running.engine) == before
    assert tracebacks(caplog_info) == []


def test_slacks_ssl_check_and_url_verification_still_pass(fake, running, maria):
    ssl = requests.post(
        running.events_url, data=b"ssl_check=1&token=x", headers={"Content-Type": FORM}, timeout=5
    )
    assert ssl.status_code == 200 and ssl.content == b""
    challenge = {
        "token": "x",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    answer = maria.post_raw(json.dumps(challenge).encode(), JSON)
    assert answer.status == 200 and challenge["challenge"] in answer.text


# ---------------------------------------------------------------- signed but malformed: 400, no retry, logged


MALFORMED = [
    (
        "deeply nested JSON",
        lambda u: (b'{"type": "event_callback", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", JSON),
    ),
    ("nested in a payload", lambda u: (urlencode({"payload": "[" * 5000 + "]" * 5000}).encode(), FORM)),
    (
        "an event whose authorization names no workspace (Bolt reads the workspace there)",
        lambda u: (
            json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T1",
                    "event_id": "EvNoTeam",
                    "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
                    "authorizations": [{"user_id": "UBOT", "is_bot": True}],
                }
            ).encode(),
            JSON,
        ),
    ),
    ("empty actions", lambda u: (as_payload(block_actions(u, [])), FORM)),
    ("a non-object action", lambda u: (as_payload(block_actions(u, ["booked_it"])), FORM)),
    ("actions not a list", lambda u: (as_payload(block_actions(u, {"action_id": "x"})), FORM)),
    (
        "raw JSON sent as a form",
        lambda u: (
            json.dumps(block_actions(u, [{"action_id": ids.BOOKED_IT, "value": "1"}])).encode(),
            FORM,
        ),
    ),
    ("not UTF-8, signed", lambda u: (b"\xff\xfe\x00garbage", FORM)),
    ("over 1 MiB", lambda u: (b"command=%2Fmeeting&text=" + b"a" * (1024 * 1024), FORM)),
    ("neither JSON nor a form", lambda u: (b"<xml/>", "text/xml")),
    (
        "missing user.id",
        lambda u: (as_payload(block_actions(u, [{"action_id": "x"}], user={"name": "m"})), FORM),
    ),
    (
        "user id of the wrong type",
        lambda u: (as_payload(block_actions(u, [{"action_id": "x"}], user={"id": 7})), FORM),
    ),
    (
        "swapped team and user ids",
        lambda u: (
            as_payload(block_actions(u, [{"action_id": "x"}], user={"id": "T1"}, team={"id": "U1"})),
            FORM,
        ),
    ),
    ("missing team", lambda u: (as_payload(block_actions(u, [{"action_id": "x"}], team=None)), FORM)),
    (
        "trigger id of the wrong type",
        lambda u: (as_payload(block_actions(u, [{"action_id": "x"}], trigger_id=["1"])), FORM),
    ),
    (
        "command without team_id",
        lambda u: (
            urlencode({"command": "/meeting", "user_id": "U1", "trigger_id": "1.2.ab", "text": ""}).encode(),
            FORM,
        ),
    ),
    (
        "command without trigger_id",
        lambda u: (
            urlencode({"command": "/meeting", "team_id": "T1", "user_id": "U1", "text": ""}).encode(),
            FORM,
        ),
    ),
    (
        "oversized channel id",
        lambda u: (
            urlencode(
                {
                    "command": "/meeting",
                    "team_id": "T1",
                    "user_id": "U1",
                    "trigger_id": u.fake.issue_trigger("T1", "U1"),
                    "text": "",
                    "channel_id": "C" + "A" * 4000,
                }
            ).encode(),
            FORM,
        ),
    ),
    (
        "event without a user",
        lambda u: (
            json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T1",
                    "event": {"type": "app_home_opened", "tab": "home"},
                }
            ).encode(),
            JSON,
        ),
    ),
    (
        "event with a user object",
        lambda u: (
            json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T1",
                    "event": {"type": "app_home_opened", "user": {"id": "U1"}},
                }
            ).encode(),
            JSON,
        ),
    ),
]


def test_signed_but_malformed_gets_400_no_retry_and_a_warning(fake, running, maria, caplog_info):
    before = row_counts(running.engine)
    for name, make in MALFORMED:
        body, content_type = make(maria)
        caplog_info.clear()
        response = maria.post_raw(body, content_type)
        assert response.status == 400, name
        assert response.headers.get("X-Slack-No-Retry") == "1", name
        fake.wait_idle(quiet=0.05)
        assert row_counts(running.engine) == before, name
        assert tracebacks(caplog_info) == [], name
        warnings = [r.getMessage() for r in caplog_info.records if r.levelno == logging.WARNING]
        assert any("malformed Slack payload refused" in w and "request=" in w for w in warnings), name
        # The body (people's words) is not in the log above DEBUG.
        assert not any(body[:40].decode("utf-8", "replace") in w for w in warnings if len(body) > 40), name


def test_the_refusal_names_the_team_and_request(fake, running, maria, caplog_info):
    maria.post_raw(as_payload(block_actions(maria, [])), FORM)
    line = next(r.getMessage() for r in caplog_info.records if "malformed" in r.getMessage())
    assert "team=T1" in line and "request=" in line and "request=None" not in line


def test_slash_command_text_that_says_payload_opens_the_modal(fake, running, maria):
    view = open_modal(maria, fake, "payload corp")
    account = next(b for b in view["blocks"] if b.get("block_id") == ids.ACCOUNT)
    assert account["element"]["initial_option"]["value"] == f"{ids.NEW_ACCOUNT_PREFIX}payload corp"


# ---------------------------------------------------------------- 2. values never offered write nothing


@pytest.fixture
def ready_view(fake, running, maria) -> dict[str, Any]:
    fill_booked_meeting(maria, fake)
    return copy.deepcopy(maria.view)


NEVER_OFFERED = ["Corp", "x:Globex", "", "new:", "new:   ", "acct:", "acct:abc", "acct:99999999999"]


def test_an_account_value_the_typeahead_never_offered_is_a_field_error(fake, running, maria, ready_view):
    values = ready_view["state"]["values"]
    block_id = next(b for b, actions in values.items() if ids.ACCOUNT in actions)
    before = row_counts(running.engine)
    for value in NEVER_OFFERED:
        option = {"text": {"type": "plain_text", "text": "x"}, "value": value}
        values[block_id][ids.ACCOUNT]["selected_option"] = option
        answer = maria.post_raw(submission(maria, ready_view), FORM).json()
        assert answer["response_action"] == "errors" and block_id in answer["errors"], value
        assert "went wrong" not in answer["errors"][block_id], value
        assert row_counts(running.engine) == before, value


# ---------------------------------------------------------------- 3. free text cleaned at the edge


def test_nul_and_lone_surrogates_are_cleaned_from_what_is_stored(fake, running, maria, caplog_info):
    open_modal(maria, fake)
    typed = "Ini\x00tech \ud800Labs\x07"
    options = maria.suggest(ids.ACCOUNT, typed)
    new = next(o for o in options if o["value"].startswith(ids.NEW_ACCOUNT_PREFIX))
    assert new["value"] == f"{ids.NEW_ACCOUNT_PREFIX}Initech Labs"
    # The account name as the (forged) option value itself carries them too.
    maria.fill(ids.ACCOUNT, new["value"])
    wait_for_block(maria, fake, ids.NEW_DEAL_NAME)
    maria.fill(ids.ASK, "Can we\x00 meet Thursday at 10\udfff with your CFO?\nThanks\tall")
    maria.fill(ids.ASK_TYPE, AskType.SCHEDULED_MEETING.value)
    maria.fill(ids.REACTION, Reaction.HESITANT.value)
    view = copy.deepcopy(maria.view)
    values = view["state"]["values"]
    block_id = next(b for b, actions in values.items() if ids.ACCOUNT in actions)
    values[block_id][ids.ACCOUNT]["selected_option"]["value"] = "new:Initech\x00 Labs\ud83d"
    answer = maria.post_raw(submission(maria, view), FORM)
    assert answer.status == 200 and not answer.text.strip(), answer.text
    fake.wait_until(maria.last_dm)
    with Session(running.engine) as session:
        assert session.scalars(select(Account.name)).all() == ["Initech Labs"]
        assert session.scalars(select(Meeting.ask_text)).all() == [
            "Can we meet Thursday at 10 with your CFO?\nThanks\tall"
        ]
    assert tracebacks(caplog_info) == []


def test_slash_text_with_nul_and_surrogates_opens_the_modal(fake, running, maria, caplog_info):
    # A form cannot carry a lone surrogate (its bytes are UTF-8); a NUL it can, percent-encoded.
    view = open_modal(maria, fake, "Acme\x00 Corp")
    account = next(b for b in view["blocks"] if b.get("block_id") == ids.ACCOUNT)
    assert account["element"]["initial_option"]["value"] == f"{ids.NEW_ACCOUNT_PREFIX}Acme Corp"
    assert tracebacks(caplog_info) == []


# ---------------------------------------------------------------- 4. unknown people are not rows


def test_home_opened_by_a_user_slack_does_not_know_stores_nothing(fake, running, maria, person, caplog_info):
    stranger = person("U_NOBODY")
    before = row_counts(running.engine)
    for _ in range(3):
        assert (
            stranger.send_event({"type": "app_home_opened", "user": "U_NOBODY", "tab": "home"}).status == 200
        )
    fake.wait_idle(quiet=0.2)
    after = row_counts(running.engine)
    # Nothing at all: no workspace, no rep, and no de-duplication record (a Home open is repeatable).
    assert after == before
    assert len(fake.calls_to("users.info")) == 1  # remembered, not asked again
    assert fake.calls_to("views.publish") == []
    assert tracebacks(caplog_info) == []
    assert sum("Slack does not know the user" in r.getMessage() for r in caplog_info.records) == 1
    # A person Slack knows gets their Home, and their row.
    assert maria.open_home().status == 200
    fake.wait_until(lambda: maria.home)
    with Session(running.engine) as session:
        assert session.scalars(select(Rep.user_id)).all() == ["U1"]


def test_a_refused_views_publish_is_one_warning_without_traceback(fake, running, maria, caplog_info):
    fake.inject("views.publish", error="not_enabled")
    assert maria.open_home().status == 200
    fake.wait_idle(quiet=0.2)
    assert tracebacks(caplog_info) == []
    refused = [r for r in caplog_info.records if "not_enabled" in r.getMessage()]
    assert len(refused) == 1 and refused[0].levelname == "WARNING", [r.getMessage() for r in refused]
    assert "home_opened" in refused[0].getMessage() and "T1" in refused[0].getMessage()


# ---------------------------------------------------------------- 5. what the app sends stays within Slack's limits


def test_the_modal_never_echoes_an_id_that_is_not_one(fake, running, maria):
    maria.channel_id = "C" + "A" * 40  # longer than any Slack id: refused at the edge
    assert maria.slash("/meeting").status == 400
    maria.channel_id = "C_GENERAL"
    view = open_modal(maria, fake)
    assert len(view["private_metadata"]) <= 3000
    assert json.loads(view["private_metadata"])["channel"] == "C_GENERAL"
