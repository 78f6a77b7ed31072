"""A message's text as the notes: Slack's markup read as a person reads it."""

from __future__ import annotations

import pytest

from bot.slack.message_text import plain_message_text


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<@U2|sam> said yes", "@sam said yes"),
        ("<@U2> said yes", "@U2 said yes"),
        ("in <#C1|deals>", "in #deals"),
        ("<!here> <!channel> <!subteam^S1|@sales>", "@here @channel @sales"),
        ("see <https://x.example/a|the deck>", "see the deck (https://x.example/a)"),
        ("see <https://x.example/a>", "see https://x.example/a"),
        ("mail <mailto:dana@x.example|dana@x.example>", "mail dana@x.example"),
        ("R&amp;D &lt;3 &gt; 2", "R&D <3 > 2"),
        ("a\n\n\n\nb\r\n", "a\n\nb"),
        ("", ""),
        (None, ""),
    ],
)
def test_slack_markup_is_read_as_a_person_reads_it(text, plain):
    assert plain_message_text(text, 3000) == plain


def test_the_text_is_cut_to_the_field_with_an_ellipsis():
    assert plain_message_text("abcdef", 4) == "abc\u2026"
