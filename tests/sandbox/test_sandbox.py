"""The Slack sandbox: the loopback fake seen through the real slack_sdk, and the simulated user
driving a tiny Bolt app over signed HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slackfake import FakeSlack, SlackUser, render_message, render_view
from bot.slackfake.render import mrkdwn_to_text

SECRET = "test-signing-secret"
TOKEN = "xoxb-T1"


def modal(title: str = "Log a meeting", blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "log",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks
        or [
            {
                "type": "input",
                "block_id": "ask",
                "label": {"type": "plain_text", "text": "The ask"},
                "element": {"type": "plain_text_input", "action_id": "ask", "initial_value": "first"},
            }
        ],
    }


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_workspace("T1", "Acme")
        fake.add_user("T1", "U1", "ann", real_name="Ann Rep", tz="America/Los_Angeles")
        fake.add_channel("T1", "C_GENERAL", "general")
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.api_url, token=TOKEN)


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


# ---------------------------------------------------------------------- the fake, through WebClient


def test_api_url_is_a_loopback_base_url(fake: FakeSlack, client: WebClient) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", fake.api_url)
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T1", "UBOT1", "B1")
    assert answer["is_enterprise_install"] is False
    assert fake.calls_to("auth.test")[0].token == TOKEN


def test_wait_for_calls_wakes_on_the_next_call_and_returns_empty_when_none_comes(
    fake: FakeSlack, client: WebClient
) -> None:
    start = fake.call_count()
    assert fake.wait_for_calls(start, 0.05) == []
    caller = threading.Timer(0.1, client.auth_test)
    caller.start()
    began = time.monotonic()
    calls = fake.wait_for_calls(start, 10.0)
    caller.join()
    assert [c.method for c in calls] == ["auth.test"]
    assert time.monotonic() - began < 5.0  # woken by the call, not by the timeout


def test_unknown_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("nothing.here")) == "unknown_method"


def test_bad_tokens(fake: FakeSlack) -> None:
    assert error_of(WebClient(base_url=fake.api_url, token="xoxb-nope").auth_test) == "invalid_auth"
    assert error_of(WebClient(base_url=fake.api_url).auth_test) == "not_authed"
    fake.revoke_token(TOKEN)
    revoked = WebClient(base_url=fake.api_url, token=TOKEN)
    assert error_of(revoked.auth_test) == "token_revoked"
    assert error_of(lambda: revoked.chat_postMessage(channel="U1", text="hi")) == "token_revoked"


def test_trigger_expires_after_three_seconds_of_the_injected_clock(
    fake: FakeSlack, client: WebClient
) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    stale = fake.issue_trigger("T1", "U1")
    fresh = fake.issue_trigger("T1", "U1")
    now[0] += 3.5
    assert error_of(lambda: client.views_open(trigger_id=stale, view=modal())) == "expired_trigger_id"
    now[0] -= 0.6  # 2.9 s after issue: still good
    assert client.views_open(trigger_id=fresh, view=modal())["ok"]


def test_trigger_is_single_use_and_must_be_issued(client: WebClient, fake: FakeSlack) -> None:
    trigger = fake.issue_trigger("T1", "U1")
    assert client.views_open(trigger_id=trigger, view=modal())["view"]["id"].startswith("V")
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"
    assert error_of(lambda: client.views_open(trigger_id="123.456.abc", view=modal())) == "invalid_trigger_id"


def test_views_open_returns_the_full_view_and_the_fake_shows_it(client: WebClient, fake: FakeSlack) -> None:
    view = client.views_open(trigger_id=fake.issue_trigger("T1", "U1"), view=modal())["view"]
    assert view["team_id"] == "T1" and view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None and view["hash"]
    assert view["state"]["values"] == {"ask": {"ask": {"type": "plain_text_input", "value": "first"}}}
    assert [v["id"] for v in fake.open_views("T1", "U1")] == [view["id"]]


def test_views_open_accepts_a_form_encoded_json_string(client: WebClient, fake: FakeSlack) -> None:
    trigger = fake.issue_trigger("T1", "U1")
    answer = client.api_call("views.open", params={"trigger_id": trigger, "view": json.dumps(modal("Form"))})
    assert answer["view"]["title"]["text"] == "Form"


def test_views_open_rejects_what_slack_rejects(client: WebClient, fake: FakeSlack) -> None:
    trigger = fake.issue_trigger("T1", "U1")
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=trigger, view=modal("A title far longer than Slack allows"))
    assert caught.value.response["error"] == "invalid_arguments"
    assert "/view/title" in caught.value.response["response_metadata"]["messages"][0]


def test_views_update_checks_the_hash(client: WebClient, fake: FakeSlack) -> None:
    opened = client.views_open(trigger_id=fake.issue_trigger("T1", "U1"), view=modal())["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Second"))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Third"))
    assert stale.value.response["error"] == "hash_conflict"
    assert fake.open_views("T1", "U1")[-1]["title"]["text"] == "Second"
    assert error_of(lambda: client.views_update(view_id="VNOPE", view=modal())) == "not_found"


def test_views_push_stacks_and_publish_sets_home(client: WebClient, fake: FakeSlack) -> None:
    root = client.views_open(trigger_id=fake.issue_trigger("T1", "U1"), view=modal("Root"))["view"]
    pushed = client.views_push(trigger_id=fake.issue_trigger("T1", "U1"), view=modal("Pushed"))["view"]
    assert (pushed["root_view_id"], pushed["previous_view_id"]) == (root["id"], root["id"])
    assert [v["title"]["text"] for v in fake.open_views("T1", "U1")] == ["Root", "Pushed"]
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Pipeline"}}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    assert error_of(lambda: client.views_publish(user_id="U1", view=home, hash="1.stale")) == "hash_conflict"
    assert client.views_publish(user_id="U1", view=home, hash=first["hash"])["ok"]
    assert fake.home("T1", "U1")["blocks"][0]["text"]["text"] == "Pipeline"


def test_post_to_a_user_id_lands_in_their_dm(client: WebClient, fake: FakeSlack) -> None:
    posted = client.chat_postMessage(channel="U1", text="Your next step?")
    opened = client.conversations_open(users="U1")["channel"]["id"]
    assert posted["channel"] == opened and opened.startswith("D")
    assert [m["text"] for m in fake.dm_messages("T1", "U1")] == ["Your next step?"]
    assert fake.messages("U1") == fake.messages(opened)


def test_ts_is_slack_shaped_and_increasing_even_on_a_frozen_clock(client: WebClient, fake: FakeSlack) -> None:
    fake.wall_clock = lambda: 1_700_000_000.0
    stamps = [client.chat_postMessage(channel="C_GENERAL", text=str(i))["ts"] for i in range(3)]
    assert all(re.fullmatch(r"1700000000\.\d{6}", ts) for ts in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_channel_errors(client: WebClient, fake: FakeSlack) -> None:
    fake.add_channel("T1", "C_OUT", "sales", bot_is_member=False)
    fake.add_channel("T1", "C_OLD", "old", is_archived=True)
    assert error_of(lambda: client.chat_postMessage(channel="C_NOPE", text="x")) == "channel_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="C_OUT", text="x")) == "not_in_channel"
    assert error_of(lambda: client.chat_postMessage(channel="C_OLD", text="x")) == "is_archived"
    assert error_of(lambda: client.chat_postMessage(channel="C_GENERAL")) == "no_text"
    assert fake.messages("C_OUT") == [] and fake.messages("C_GENERAL") == []


def test_nothing_crosses_workspaces(client: WebClient, fake: FakeSlack) -> None:
    fake.add_workspace("T2", "Beta")
    fake.add_user("T2", "U2", "bob")
    assert error_of(lambda: client.users_info(user="U2")) == "user_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="U2", text="hi")) == "channel_not_found"
    other = WebClient(base_url=fake.api_url, token="xoxb-T2")
    trigger = fake.issue_trigger("T1", "U1")
    assert error_of(lambda: other.views_open(trigger_id=trigger, view=modal())) == "invalid_trigger_id"


def test_chat_update_keeps_the_history(client: WebClient, fake: FakeSlack) -> None:
    posted = client.chat_postMessage(channel="U1", text="v1")
    channel, ts = posted["channel"], posted["ts"]
    client.chat_update(channel=channel, ts=ts, text="v2")
    updated = client.chat_update(channel=channel, ts=ts, text="v3", blocks=[{"type": "divider"}])
    assert (updated["channel"], updated["ts"], updated["text"]) == (channel, ts, "v3")
    assert [m["text"] for m in fake.message_history(channel, ts)] == ["v1", "v2", "v3"]
    assert [m["text"] for m in fake.dm_messages("T1", "U1")] == ["v3"]
    assert (
        error_of(lambda: client.chat_update(channel=channel, ts="1.000001", text="x")) == "message_not_found"
    )


def test_ephemeral_goes_to_one_person(client: WebClient, fake: FakeSlack) -> None:
    answer = client.chat_postEphemeral(channel="C_GENERAL", user="U1", text="Only you")
    assert answer["message_ts"]
    assert [e["text"] for e in fake.ephemerals("T1", "U1")] == ["Only you"]
    assert fake.messages("C_GENERAL") == []


def test_users_info_shape_and_timezone_at_now(client: WebClient, fake: FakeSlack) -> None:
    fake.wall_clock = lambda: datetime(2024, 7, 1, 12, tzinfo=UTC).timestamp()
    user = client.users_info(user="U1")["user"]
    assert (user["id"], user["team_id"], user["name"], user["real_name"]) == ("U1", "T1", "ann", "Ann Rep")
    assert (user["tz"], user["tz_offset"], user["tz_label"]) == (
        "America/Los_Angeles",
        -7 * 3600,
        "Pacific Daylight Time",
    )
    assert user["profile"]["display_name"] == "ann" and user["profile"]["real_name"] == "Ann Rep"
    assert user["is_bot"] is False and user["deleted"] is False and user["is_admin"] is False
    fake.wall_clock = lambda: datetime(2024, 1, 15, 12, tzinfo=UTC).timestamp()
    assert client.users_info(user="U1")["user"]["tz_offset"] == -8 * 3600
    fake.delete_user("T1", "U1")
    assert client.users_info(user="U1")["user"]["deleted"] is True
    assert error_of(lambda: client.users_info(user="UNOPE")) == "user_not_found"


def test_oauth_v2_access(fake: FakeSlack) -> None:
    fake.add_oauth_code("code-1", "T9", "Nine Corp", "U9")
    anonymous = WebClient(base_url=fake.api_url)
    good = {"client_id": fake.oauth_client_id, "client_secret": fake.oauth_client_secret}
    answer = anonymous.oauth_v2_access(code="code-1", **good)
    assert answer["token_type"] == "bot" and answer["team"] == {"id": "T9", "name": "Nine Corp"}
    assert answer["authed_user"]["id"] == "U9" and answer["is_enterprise_install"] is False
    installed = WebClient(base_url=fake.api_url, token=answer["access_token"]).auth_test()
    assert (installed["team_id"], installed["user_id"]) == ("T9", answer["bot_user_id"])
    assert error_of(lambda: anonymous.oauth_v2_access(code="code-1", **good)) == "invalid_code"
    fake.add_oauth_code("code-2", "T9", "Nine Corp", "U9")
    bad_secret = {"client_id": fake.oauth_client_id, "client_secret": "wrong"}
    assert error_of(lambda: anonymous.oauth_v2_access(code="code-2", **bad_secret)) == "bad_client_secret"


def test_injected_429_reaches_webclient_with_retry_after(client: WebClient, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="U1", text="hi")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "30"
    assert caught.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="U1", text="hi")["ok"]  # times=1: the next call goes through
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


def test_injected_500_error_and_delay(client: WebClient, fake: FakeSlack) -> None:
    fake.inject("users.info", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.users_info(user="U1")
        assert caught.value.response.status_code == 500
    fake.inject("users.info", error="fatal_error")
    assert error_of(lambda: client.users_info(user="U1")) == "fatal_error"
    fake.inject("users.info", delay=0.5)
    impatient = WebClient(base_url=fake.api_url, token=TOKEN, timeout=0.1)
    with pytest.raises(TimeoutError):
        impatient.users_info(user="U1")
    assert client.users_info(user="U1")["ok"]


def test_response_url_is_recorded_and_shown(fake: FakeSlack) -> None:
    url = fake.new_response_url("T1", "U1", "C_GENERAL")
    assert WebhookClient(url).send(text="Just for you").status_code == 200
    assert WebhookClient(url).send(text="For all", response_type="in_channel").body == "ok"
    assert [p.body["text"] for p in fake.response_posts] == ["Just for you", "For all"]
    assert [e["text"] for e in fake.ephemerals("T1", "U1")] == ["Just for you"]
    assert [m["text"] for m in fake.messages("C_GENERAL")] == ["For all"]
    assert fake.calls_to("response_url")[0].params["text"] == "Just for you"
    assert WebhookClient(fake.base_url + "response/nope").send(text="x").status_code == 404


# ---------------------------------------------------------------------- the simulated user and a Bolt app

ACCOUNTS = {"acc-1": "Acme Corp", "acc-2": "Globex"}


def log_modal(kind: str | None = None) -> dict[str, Any]:
    def select(options: dict[str, str]) -> list[dict[str, Any]]:
        return [{"text": {"type": "plain_text", "text": t}, "value": v} for v, t in options.items()]

    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "account",
            "label": {"type": "plain_text", "text": "Account"},
            "element": {"type": "external_select", "action_id": "account", "min_query_length": 1},
        },
        {
            "type": "input",
            "block_id": "kind",
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "Kind"},
            "element": {
                "type": "static_select",
                "action_id": "kind",
                "options": select({"discovery": "Discovery", "demo": "Demo"}),
            },
        },
        {
            "type": "input",
            "block_id": "ask",
            "label": {"type": "plain_text", "text": "What did you ask for?"},
            "element": {"type": "plain_text_input", "action_id": "ask"},
        },
    ]
    if kind == "demo":
        blocks.append(
            {
                "type": "input",
                "block_id": "attendees",
                "optional": True,
                "label": {"type": "plain_text", "text": "Who will attend?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "attendees",
                    "initial_value": "Their CTO",
                },
            }
        )
    return {
        "type": "modal",
        "callback_id": "log",
        "title": {"type": "plain_text", "text": "Log a meeting"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks,
    }


def wizard_step(step: int) -> dict[str, Any]:
    def text_input(block_id: str, initial: str | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id}
        if initial is not None:
            element["initial_value"] = initial
        label = {"type": "plain_text", "text": block_id}
        return {"type": "input", "block_id": block_id, "label": label, "element": element}

    return {
        "type": "modal",
        "callback_id": "wizard",
        "private_metadata": str(step),
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": f"Step {step}"},
        "submit": {"type": "plain_text", "text": "Next"},
        "blocks": [text_input("name"), text_input(f"step{step}", f"default {step}")],
    }


def build_app(fake: FakeSlack, seen: list[dict[str, Any]]) -> App:
    app = App(
        signing_secret=SECRET,
        token=TOKEN,
        client=WebClient(base_url=fake.api_url, token=TOKEN),
        process_before_response=True,  # everything the app does is in the fake when the user's call returns
    )

    @app.command("/log")
    def open_log(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=log_modal())

    @app.options("account")
    def accounts(ack: Ack, body: dict[str, Any]) -> None:
        typed = body["value"]
        mine = [
            {"text": {"type": "plain_text", "text": name}, "value": value}
            for value, name in ACCOUNTS.items()
            if typed.lower() in name.lower()
        ]
        new = [{"text": {"type": "plain_text", "text": f"New account: {typed}"}, "value": f"new:{typed}"}]
        yours = {"label": {"type": "plain_text", "text": "Yours"}, "options": mine}
        ack(option_groups=[yours, {"label": {"type": "plain_text", "text": "New"}, "options": new}])

    @app.action("kind")
    def kind_chosen(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen.append(body)
        kind = body["actions"][0]["selected_option"]["value"]
        view = body["view"]
        client.views_update(view_id=view["id"], hash=view["hash"], view=log_modal(kind))

    @app.view("log")
    def saved(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        values = body["view"]["state"]["values"]
        ask = values["ask"]["ask"]["value"] or ""
        if "tuesday" not in ask.lower():
            ack(response_action="errors", errors={"ask": "Ask for a date: which day?"})
            return
        ack()
        account = values["account"]["account"]["selected_option"]["text"]["text"]
        client.chat_postMessage(
            channel=body["user"]["id"],
            text=f"Logged {account}: {ask}",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{account}*: {ask}"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "booked_it",
                            "value": "deal-1",
                            "text": {"type": "plain_text", "text": "Booked it"},
                        }
                    ],
                },
            ],
        )

    @app.action("booked_it")
    def booked(ack: Ack, body: dict[str, Any], respond: Any) -> None:
        ack()
        seen.append(body)
        respond(replace_original=True, text=f"Booked {body['actions'][0]['value']}")

    @app.command("/hello")
    def hello(ack: Ack, body: dict[str, Any]) -> None:
        ack(f"Hi {body['user_name']}")

    @app.command("/wizard")
    def wizard(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=wizard_step(1))

    @app.view("wizard")
    def wizard_submitted(ack: Ack, view: dict[str, Any]) -> None:
        step = int(view["private_metadata"])
        if step == 1:
            ack(response_action="update", view=wizard_step(2))
        elif step == 2:
            ack(response_action="push", view=wizard_step(3))
        else:
            ack(response_action="clear")

    @app.view_closed("wizard")
    def wizard_closed(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    @app.event("app_mention")
    def mentioned(event: dict[str, Any], body: dict[str, Any]) -> None:
        seen.append(body)

    return app


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def events_url(fake: FakeSlack, seen: list[dict[str, Any]]) -> Iterator[str]:
    handler = SlackRequestHandler(build_app(fake, seen))
    server = make_server(
        "127.0.0.1", 0, handler, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()


@pytest.fixture
def ann(fake: FakeSlack, events_url: str) -> SlackUser:
    return SlackUser(fake, events_url, SECRET, "T1", "U1")


def test_a_person_logs_a_meeting_through_the_modal(ann: SlackUser, fake: FakeSlack, seen: list[Any]) -> None:
    assert ann.slash("/log").status == 200
    assert ann.view is not None and ann.view["title"]["text"] == "Log a meeting"

    offered = ann.suggest("account", "ac")
    assert [o["value"] for o in offered] == ["acc-1", "new:ac"]  # option groups flattened
    assert ann.fill("account", "acc-1") is None  # an input without dispatch_action sends nothing
    with pytest.raises(ValueError, match="not offered"):
        ann.fill("account", "acc-2")  # Globex was not in the last suggestions
    ann.fill("ask", "Can we meet again?")

    answer = ann.fill("kind", "demo")  # dispatch_action: the app updates the modal
    assert answer is not None and answer.status == 200
    action = seen[-1]["actions"][0]
    assert (action["type"], action["block_id"], action["selected_option"]["value"]) == (
        "static_select",
        "kind",
        "demo",
    )
    assert seen[-1]["view"]["state"]["values"]["ask"]["ask"]["value"] == "Can we meet again?"
    values = ann.view["state"]["values"]
    assert values["ask"]["ask"]["value"] == "Can we meet again?"  # kept across views.update
    assert values["account"]["account"]["selected_option"]["value"] == "acc-1"
    assert values["attendees"]["attendees"]["value"] == "Their CTO"  # a new input starts at its initial value
    assert "Who will attend? (optional): Their CTO" in render_view(ann.view)

    ann.submit()
    assert ann.errors == {"ask": "Ask for a date: which day?"}
    assert ann.view is not None and ann.dms() == []

    ann.fill("ask", "Demo on Tuesday at 10?")
    assert ann.submit().status == 200
    assert ann.view is None and ann.errors == {}
    assert ann.last_dm()["text"] == "Logged Acme Corp: Demo on Tuesday at 10?"


def test_a_person_clicks_a_button_in_a_dm(ann: SlackUser, fake: FakeSlack, seen: list[Any]) -> None:
    ann.slash("/log")
    ann.suggest("account", "glo")
    ann.fill("account", "acc-2")
    ann.fill("ask", "Tuesday?")
    ann.submit()
    message = ann.last_dm()
    assert "Booked it" in render_message(message)

    assert ann.click("booked_it", in_message=message).status == 200
    body = seen[-1]
    assert body["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": message["channel"],
        "is_ephemeral": False,
    }
    assert body["actions"][0]["value"] == "deal-1"
    assert ann.last_dm()["text"] == "Booked deal-1"  # respond(replace_original=True) via the response_url
    assert len(fake.message_history(message["channel"], message["ts"])) == 2


def test_submit_applies_update_push_and_clear_like_slack(
    ann: SlackUser, fake: FakeSlack, seen: list[Any]
) -> None:
    ann.slash("/wizard")
    first = ann.view
    assert first is not None
    ann.fill("name", "Ann")
    ann.submit()  # response_action: update
    second = ann.view
    assert second is not None and second["id"] == first["id"] and second["title"]["text"] == "Step 2"
    assert second["state"]["values"] == {
        "name": {"name": {"type": "plain_text_input", "value": "Ann"}},  # same block: what she typed stays
        "step2": {"step2": {"type": "plain_text_input", "value": "default 2"}},  # new block: initial value
    }
    ann.submit()  # response_action: push
    stack = fake.open_views("T1", "U1")
    assert [v["title"]["text"] for v in stack] == ["Step 2", "Step 3"]
    assert stack[-1]["previous_view_id"] == second["id"]
    ann.close()  # notify_on_close: the app hears of it
    assert seen[-1]["type"] == "view_closed" and seen[-1]["view"]["id"] == stack[-1]["id"]
    assert ann.view is not None and ann.view["title"]["text"] == "Step 2"
    ann.submit()
    ann.submit()  # response_action: clear
    assert fake.open_views("T1", "U1") == []


def test_a_command_ack_with_text_is_shown_only_to_the_person(ann: SlackUser, fake: FakeSlack) -> None:
    assert ann.slash("/hello").status == 200
    assert [e["text"] for e in ann.ephemerals()] == ["Hi ann"]
    assert fake.messages("C_GENERAL") == []


def test_fill_shapes_state_like_slack(client: WebClient, fake: FakeSlack) -> None:
    def option(value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": value.title()}, "value": value}

    def field(block_id: str, element: dict[str, Any]) -> dict[str, Any]:
        label = {"type": "plain_text", "text": block_id}
        return {
            "type": "input",
            "block_id": block_id,
            "label": label,
            "element": {**element, "action_id": block_id},
        }

    blocks = [
        field("at", {"type": "datetimepicker", "initial_date_time": 1_700_000_000}),
        field("day", {"type": "datepicker"}),
        field("time", {"type": "timepicker", "timezone": "Europe/Paris"}),
        field("kinds", {"type": "checkboxes", "options": [option("demo"), option("call")]}),
        field("who", {"type": "users_select"}),
        field("reaction", {"type": "radio_buttons", "options": [option("booked"), option("declined")]}),
    ]
    client.views_open(trigger_id=fake.issue_trigger("T1", "U1"), view=modal(blocks=blocks))
    ann = SlackUser(fake, "http://127.0.0.1:9/unused", SECRET, "T1", "U1")
    assert ann.view["state"]["values"]["at"]["at"] == {
        "type": "datetimepicker",
        "selected_date_time": 1_700_000_000,
    }
    ann.fill("at", datetime(2024, 3, 5, 17, 30, tzinfo=UTC))
    ann.fill("day", date(2024, 3, 5))
    ann.fill("time", "09:15")
    ann.fill("kinds", ["call"])
    ann.fill("who", "U1")
    ann.fill("reaction", "booked")
    values = ann.view["state"]["values"]
    assert values["at"]["at"]["selected_date_time"] == int(
        datetime(2024, 3, 5, 17, 30, tzinfo=UTC).timestamp()
    )
    assert values["day"]["day"] == {"type": "datepicker", "selected_date": "2024-03-05"}
    assert values["time"]["time"] == {
        "type": "timepicker",
        "selected_time": "09:15",
        "timezone": "Europe/Paris",
    }
    assert [o["value"] for o in values["kinds"]["kinds"]["selected_options"]] == ["call"]
    assert values["who"]["who"] == {"type": "users_select", "selected_user": "U1"}
    assert values["reaction"]["reaction"]["selected_option"]["value"] == "booked"
    with pytest.raises(ValueError, match="aware"):
        ann.fill("at", datetime(2024, 3, 5, 17, 30))
    with pytest.raises(ValueError, match="not offered"):
        ann.fill("reaction", "maybe")


def test_the_app_refuses_forged_requests(ann: SlackUser, fake: FakeSlack) -> None:
    assert ann.slash("/log", signature="v0=" + "0" * 64).status == 401
    assert ann.slash("/log", timestamp=int(time.time()) - 600).status == 401
    assert ann.slash("/log", omit_headers=True).status == 401
    assert fake.calls_to("views.open") == [] and ann.view is None


def test_events_arrive_in_an_envelope_with_retry_headers(ann: SlackUser, seen: list[Any]) -> None:
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT1> hi", "channel": "C_GENERAL"}
    assert ann.send_event(event, event_id="Ev1", retry_num=1).status == 200
    body = seen[-1]
    assert (body["type"], body["event_id"], body["team_id"]) == ("event_callback", "Ev1", "T1")
    assert body["authorizations"][0] == {
        "enterprise_id": None,
        "team_id": "T1",
        "user_id": "UBOT1",
        "is_bot": True,
        "is_enterprise_install": False,
    }
    assert ann.post_raw(b"{}").status == 404  # signed, but nothing in it Bolt can route


def test_render_reads_like_slack(fake: FakeSlack) -> None:
    message = {
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Next step"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "<@U1> booked <!date^1700000000^{date}|Nov 14> · <https://cal.example/e|Add to calendar>",
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Logged just now"}]},
            {"type": "divider"},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "text": {"type": "plain_text", "text": "Log meeting"},
                    },
                    {"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "Snooze"}},
                ],
            },
        ]
    }
    lines = render_message(message).split("\n")
    assert lines == [
        "Next step",
        "═════════",
        "@U1 booked Nov 14 · Add to calendar (https://cal.example/e)",
        "  › Logged just now",
        "─" * 78,
        "[Log meeting] [Snooze]",
    ]
    shown = render_view(log_modal(), errors={"ask": "Ask for a date"})
    assert "Log a meeting" in shown.split("\n")[0] and "[Save]" in shown.split("\n")[-1]
    assert "What did you ask for?: <…>" in shown and "⚠ Ask for a date" in shown


# ---------------------------------------------------------------------- mrkdwn as a terminal shows it


def terminal(text: str, **names: str) -> str:
    return mrkdwn_to_text(text, markup="terminal", names=names)


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("*When:* Thursday", "When: Thursday"),
        ("Not ranked _yet_.", "Not ranked yet."),
        ("_*both*_ and *_both_*", "both and both"),
        (
            "~Fri 4 Dec~ withdrawn",
            "F\u0336r\u0336i\u0336 \u03364\u0336 \u0336D\u0336e\u0336c\u0336 withdrawn",
        ),
        ("log it with `/meeting`", "log it with /meeting"),
        ("`*not bold*` stays", "*not bold* stays"),
        ("<https://cal.example/e?a_b=1|Add to calendar>", "Add to calendar (https://cal.example/e?a_b=1)"),
        ("<https://example.com>", "https://example.com"),
        ("<mailto:ann@example.com|Ann>", "Ann (ann@example.com)"),
        ("<@U1> and <@U2|sam>", "@Maria Lopez and @sam"),
        ("<#C1> or <#C2|general>", "#sales or #general"),
        ("<!here> <!date^1700000000^{date}|Nov 14>", "@here Nov 14"),
        (":bulb: :white_check_mark: :+1:", "\U0001f4a1 \u2705 \U0001f44d"),
        (":large_green_circle: :first_place_medal:", "\U0001f7e2 \U0001f947"),
        (":our_custom_parrot:", "(our custom parrot)"),
        ("&lt;b&gt; &amp; co", "<b> & co"),
    ],
)
def test_inline_mrkdwn_reads_as_text(written: str, shown: str) -> None:
    assert terminal(written, U1="Maria Lopez", C1="sales") == shown


@pytest.mark.parametrize(
    "written",
    [
        "2*3*4 = 24",
        "snake_case_name",
        "a~b~c",
        "at 10:00:30",
        "a * b * c",
        "path/to_x_",
        "https://example.com/a_b_c",
    ],
)
def test_marks_inside_words_are_left_alone(written: str) -> None:
    assert terminal(written) == written


def test_quotes_and_code_blocks_sit_behind_a_bar() -> None:
    assert terminal(">Can we book *Tuesday*?\nThen more.") == "▎ Can we book Tuesday?\nThen more."
    assert terminal("&gt; escaped quote") == "▎ escaped quote"
    assert terminal(">>>one\ntwo") == "▎ one\n▎ two"
    assert terminal("Run:\n```nextstep demo\n*raw* :bulb: <x>```\nDone.") == (
        "Run:\n┆ nextstep demo\n┆ *raw* :bulb: <x>\nDone."
    )
    assert terminal("Inline ```block``` here") == "Inline \n┆ block\n here"


def test_slack_markup_keeps_the_marks_and_resolves_links() -> None:
    assert mrkdwn_to_text("*Hi* <@U1> <https://a.b|x> :bulb:") == "*Hi* @U1 x (https://a.b) :bulb:"


def test_a_message_in_terminal_markup_wraps_quotes_and_bullets_under_their_marks() -> None:
    message = {
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": ":calendar: Your week", "emoji": True}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*A stronger ask*\n>Can we book a working session for Wednesday at 2pm to go "
                    "through pricing?\n• _Who_ will attend, and who decides in the end, and when",
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": ":bulb: Ask for a *date*"}]},
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "user", "user_id": "U1"},
                            {"type": "text", "text": " said "},
                            {"type": "emoji", "name": "tada"},
                        ],
                    },
                    {"type": "rich_text_quote", "elements": [{"type": "text", "text": "Ship it"}]},
                ],
            },
        ],
    }
    lines = render_message(message, width=40, markup="terminal", names={"U1": "Maria"}).split("\n")
    assert lines == [
        "\U0001f4c6 Your week",
        "═" * len("\U0001f4c6 Your week"),
        "A stronger ask",
        "▎ Can we book a working session for",
        "▎ Wednesday at 2pm to go through",
        "▎ pricing?",
        "• Who will attend, and who decides in",
        "  the end, and when",
        "  › \U0001f4a1 Ask for a date",
        "",
        "@Maria said \U0001f389",
        "▎ Ship it",
    ]
    assert "*" in render_message(message)  # the default keeps Slack's marks for tests to match
