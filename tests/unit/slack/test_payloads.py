"""The one parse of a request body and the strict id parsers, without a server."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.slack import ids, payloads

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _command(**fields: str) -> bytes:
    form = {"command": "/meeting", "team_id": "T1", "user_id": "U1", "trigger_id": "1.2.ab", "text": ""}
    return urlencode(form | fields).encode()


def test_a_command_whose_text_says_payload_is_read_as_a_command():
    parsed = payloads.parse(_command(text="payload corp"), FORM)
    assert parsed["command"] == "/meeting" and parsed["text"] == "payload corp"


def test_json_is_read_by_its_content_type_not_its_first_character():
    event = {"type": "event_callback", "team_id": "T1", "event": {"type": "app_home_opened", "user": "U1"}}
    assert payloads.parse(json.dumps(event).encode(), JSON)["event"]["user"] == "U1"
    with pytest.raises(payloads.Malformed):
        payloads.parse(json.dumps(event).encode(), FORM)  # a raw JSON body labelled a form


@pytest.mark.parametrize("size", [49, 1000, 500_000])
def test_nesting_beyond_the_limit_is_refused_without_recursion(size):
    body = b'{"type": "event_callback", "x": ' + b"[" * size + b"]" * size + b"}"
    with pytest.raises(payloads.Malformed, match="nested"):
        payloads.parse(body, JSON)


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = "[" * 100 + '\\"{'
    event = {"type": "event_callback", "team_id": "T1", "event": {"type": "x", "text": text}}
    assert payloads.parse(json.dumps(event).encode(), JSON)["event"]["text"] == text


def test_every_string_is_cleaned_and_the_words_kept():
    body = _command(text="Acme\x00 Corp\x07\ttab\nline")
    assert payloads.parse(body, FORM)["text"] == "Acme Corp\ttab\nline"
    event = '{"type": "event_callback", "team_id": "T1", "event": {"type": "x", "text": "a\\ud800b\\ud83d\\ude00"}}'
    assert payloads.parse(event.encode(), JSON)["event"]["text"] == "ab\U0001f600"


def test_command_text_and_typeahead_queries_are_capped_as_slack_caps_them():
    assert len(payloads.parse(_command(text="x" * 5000), FORM)["text"]) == payloads.MAX_COMMAND_TEXT


def test_ssl_check_is_recognised_only_as_itself():
    assert payloads.is_ssl_check(b"ssl_check=1&token=abc", FORM)
    assert not payloads.is_ssl_check(b"ssl_check=1&command=%2Fmeeting", FORM)
    assert not payloads.is_ssl_check(b'{"ssl_check": "1"}', JSON)


@pytest.mark.parametrize(
    ("parse", "good", "bad"),
    [
        (
            ids.parse_user_id,
            ["U1", "W024BE7LH", "U_NOBODY"],
            ["T1", "u1", "U", "U1 ", "U" + "1" * 40, 5, None],
        ),
        (ids.parse_team_id, ["T1", "E0ORG"], ["U1", "", "T-1"]),
        (ids.parse_channel_id, ["C1", "D0A", "G9"], ["C" + "A" * 4000, "#general", "U1"]),
        (ids.parse_trigger_id, ["13345224609.738474920.8088930838d88f008e0"], ["1.2", "x.y.z", "1.2.AB"]),
        (ids.parse_message_ts, ["1701234567.000100"], ["1701234567", "now"]),
    ],
)
def test_slack_ids_are_parsed_strictly(parse, good, bad):
    assert all(parse(value) == value for value in good)
    assert all(parse(value) is None for value in bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("acct:12", ids.AccountOption(account_id=12)),
        ("new:  Initech   Labs ", ids.AccountOption(new_name="Initech Labs")),
        ("Corp", None),
        ("", None),
        ("new:", None),
        ("acct:", None),
        ("acct:99999999999", None),
        (12, None),
    ],
)
def test_account_options_are_only_those_the_typeahead_offers(raw, expected):
    assert ids.parse_account_option(raw) == expected


def _shortcut(kind: str, **fields: object) -> bytes:
    payload = {
        "type": kind,
        "callback_id": "log_meeting_shortcut",
        "trigger_id": "1.2.ab",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
    } | fields
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_the_log_a_meeting_shortcuts_pass_the_edge():
    assert payloads.parse(_shortcut("shortcut"), FORM)["callback_id"] == "log_meeting_shortcut"
    message = {"type": "message", "ts": "1.2", "text": "notes from the call"}
    parsed = payloads.parse(_shortcut("message_action", channel={"id": "C1"}, message=message), FORM)
    assert parsed["message"]["text"] == "notes from the call"


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("shortcut", {"trigger_id": 7}),
        ("shortcut", {"callback_id": None}),
        ("message_action", {}),  # no message to take the notes from
        ("message_action", {"message": {"text": ["not", "text"]}}),
        ("message_action", {"message": {"text": "x"}, "channel": {"id": "C" + "A" * 40}}),
    ],
)
def test_a_shortcut_of_the_wrong_shape_is_malformed(kind, fields):
    with pytest.raises(payloads.Malformed):
        payloads.parse(_shortcut(kind, **fields), FORM)


@settings(max_examples=300, deadline=None)
@example(texts=["a\x08b\x0cc\x7fd\x85e\x1f"], ascii_only=True)
@example(texts=["a\x08b\x0cc\x7fd\x85e\x1f"], ascii_only=False)
@given(
    texts=st.lists(st.text(max_size=20), min_size=1, max_size=5),
    ascii_only=st.booleans(),
)
def test_a_payload_with_nothing_to_clean_skips_the_walk_and_reads_the_same(texts, ascii_only):
    """The shortcut for clean JSON gives what cleaning every string gives, whatever the strings hold."""
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "event": {"type": "x", "texts": texts, "keys": {texts[0]: "k"}},
    }
    read = payloads.parse(json.dumps(event, ensure_ascii=ascii_only).encode(), JSON)
    assert read["event"]["texts"] == [payloads.clean_text(t) for t in texts]
    assert read["event"]["keys"] == {payloads.clean_text(texts[0]): "k"}


# Form bodies are read with a percent-decoder faster than urllib's: it must read every text the same.
_ESCAPE = st.builds(
    lambda b, upper: f"%{b:02X}" if upper else f"%{b:02x}", st.integers(0, 255), st.booleans()
)
_FORM_TEXT = st.lists(
    st.one_of(
        _ESCAPE,
        st.sampled_from(["%", "%2", "%G1", "%%", "+", "=", "&", "\n", "\r", " ", "_", "%3D", "%25", "%2B"]),
        st.text(max_size=4),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_FORM_TEXT)
@example("abc%")
@example("a+%2B+b%")
@example("%C3%A9%E2%82%AC")
@example("%E2%22%82")
@example("%20 \t+")
def test_the_fast_percent_decoder_reads_every_text_as_urllib_does(text):
    from urllib.parse import unquote_plus

    assert payloads.unquote_fast(text) == unquote_plus(text)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=60), max_size=6))
def test_a_form_body_reads_back_as_its_fields(fields):
    from urllib.parse import parse_qsl

    body = urlencode(fields)
    assert payloads._form(body) == fields == dict(parse_qsl(body, keep_blank_values=True))


@settings(max_examples=500, deadline=None)
@given(_FORM_TEXT)
def test_any_form_text_reads_as_parse_qsl_reads_it(text):
    from urllib.parse import parse_qsl

    pairs = parse_qsl(text, keep_blank_values=True)
    if len(dict(pairs)) != len(pairs) or text.count("&") + 1 > payloads.MAX_FORM_FIELDS:
        with pytest.raises(payloads.Malformed):
            payloads._form(text)
    else:
        assert payloads._form(text) == dict(pairs)
