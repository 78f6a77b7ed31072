"""The ask grader against the two labelled corpora, and its invariants.

tests/data/asks_dev.jsonl is the development corpus (every row must grade as labelled, for
an honest rep and for one who always ticks "Scheduled meeting"). tests/data/asks_heldout.jsonl
was written from the rules alone by someone who never read the grader, and is never tuned on:
its rows are held to the issue's goal (95 %) as a whole, not one by one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.grading import clean, grade, read_words
from bot.domain.vocabulary import AskType

DATA = Path(__file__).parents[2] / "data"
LABELS = {
    "scheduled": AskType.SCHEDULED_MEETING,
    "specific": AskType.SPECIFIC_ACTION,
    "open": AskType.OPEN_ENDED,
    "none": AskType.NO_ASK,
}


def _rows(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


DEV = _rows("asks_dev.jsonl")
HELDOUT = _rows("asks_heldout.jsonl")


def _graded(row: dict[str, str], chosen: AskType) -> AskType:
    label = LABELS[row["label"]]
    booked = label.is_scheduled  # a rep who booked something fills in the date-time field
    return grade(chosen, row["ask"], row["next_step"], booked=booked).graded


def test_the_corpora_are_what_the_issue_asks_for() -> None:
    assert len(DEV) >= 400 and len(HELDOUT) >= 150
    for rows in (DEV, HELDOUT):
        assert {r["label"] for r in rows} == set(LABELS)
        assert len({r["ask"] for r in rows}) == len(rows)
    assert not {r["ask"] for r in DEV} & {r["ask"] for r in HELDOUT}


@pytest.mark.parametrize("row", DEV, ids=[f"dev{i}" for i in range(len(DEV))])
def test_dev_corpus_row_for_an_honest_rep(row: dict[str, str]) -> None:
    label = LABELS[row["label"]]
    assert _graded(row, label) is label, row["why"]


@pytest.mark.parametrize("row", DEV, ids=[f"dev{i}" for i in range(len(DEV))])
def test_dev_corpus_row_for_a_rep_who_always_ticks_scheduled(row: dict[str, str]) -> None:
    assert _graded(row, AskType.SCHEDULED_MEETING) is LABELS[row["label"]], row["why"]


# The goal is 95 % for both reps (benchmarks/grading.py prints it, met or missed); the held-out
# rows are never tuned on. First scored at 97.2 % honest and 94.9 % overclaiming; after the
# reading was widened from a second development batch (asks_dev.jsonl rows 447-685, written
# blind to the code), 97.2 % and 95.5 %. This floor keeps the goal from regressing.
HELDOUT_FLOOR = 0.95


@pytest.mark.parametrize("overclaim", [False, True], ids=["honest", "overclaiming"])
def test_heldout_corpus_agreement_does_not_regress(overclaim: bool) -> None:
    misses = []
    for row in HELDOUT:
        label = LABELS[row["label"]]
        got = _graded(row, AskType.SCHEDULED_MEETING if overclaim else label)
        if got is not label:
            misses.append(f"{row['label']} graded {got.value}: {row['ask']!r}")
    agreement = 1 - len(misses) / len(HELDOUT)
    assert agreement >= HELDOUT_FLOOR, f"{agreement:.1%} agreement ({len(misses)} misses)"


ASK_WORDS = st.lists(
    st.sampled_from(
        [
            "demo",
            "call",
            "Tuesday",
            "at 10",
            "3pm",
            "circle back",
            "send the proposal",
            "by Friday",
            "EOD",
            "didn't ask",
            "no next step",
            "tmrw",
            "~thu 2p~",
            "*bold*",
            ":calendar:",
            "go-live 3/1",
            "10%",
            "we",
        ]
    ),
    max_size=8,
).map(" ".join)


@given(
    chosen=st.sampled_from(list(AskType)),
    ask=st.one_of(st.text(max_size=300), ASK_WORDS),
    step=st.one_of(st.just(""), ASK_WORDS),
    booked=st.booleans(),
)
def test_a_grade_never_exceeds_the_choice(chosen: AskType, ask: str, step: str, booked: bool) -> None:
    graded = grade(chosen, ask, step, booked=booked)
    assert graded.graded.strength <= chosen.strength
    assert (graded.missing is None) == (graded.graded is chosen)


@given(ask=st.text(max_size=3000))
def test_any_text_is_read_without_error(ask: str) -> None:
    assert read_words(ask).ask_type in set(AskType)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call wendesday 2pm", AskType.SCHEDULED_MEETING),  # a misspelt weekday is still a day
        ("demo thrusday at 10", AskType.SCHEDULED_MEETING),
        ("~call thu 3p~ call fri 4p", AskType.SCHEDULED_MEETING),  # the struck time was replaced
        ("~call thu 3p~ they cancelled, new date tbd", AskType.OPEN_ENDED),
        ("we are at 10% adoption", AskType.NO_ASK),  # "we" and "at 10%" are not dates
        ("go-live is 3/16, renewal 16.03.2027", AskType.NO_ASK),  # other events' dates
        ("MSA markup from their counsel EOW", AskType.SPECIFIC_ACTION),
        ("rev call mon 4p w/ RevOps", AskType.SCHEDULED_MEETING),
        ("onsite wk of 3/8 tbd", AskType.OPEN_ENDED),  # a week is not a day
        ("review call 14h CET on 16/03", AskType.SCHEDULED_MEETING),
        ("*Demo* with IT on 2027-03-16 at 10 o'clock :calendar:", AskType.SCHEDULED_MEETING),
        ("At the end of the day, they need ROI before they sign", AskType.NO_ASK),  # an idiom
        ("Send the ROI model by end of the day", AskType.SPECIFIC_ACTION),  # a deadline
    ],
)
def test_forms_reps_really_type(text: str, expected: AskType) -> None:
    assert read_words(text).ask_type is expected


def test_clean_keeps_words_and_drops_markup() -> None:
    assert clean("*Demo* ~Tue~ _Thu_ 2p :tada: w/ CFO tmrw").split() == [
        "demo",
        "thu",
        "2p",
        "with",
        "cfo",
        "tomorrow",
    ]
