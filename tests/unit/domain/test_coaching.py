"""The ask grader, the stronger ask, prep gaps, calendar links and the coaching reply."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.coaching import (
    STRONG_EXAMPLE,
    WEAK_EXAMPLE,
    CoachingInput,
    Outcome,
    Prep,
    calendar_links,
    coach,
    format_when,
    grade_ask,
    outcome_of,
    prep_gaps,
    smaller_step,
    stronger_ask,
    weak_phrases,
)
from bot.domain.grading import names_a_date, read_words
from bot.domain.vocabulary import AskType, MeetingKind, Reaction

SM = AskType.SCHEDULED_MEETING
SA = AskType.SPECIFIC_ACTION
OE = AskType.OPEN_ENDED
NA = AskType.NO_ASK

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")

# ---------------------------------------------------------------------------
# The grader
# ---------------------------------------------------------------------------

GRADED_ASKS = [
    # The article's two asks.
    ("Do you mind if I call you in a few weeks?", SM, OE),
    ("Would you mind if I came back tomorrow with the contract for you to sign?", SM, SM),
    # Scheduled and dated.
    ("Demo with their CFO on Thursday at 3pm", SM, SM),
    ("Booked a call for Tuesday 10am to review the proposal", SM, SM),
    ("Sent a Teams invite for 14:00 on 3 Dec", SM, SM),
    ("Follow-up call on Tuesday at 10", SM, SM),
    ("Walk through the security questionnaire on 2026-12-03 at 9:30", SM, SM),
    ("Onsite visit Monday, Mr. Smith on the 17th floor at 1:00pm", SM, SM),
    ("They didn't ask about pricing; demo booked for Dec 3 at 14:00", SM, SM),
    # A dated action, not a meeting.
    ("Sending pricing by Friday", SM, SA),
    ("They sign the contract by the 15th", SM, SA),
    ("Intro to their CTO by 12/3", SA, SA),
    # Weak words, no date.
    ("I'll circle back after the holidays", SM, OE),
    ("Said I'd touch base next quarter", SM, OE),
    ("They\u2019ll let me know when they\u2019re ready", SM, OE),
    ("I'll reach out in a couple of weeks", SA, OE),
    ("Will follow up next week", SM, OE),
    ("Check in with them in a month", SM, OE),
    ("Get back to them about budget", SM, OE),
    ("Loop back when they have budget", SA, OE),
    ("keep in touch", SM, OE),
    ("Ping me sometime", OE, OE),
    # The words say no ask was made.
    ("Forgot to ask, ran out of time", SM, NA),
    ("I didn\u2019t ask for a next step", SA, NA),
    ("No next step, they went quiet", OE, NA),
    # A grade needs evidence: a follow-up without a day is open-ended; a description is no ask.
    ("Let's meet next week", SM, OE),
    ("Great meeting, lots of interest", SM, NA),
    ("Pricing call next week", SA, OE),
    ("Great chat with their ops lead", SM, NA),
    ("Showed them the admin console", SM, NA),
    ("emailed the one-pager, ball in their court", SM, NA),
    ("Let's speak again once budgets are set", SM, OE),
    # The reaction is not the ask: the scheduled ask stands.
    ("proposed the pilot kickoff for Monday 9am, he wasn't keen", SM, SM),
    # The strongest concrete commitment decides.
    ("I'll get you the SOC 2 report tomorrow and ping you again in a few weeks", SM, SA),
    # Never stronger than chosen.
    ("Demo Thursday 3pm", OE, OE),
    ("Demo Thursday 3pm", NA, NA),
    ("Sending pricing by Friday", OE, OE),
]


@pytest.mark.parametrize(("text", "chosen", "expected"), GRADED_ASKS)
def test_grade_on_real_asks(text: str, chosen: AskType, expected: AskType) -> None:
    grade = grade_ask(chosen, text)
    assert grade.graded is expected
    assert grade.chosen is chosen
    assert (grade.reason is not None) == (expected is not chosen)


def read_ask(text: str) -> AskType:
    return read_words(text).ask_type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", NA),
        ("   \n", NA),
        ("Good meeting", NA),
        ("Meeting next week", OE),
        ("Do you mind if I call you in a few weeks?", OE),
        ("Would you mind if I came back tomorrow with the contract for you to sign?", SM),
        ("Proposal to them by Dec 3", SA),
        ("Didn't ask", NA),
        ("forgot to ask", NA),
        ("no next step", NA),
        # Someone else not asking is not the rep's no-ask: it only describes the meeting.
        ("The prospect didn't ask for a discount", NA),
        ("The prospect didn't ask for a discount; demo Friday at 2pm", SM),
    ],
)
def test_read_ask(text: str, expected: AskType) -> None:
    assert read_ask(text) is expected


def test_reason_quotes_the_rep_and_names_both_types() -> None:
    grade = grade_ask(SM, "I'll circle back after the holidays")
    assert grade.reason == (
        "You picked \u201cScheduled meeting\u201d, but \u201cI'll circle back after the holidays\u201d "
        "names no day or time \u2014 graded open-ended. If that's wrong, fix the words with Edit it."
    )
    assert grade.weak_phrases == ("circle back", "after the holidays")


def test_reason_for_a_no_ask_and_for_an_action() -> None:
    no_ask = grade_ask(SA, "forgot to ask")
    assert no_ask.reason is not None
    assert "\u201cforgot to ask\u201d says no next step was asked" in no_ask.reason
    action = grade_ask(SM, "Sending pricing by Friday")
    assert action.reason is not None
    assert (
        "an action with a deadline, not a meeting" in action.reason
        and "graded specific action" in action.reason
    )
    described = grade_ask(SM, "Great chat with their ops lead")
    assert described.reason is not None
    assert "describes the meeting but asks for nothing" in described.reason


def test_reason_quotes_long_text_shortened() -> None:
    text = "I'll circle back " + "and so on " * 500
    grade = grade_ask(SM, text)
    assert grade.reason is not None
    assert len(grade.reason) < 300
    assert "\u2026\u201d" in grade.reason


SNIPPETS = [
    "demo",
    "call",
    "Tuesday",
    "at 10",
    "3pm",
    "circle back",
    "in a few weeks",
    "send the proposal",
    "didn't ask",
    "no next step",
    "tomorrow",
    "let me know",
    "follow up",
    "contract",
    "",
]
ASK_TEXT = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(SNIPPETS), max_size=6).map(" ".join))


@given(chosen=st.sampled_from(list(AskType)), text=ASK_TEXT)
def test_grade_is_never_stronger_than_chosen(chosen: AskType, text: str) -> None:
    grade = grade_ask(chosen, text)
    assert grade.graded.strength <= chosen.strength
    assert (grade.reason is None) == (grade.graded is chosen)


@given(chosen=st.sampled_from(list(AskType)), blank=st.sampled_from(["", " ", "\n\t", "   "]))
def test_grade_of_empty_text_is_no_ask(chosen: AskType, blank: str) -> None:
    # No words, no evidence: whatever was ticked, nothing was asked in writing.
    grade = grade_ask(chosen, blank)
    assert grade.graded is NA
    assert (grade.reason is None) == (chosen is NA)
    assert grade.weak_phrases == ()


@given(text=ASK_TEXT)
def test_weak_phrases_are_quoted_from_the_text(text: str) -> None:
    for phrase in weak_phrases(text):
        assert phrase in text


# ---------------------------------------------------------------------------
# Weak phrases and dates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll touch base next week", ("touch base",)),
        ("Circle back in a few weeks", ("Circle back", "in a few weeks")),
        ("They\u2019ll get back to me when they\u2019re ready", ("get back to", "when they\u2019re ready")),
        ("I'll follow up", ("follow up",)),
        ("Will send a follow-up", ("follow-up",)),
        ("Let me know", ("Let me know",)),
        ("Ping them in a couple of weeks", ("Ping", "in a couple of weeks")),
        ("Check in next quarter", ("Check in", "next quarter")),
        ("Keep in touch", ("Keep in touch",)),
        ("We'll loop back", ("loop back",)),
        ("reach out in a month", ("reach out", "in a month")),
        ("Sometime in spring", ("Sometime",)),
        ("circle back, then circle back again", ("circle back",)),
        # Not weak.
        ("follow up on Tuesday at 10", ()),
        ("Follow-up call on 12/3 at 14:00", ()),
        ("Demo on Thursday at 3pm", ()),
        ("Shipping the contract, mapping the org, something else", ()),
        ("", ()),
    ],
)
def test_weak_phrases(text: str, expected: tuple[str, ...]) -> None:
    assert weak_phrases(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Tuesday",
        "next Tuesday",
        "Thu. works",
        "tomorrow",
        "today at 4",
        "on the 12th",
        "Dec 3",
        "December 3rd",
        "3 December",
        "3rd of Dec",
        "12/3",
        "12/3/2026",
        "2026-12-03",
        "10am",
        "3:30 pm",
        "at 3:30",
        "14:00",
        "at 10",
        "at noon",
        "3.12.2026",
    ],
)
def test_names_a_date(text: str) -> None:
    assert names_a_date(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "next week",
        "in a few weeks",
        "in December",
        "later this month",
        "At the end of the day, they need ROI",
        "support 24/7",
        "the 17th floor",
        "priced at 10 seats",
        "discount at 20%",
        "Q3",
        "something sometime",
    ],
)
def test_does_not_name_a_date(text: str) -> None:
    assert not names_a_date(text)


# ---------------------------------------------------------------------------
# Stronger and smaller asks
# ---------------------------------------------------------------------------


def test_stronger_ask_for_a_proposal_is_the_articles_ask() -> None:
    assert stronger_ask("I'll call you in a few weeks", MeetingKind.PROPOSAL, OE) == STRONG_EXAMPLE


@pytest.mark.parametrize(
    ("counted_from", "short", "longer"),
    [
        (date(2026, 11, 23), "Wednesday", "Thursday"),  # Monday
        (date(2026, 11, 26), "Monday", "Tuesday"),  # Thursday: never "Thursday" for a week later
        (date(2026, 11, 27), "Tuesday", "Wednesday"),  # Friday: over the weekend
        (date(2026, 11, 29), "Tuesday", "Wednesday"),  # Sunday
    ],
)
def test_the_suggested_day_is_counted_from_today(counted_from: date, short: str, longer: str) -> None:
    assert f"on the calendar for {short} at 10am" in stronger_ask("I'll touch base", None, OE, counted_from)
    assert f"a demo for {longer} at 10am" in stronger_ask(
        "I'll touch base", MeetingKind.DISCOVERY, OE, counted_from
    )
    assert f"a 15-minute call on {short} at 10am" in smaller_step(None, counted_from)
    assert counted_from.strftime("%A") not in (short, longer)  # never the meeting's own weekday


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (MeetingKind.DISCOVERY, ("demo", "decision")),
        (MeetingKind.DEMO, ("working session", "in the room")),
        (MeetingKind.NEGOTIATION, ("sign", "30 minutes")),
        (MeetingKind.OTHER, ("on the calendar", "Tuesday at 10am")),
        (None, ("on the calendar", "Tuesday at 10am")),
    ],
)
def test_stronger_ask_fits_the_meeting_kind(kind: MeetingKind | None, words: tuple[str, ...]) -> None:
    ask = stronger_ask("I'll touch base", kind, OE)
    for word in words:
        assert word in ask


def test_stronger_ask_picks_up_the_topic_of_the_ask() -> None:
    assert "go through pricing" in stronger_ask("I'll send pricing in a few weeks", None, OE)
    assert "go through the contract" in stronger_ask("Send the contract by Friday", MeetingKind.OTHER, SA)
    assert "Rather than just sending it" in stronger_ask("Send the contract by Friday", None, SA)


@given(
    text=ASK_TEXT,
    kind=st.one_of(st.none(), st.sampled_from(list(MeetingKind))),
    graded=st.sampled_from(list(AskType)),
)
def test_stronger_ask_is_scheduled_and_deterministic(
    text: str, kind: MeetingKind | None, graded: AskType
) -> None:
    ask = stronger_ask(text, kind, graded)
    assert ask == stronger_ask(text, kind, graded)
    assert read_ask(ask) is SM
    assert weak_phrases(ask) == ()


@pytest.mark.parametrize("kind", [None, *MeetingKind])
def test_smaller_step_is_still_scheduled(kind: MeetingKind | None) -> None:
    step = smaller_step(kind)
    assert read_ask(step) is SM
    assert "call" in step


# ---------------------------------------------------------------------------
# Prep
# ---------------------------------------------------------------------------


def test_prep_strips_and_blanks_become_none() -> None:
    prep = Prep(
        attendees="  Dana (CFO)  ", agenda="   ", materials="", evaluation=None, step_after="\tPilot\n"
    )
    assert prep.attendees == "Dana (CFO)"
    assert prep.agenda is None and prep.materials is None
    assert prep.step_after == "Pilot"
    assert prep.answers() == (("Who will attend?", "Dana (CFO)"), ("What comes after that meeting?", "Pilot"))


def test_prep_gaps_name_what_is_missing() -> None:
    gaps = prep_gaps(Prep(agenda="Pricing", materials="ROI sheet", step_after="Pilot"))
    assert gaps == [
        "No attendees named: ask who else has a say, so the right people are in the room.",
        "You don't know yet how you'll be evaluated: ask what a good outcome of that meeting looks like for them.",
    ]


def test_prep_gaps_all_and_none() -> None:
    assert len(prep_gaps(Prep())) == 5
    full = Prep(attendees="Dana", agenda="Pricing", materials="Deck", evaluation="ROI", step_after="Pilot")
    assert prep_gaps(full) == []


# ---------------------------------------------------------------------------
# Calendar links and dates
# ---------------------------------------------------------------------------


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def _google_instants(url: str) -> tuple[datetime, datetime]:
    start, end = _query(url)["dates"].split("/")
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        datetime.strptime(start, fmt).replace(tzinfo=UTC),
        datetime.strptime(end, fmt).replace(tzinfo=UTC),
    )


def _outlook_instants(url: str) -> tuple[datetime, datetime]:
    q = _query(url)
    return datetime.fromisoformat(q["startdt"]), datetime.fromisoformat(q["enddt"])


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # Berlin is on CET (UTC+1) on Friday 27 March 2026 and on CEST (UTC+2) from Sunday 29 March.
        (datetime(2026, 3, 27, 9, 0, tzinfo=BERLIN), datetime(2026, 3, 27, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 2, 9, 0, tzinfo=LOS_ANGELES), datetime(2026, 11, 2, 17, 0, tzinfo=UTC)),
        (datetime(2026, 12, 3, 18, 30, tzinfo=KOLKATA), datetime(2026, 12, 3, 13, 0, tzinfo=UTC)),
    ],
)
def test_calendar_links_decode_to_the_right_utc_instants(local: datetime, utc: datetime) -> None:
    links = calendar_links("Demo \u2014 Acme", local, timedelta(minutes=45), "Bring the ROI sheet")
    assert _google_instants(links.google) == (utc, utc + timedelta(minutes=45))
    assert _outlook_instants(links.outlook) == (utc, utc + timedelta(minutes=45))


def test_calendar_links_shape_and_encoding() -> None:
    title = "Q&A #2 + pricing / 50% off?"
    details = "Line one\nA&B <Co>"
    links = calendar_links(title, datetime(2026, 12, 3, 13, 0, tzinfo=UTC), details=details)

    google = urlsplit(links.google)
    assert (google.scheme, google.netloc, google.path) == ("https", "calendar.google.com", "/calendar/render")
    g = _query(links.google)
    assert g == {
        "action": "TEMPLATE",
        "text": title,
        "dates": "20261203T130000Z/20261203T133000Z",
        "details": details,
    }
    assert " " not in links.google and "\n" not in links.google

    outlook = urlsplit(links.outlook)
    assert (outlook.netloc, outlook.path) == ("outlook.office.com", "/calendar/0/deeplink/compose")
    o = _query(links.outlook)
    assert o["path"] == "/calendar/action/compose"
    assert o["rru"] == "addevent"
    assert o["subject"] == title and o["body"] == details
    assert o["startdt"] == "2026-12-03T13:00:00Z" and o["enddt"] == "2026-12-03T13:30:00Z"


def test_calendar_links_fit_in_a_slack_button() -> None:
    start = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    links = calendar_links("\u00e9" * 400, start, details="\u00fc\u20ac" * 3000)
    assert len(links.google) <= 3000 and len(links.outlook) <= 3000
    assert _google_instants(links.google)[0] == start


def test_calendar_links_refuse_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        calendar_links("Demo", datetime(2026, 12, 3, 13, 0))


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        (datetime(2026, 12, 3, 13, 0, tzinfo=UTC), BERLIN, "Thursday 3 December 2026, 14:00 (Europe/Berlin)"),
        (
            datetime(2026, 12, 3, 13, 0, tzinfo=UTC),
            LOS_ANGELES,
            "Thursday 3 December 2026, 05:00 (America/Los_Angeles)",
        ),
        (datetime(2026, 12, 3, 13, 0, tzinfo=UTC), KOLKATA, "Thursday 3 December 2026, 18:30 (Asia/Kolkata)"),
        # Summer time in Berlin and Los Angeles; Kolkata has none.
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), BERLIN, "Wednesday 1 July 2026, 18:00 (Europe/Berlin)"),
        (
            datetime(2026, 7, 1, 16, 0, tzinfo=UTC),
            LOS_ANGELES,
            "Wednesday 1 July 2026, 09:00 (America/Los_Angeles)",
        ),
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), KOLKATA, "Wednesday 1 July 2026, 21:30 (Asia/Kolkata)"),
        # The rep's day, not UTC's.
        (
            datetime(2026, 12, 3, 3, 0, tzinfo=UTC),
            LOS_ANGELES,
            "Wednesday 2 December 2026, 19:00 (America/Los_Angeles)",
        ),
    ],
)
def test_format_when_in_the_reps_timezone(at: datetime, tz: ZoneInfo, expected: str) -> None:
    assert format_when(at, tz) == expected


def test_format_when_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        format_when(datetime(2026, 12, 3, 13, 0), BERLIN)


# ---------------------------------------------------------------------------
# The coaching reply
# ---------------------------------------------------------------------------

AT = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def _input(**overrides: object) -> CoachingInput:
    values: dict[str, object] = {
        "rep_tz": BERLIN,
        "account_name": "Acme GmbH",
        "deal_name": "Platform rollout",
        "ask_text": "Demo with their CFO on Thursday 3 December at 14:00",
        "chosen": SM,
        "reaction": Reaction.BOOKED,
        "deal_id": 7,
        "kind": MeetingKind.DISCOVERY,
        "next_step_description": "Demo with the CFO",
        "next_step_at": AT,
        "prep": Prep(agenda="Pricing", materials="ROI sheet", step_after="Pilot"),
        "next_step_id": 42,
        "streak": 1,
    }
    values.update(overrides)
    return CoachingInput(**values)  # type: ignore[arg-type]


def _read(c: object) -> str:
    """Everything the rep reads in the coaching, as one string."""
    from bot.domain.coaching import Coaching

    assert isinstance(c, Coaching)
    parts = [
        c.headline,
        *c.lines,
        *c.ask_lines,
        c.stronger_ask or "",
        c.smaller_step or "",
        c.when_text or "",
    ]
    return "\n".join(parts)


def test_booked_names_the_momentum_and_restates_the_date() -> None:
    c = coach(_input())
    assert c.outcome is Outcome.BOOKED
    assert c.when_text == "Thursday 3 December 2026, 14:00 (Europe/Berlin)"
    assert "momentum" in _read(c) and "phone tag" in _read(c)
    assert "in a row" not in _read(c)
    assert c.stronger_ask is None and c.ask_lines == () and c.smaller_step is None
    assert c.calendar is not None
    assert _google_instants(c.calendar.google)[0] == AT
    assert _query(c.calendar.google)["text"] == "Demo with the CFO \u2014 Acme GmbH"
    assert c.prep_answers == (
        ("What will we discuss?", "Pricing"),
        ("What should we bring?", "ROI sheet"),
        ("What comes after that meeting?", "Pilot"),
    )
    assert c.prep_gaps[0].startswith("No attendees named")
    assert c.prep_gaps[1].startswith("You don't know yet how you'll be evaluated")
    assert (c.next_step_id, c.deal_id) == (42, 7)


def test_booked_specific_action_is_a_commitment_not_a_calendar_entry() -> None:
    c = coach(_input(chosen=SA, ask_text="They sign the contract by Friday 5pm"))
    assert c.lines[0].startswith("Acme GmbH committed to a next step with a date.")
    assert coach(_input()).lines[0].startswith("Acme GmbH has the next step on their calendar")


def test_booked_mentions_the_streak_from_two() -> None:
    c = coach(_input(streak=4))
    assert "That's 4 meetings in a row that ended with a booked next step. Keep asking." in c.lines


def test_booked_with_weak_words_says_why_the_grade_dropped() -> None:
    # The booked date supplies the day, not what was asked: "circle back" names no meeting.
    c = coach(_input(ask_text="I'll circle back after the holidays", next_step_description="Circle back"))
    assert c.outcome is Outcome.BOOKED
    assert c.grade.graded is OE
    assert c.grade.reason in c.lines
    assert c.stronger_ask is not None
    assert "You asked: \u201cI'll circle back after the holidays\u201d" in c.ask_lines


def test_booked_date_supplies_the_day_to_words_that_name_a_meeting() -> None:
    # "Demo with the CFO" names a meeting; the booked date-time is its day and time.
    c = coach(_input(ask_text="Asked for a demo with their CFO", next_step_description="Demo with the CFO"))
    assert c.grade.graded is SM and c.grade.reason is None


def test_a_day_without_a_time_keeps_the_grade_and_asks_for_the_time() -> None:
    c = coach(
        _input(
            ask_text="Demo with their CFO on Thursday",
            next_step_at=None,
            reaction=Reaction.AGREED_UNSCHEDULED,
        )
    )
    assert c.grade.graded is SM
    assert "You named Thursday. Name the time too, so it goes on both calendars." in c.lines


def test_booked_without_a_date_is_coached_as_unscheduled() -> None:
    assert outcome_of(SM, Reaction.BOOKED, None) is Outcome.UNSCHEDULED
    c = coach(_input(next_step_at=None))
    assert c.outcome is Outcome.UNSCHEDULED
    assert c.calendar is None and c.when_text is None


def test_unscheduled_says_pin_it_now_and_phone_tag() -> None:
    c = coach(_input(reaction=Reaction.AGREED_UNSCHEDULED, next_step_at=None, ask_text="Demo next week"))
    assert c.outcome is Outcome.UNSCHEDULED
    text = _read(c)
    assert "Pin it now" in text and "press Booked it" in text
    assert "phone tag" in text
    assert c.stronger_ask is not None and read_ask(c.stronger_ask) is SM
    assert c.calendar is None and c.prep_gaps == ()


def test_unscheduled_without_a_next_step_id_does_not_mention_the_button() -> None:
    c = coach(_input(reaction=Reaction.AGREED_UNSCHEDULED, next_step_at=None, next_step_id=None))
    assert "Booked it" not in _read(c)


def test_hesitant_asks_what_would_make_it_worth_their_time() -> None:
    c = coach(_input(reaction=Reaction.HESITANT, next_step_at=None, kind=MeetingKind.DEMO))
    assert c.outcome is Outcome.HESITANT
    assert "what would make the next meeting worth their time" in _read(c)
    assert c.smaller_step == smaller_step(MeetingKind.DEMO)
    assert c.stronger_ask is None  # the ask itself was scheduled


def test_hesitant_with_an_open_ended_ask_keeps_its_outcome_and_gets_the_stronger_ask() -> None:
    c = coach(_input(reaction=Reaction.HESITANT, next_step_at=None, chosen=OE, ask_text=WEAK_EXAMPLE))
    assert c.outcome is Outcome.HESITANT
    assert c.stronger_ask == stronger_ask(WEAK_EXAMPLE, MeetingKind.DISCOVERY, OE)
    assert f"You asked: \u201c{WEAK_EXAMPLE}\u201d" in c.ask_lines
    assert any(STRONG_EXAMPLE in line for line in c.ask_lines)


def test_declined_says_replace_the_prospect_and_lists_accounts() -> None:
    accounts = ((3, "Globex"), (4, "Initech"))
    c = coach(
        _input(reaction=Reaction.DECLINED, next_step_at=None, replacement_accounts=accounts, territory="DACH")
    )
    assert c.outcome is Outcome.DECLINED
    text = _read(c)
    assert "replace the prospect" in text
    assert "Pick one of the accounts below" in text  # the DM lists them under a heading naming DACH
    assert c.replacement_accounts == accounts
    assert c.stronger_ask is None and c.calendar is None


def test_declined_with_no_accounts_suggests_adding_one() -> None:
    c = coach(_input(reaction=Reaction.DECLINED, next_step_at=None, territory="Nordics"))
    assert "You have no accounts in Nordics without an open deal. Add one" in _read(c)


def test_no_ask_quotes_the_contrast_and_gives_a_stronger_ask() -> None:
    c = coach(_input(chosen=NA, reaction=None, next_step_at=None, ask_text="", kind=MeetingKind.NEGOTIATION))
    assert c.outcome is Outcome.NO_ASK
    assert c.headline == "No scheduled next step"
    text = _read(c)
    assert "ended without a next step" in text
    assert WEAK_EXAMPLE in text and STRONG_EXAMPLE in text
    assert c.stronger_ask == stronger_ask("", MeetingKind.NEGOTIATION, NA)


def test_open_ended_without_a_reaction_is_a_no_ask_outcome_that_quotes_the_ask() -> None:
    c = coach(
        _input(
            chosen=OE, reaction=None, next_step_at=None, kind=None, ask_text="I'll touch base in a few weeks"
        )
    )
    assert c.outcome is Outcome.NO_ASK
    assert "You asked: \u201cI'll touch base in a few weeks\u201d" in c.ask_lines
    assert "\u201ctouch base\u201d, \u201cin a few weeks\u201d leave the date up to them." in " ".join(
        c.ask_lines
    )
    assert c.stronger_ask is not None and "Tuesday at 10am" in c.stronger_ask


def test_no_ask_chosen_wins_over_a_reaction() -> None:
    assert outcome_of(NA, Reaction.BOOKED, AT) is Outcome.NO_ASK
    assert outcome_of(SM, Reaction.DECLINED, None) is Outcome.DECLINED


def test_long_names_are_shortened_inside_sentences() -> None:
    c = coach(_input(account_name="A" * 5000))
    assert max(len(line) for line in c.lines) < 400


def test_headlines_have_no_user_text() -> None:
    for reaction in [*Reaction, None]:
        c = coach(_input(account_name="Secret Corp", reaction=reaction))
        assert "Secret Corp" not in c.headline
