"""The grader's faster regex forms answer as the plain forms would (a grade never depends on speed)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.grading import _grouped, _top_alternatives, clean


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
