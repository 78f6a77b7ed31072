"""The grader's faster regex forms answer as the plain forms would (a grade never depends on speed)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.grading import _at_word_starts, _grouped, _top_alternatives, clean


def test_an_alternation_splits_only_at_its_top_level_bars():
    assert _top_alternatives(r"will|(?:the|our)\s+plan|[|x]|\|bar|go") == [
        "will",
        r"(?:the|our)\s+plan",
        "[|x]",
        r"\|bar",
        "go",
    ]


WORDS = st.lists(st.text(alphabet="abct'", min_size=1, max_size=4), min_size=1, max_size=8)


@given(WORDS, st.text(alphabet="abct' .", max_size=16))
def test_grouping_by_first_letter_finds_a_match_exactly_when_the_plain_alternation_does(words, text):
    alternation = "|".join(re.escape(word) for word in words)
    plain = re.compile(r"\b(?:" + alternation + r")\b")
    grouped = re.compile(r"\b(?:" + _grouped(alternation) + r")\b")
    assert (plain.search(text) is None) == (grouped.search(text) is None)


def test_alternatives_that_do_not_start_with_a_plain_letter_are_kept():
    grouped = re.compile(r"\b(?:" + _grouped(r"will|(?:the|our)\s+plan|'ll|wants?\s+to") + r")\b")
    for text in ("the plan is set", "we'll", "she wants to", "will"):
        assert grouped.search(text), text
    assert grouped.search("a planned willow") is None


def test_cleaning_keeps_single_spaces_and_newlines_and_folds_the_rest():
    assert clean("Demo  Tue\t3pm\n\nthen   *send* the  deck") == "demo tue 3pm\n\nthen send the deck"


# Pieces of alternatives of the forms the grader's patterns use: literals, optional letters, groups
# (optional or not), classes with ranges and repeats, a leading look-behind, a leading apostrophe.
PIECES = st.sampled_from(
    [
        "ab",
        "a?b",
        "b",
        "ca",
        "c'a",
        "(?:a|ab|b)c?",
        "(?:ab|a)?b",
        "[ab]c",
        "[a-c]{1,2}a",
        "[ab]?c",
        "(?<=a )b",
        "(?<!c )ab",
        "'a",
        r"a\s+b",
        r"b(?:\s+a)?",
        "0?[1-3]a",
        r"\d{1,2}b",
    ]
)
TEXT = st.text(alphabet="abc0123' \n\u0663", max_size=24)


@given(st.lists(PIECES, min_size=1, max_size=6), TEXT)
def test_alternatives_led_by_their_first_character_find_the_same_matches_in_the_same_order(pieces, text):
    alternation = "|".join(pieces)
    firsts = "abc0123456789'"
    plain = re.compile(rf"\b(?=[{firsts}])(?:{alternation})")
    led = re.compile(_at_word_starts(alternation, firsts=firsts))
    assert [m.span() for m in led.finditer(text)] == [m.span() for m in plain.finditer(text)]


@given(st.lists(PIECES.filter(lambda piece: "\\d" not in piece), min_size=1, max_size=6), TEXT)
def test_without_a_look_ahead_the_led_form_still_matches_as_the_word_bounded_one(pieces, text):
    alternation = "|".join(pieces)
    plain = re.compile(rf"\b(?:{alternation})")
    led = re.compile(_at_word_starts(alternation))
    assert [m.span() for m in led.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_a_leading_digit_class_is_read_as_0_to_9_only_under_a_look_ahead_that_says_so():
    # \d also matches other scripts' digits ("\u0663" is an Arabic-Indic 3): without a look-ahead
    # limiting the first character, the led form would miss them, so it is refused.
    with pytest.raises(ValueError):
        _at_word_starts(r"\d+pm")
    with pytest.raises(AssertionError):
        _at_word_starts("ab|cd", firsts="a")


def test_cleaning_folds_tabs_and_other_spaces_in_plain_and_in_non_ascii_notes():
    assert clean("demo\t\ttue  3pm \x0b then\x1fsend") == "demo tue 3pm then send"
    assert clean("demo\u00a0\u00a0tue\u2009 3pm\n\nsend") == "demo tue 3pm\n\nsend"
