"""Grading the ask, and what the coaching reply says after each `/meeting`.

Pure functions: no database, no Slack, no clock. The text here is plain (no
mrkdwn); the Block Kit builder escapes and formats it.

The method is the article's: end every meeting with a *scheduled* next step,
read the prospect's reaction to the ask, avoid phone tag, and replace the
prospect before you lose them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from bot.domain import grading
from bot.domain.vocabulary import PREP_QUESTIONS, AskType, MeetingKind, Reaction

# The article's two asks, quoted wherever the bot contrasts a weak ask with a strong one.
WEAK_EXAMPLE = "Do you mind if I call you in a few weeks?"
STRONG_EXAMPLE = "Would you mind if I came back tomorrow with the contract for you to sign?"

_QUOTE_LIMIT = 160  # characters of the rep's words quoted inside a sentence

# ---------------------------------------------------------------------------
# Reading the rep's words
# ---------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def _normalize(text: str) -> str:
    """Straighten apostrophes, one character for one, so match spans index the original text."""
    return text.translate(_APOSTROPHES)


_FLAGS = re.IGNORECASE

# A vague time frame: a promise with no day in it.
_TIMEFRAME = (
    r"in\s+(?:a\s+few|a\s+couple(?:\s+of)?|a|one|two|three|four|five|six|few|several|\d{1,2})"
    r"\s+(?:days?|weeks?|months?)"
    r"|next\s+(?:quarter|month|year)"
    r"|later\s+this\s+(?:month|quarter|year)"
    r"|after\s+the\s+(?:holidays|new\s+year|summer)"
    r"|in\s+the\s+new\s+year"
)
_ALWAYS_WEAK = re.compile(
    r"\b(?:" + _TIMEFRAME + r"|touch(?:ing)?[\s-]+base"
    r"|circl(?:e|ing)\s+back"
    r"|loop(?:ing)?\s+back"
    r"|reach(?:ing)?\s+out"
    r"|get(?:ting)?\s+back\s+(?:to|in\s+touch)"
    r"|ping(?:ing)?"
    r"|(?:keep|stay)(?:ing)?\s+in\s+touch"
    r"|when\s+(?:you|they)(?:'re|\s+are|re)\s+ready"
    r"|let\s+(?:me|us)\s+know"
    r"|sometime"
    r"|at\s+some\s+point"
    r"|down\s+the\s+road"
    r")\b",
    _FLAGS,
)
# Weak only when the text names no date: "follow up on Tuesday at 10" is a fine ask.
_WEAK_WITHOUT_DATE = re.compile(
    r"\b(?:follow(?:ing)?[\s-]?ups?|check(?:ing)?[\s-]+ins?)\b",
    _FLAGS,
)


def _key(phrase: str) -> str:
    return " ".join(phrase.casefold().split())


def weak_phrases(text: str) -> tuple[str, ...]:
    """The weak-ask phrases in the rep's words, as written, in order, each once."""
    norm = _normalize(text)
    spans = [m.span() for m in _ALWAYS_WEAK.finditer(norm)]
    if not grading.names_a_date(text):
        spans += [m.span() for m in _WEAK_WITHOUT_DATE.finditer(norm)]
    found: list[str] = []
    seen: set[str] = set()
    for start, end in sorted(spans):
        phrase = text[start:end]
        if _key(phrase) not in seen:
            seen.add(_key(phrase))
            found.append(phrase)
    return tuple(found)


# ---------------------------------------------------------------------------
# The grade
# ---------------------------------------------------------------------------

_SHORT_LABELS = {
    AskType.SCHEDULED_MEETING: "Scheduled meeting",
    AskType.SPECIFIC_ACTION: "Specific action with a date",
    AskType.OPEN_ENDED: "Open-ended follow-up",
    AskType.NO_ASK: "No next step asked",
}
_GRADE_WORDS = {
    AskType.SCHEDULED_MEETING: "a scheduled meeting",
    AskType.SPECIFIC_ACTION: "specific action",
    AskType.OPEN_ENDED: "open-ended",
    AskType.NO_ASK: "no next step asked",
}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote_words(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """The rep's words in curly quotes, on one line, shortened with "…" past `limit`."""
    return f"\u201c{_shorten(text, limit)}\u201d"


@dataclass(frozen=True)
class Grade:
    """The ask as graded: never stronger than what the rep chose."""

    chosen: AskType
    graded: AskType
    reason: str | None
    weak_phrases: tuple[str, ...]
    day_without_time: str | None = None  # the day a scheduled meeting names without a clock time

    @property
    def lowered(self) -> bool:
        return self.graded != self.chosen


def _reason(chosen: AskType, graded: AskType, words: str, missing: str) -> str:
    if words.strip():
        picked = f"You picked \u201c{_SHORT_LABELS[chosen]}\u201d, but {quote_words(words)} {missing}"
    else:
        picked = f"You picked \u201c{_SHORT_LABELS[chosen]}\u201d, but you wrote nothing about the ask"
    return f"{picked} \u2014 graded {_GRADE_WORDS[graded]}. If that's wrong, fix the words with Edit it."


def grade_ask(chosen: AskType, text: str, next_step: str | None = None, *, booked: bool = False) -> Grade:
    """The lower of the chosen ask type and what the rep's words show, with the reason when lowered.

    The words are the ask and the next step's description; ``booked`` (a date-time was entered)
    supplies the day and time, never what was asked.
    """
    graded = grading.grade(chosen, text or "", next_step or "", booked=booked)
    written = [t.strip() for t in (text or "", next_step or "") if t and t.strip()]
    words = " / ".join(dict.fromkeys(written))  # the step's description is often the ask itself
    reason = _reason(chosen, graded.graded, words, graded.missing or "") if graded.lowered else None
    return Grade(
        chosen=chosen,
        graded=graded.graded,
        reason=reason,
        weak_phrases=weak_phrases(" ".join(t for t in (text or "", next_step or "") if t)),
        day_without_time=graded.day_without_time,
    )


# ---------------------------------------------------------------------------
# Stronger and smaller asks
# ---------------------------------------------------------------------------

# What the rep's ask was about, as the purpose of a meeting: first match wins.
_TOPICS = (
    (re.compile(r"\b(?:contract|agreement|paperwork|redlines?)\b", _FLAGS), "go through the contract"),
    (re.compile(r"\bproposal\b", _FLAGS), "go through the proposal"),
    (re.compile(r"\b(?:pric(?:e|es|ing)|quote)\b", _FLAGS), "go through pricing"),
    (re.compile(r"\bsecurity\b", _FLAGS), "go through the security review"),
    (re.compile(r"\b(?:trial|pilot)\b", _FLAGS), "plan the pilot"),
    (re.compile(r"\b(?:business\s+case|roi)\b", _FLAGS), "go through the business case"),
    (re.compile(r"\brequirements?\b", _FLAGS), "go through their requirements"),
    (re.compile(r"\bdemo\b", _FLAGS), "walk through the demo"),
)


def _topic(text: str) -> str | None:
    for pattern, purpose in _TOPICS:
        if pattern.search(text):
            return purpose
    return None


def _day_after(counted_from: date | None, working_days: int, fallback: str) -> str:
    """The weekday ``working_days`` working days (Mon–Fri) after the meeting: a day close enough
    to keep the momentum and far enough to prepare. Without the meeting's date, ``fallback``."""
    if counted_from is None:
        return fallback
    day, left = counted_from, working_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return _WEEKDAYS[day.weekday()]


def stronger_ask(
    text: str, kind: MeetingKind | None, graded: AskType, counted_from: date | None = None
) -> str:
    """A stronger, scheduled version of the rep's ask, fitted to the kind of meeting.

    The suggested day is counted from ``counted_from`` (the rep's today), so a Thursday
    meeting never hears "Thursday" for a week later.
    """
    topic = _topic(text or "")
    if kind is MeetingKind.PROPOSAL:
        return STRONG_EXAMPLE
    if kind is MeetingKind.NEGOTIATION:
        return (
            f"Can we put 30 minutes on the calendar for {_day_after(counted_from, 2, 'Friday')} at 11am to sign it, "
            "with you and whoever signs on your side? I'll send the invite now."
        )
    if kind is MeetingKind.DISCOVERY:
        return (
            f"Can we book a demo for {_day_after(counted_from, 3, 'Thursday')} at 10am with you and the people who "
            "will make the decision? Who should I put on the invite?"
        )
    if kind is MeetingKind.DEMO:
        purpose = topic if topic and topic != "walk through the demo" else "go through the proposal"
        return (
            f"Can we book a working session for {_day_after(counted_from, 3, 'Tuesday')} at 2pm to {purpose} "
            "with you and whoever signs off? Who else should be in the room?"
        )
    day = _day_after(counted_from, 2, "Tuesday")
    if graded is AskType.SPECIFIC_ACTION and topic:
        # A dated action is good; going through it together is better: you hear the reaction.
        return (
            f"Rather than just sending it: can we {topic} together on a call on {day} at 10am? "
            "I'll send the invite now."
        )
    purpose = topic or "agree on the next step together"
    return f"Can we put 30 minutes on the calendar for {day} at 10am to {purpose}? I'll send the invite now."


def smaller_step(kind: MeetingKind | None, counted_from: date | None = None) -> str:
    """A smaller step that is still on the calendar, for a hesitant prospect."""
    day = _day_after(counted_from, 2, "Thursday")
    if kind is MeetingKind.DISCOVERY:
        return (
            f"Could we do a 20-minute call on {day} at 10am, with one more person from your side, "
            "to see whether a demo is worth your time?"
        )
    if kind is MeetingKind.DEMO:
        return f"Could we do a 20-minute call on {day} at 10am to go through the questions you still have?"
    if kind is MeetingKind.PROPOSAL:
        return (
            f"Could we do a 20-minute call on {day} at 10am to go through the parts of the proposal "
            "that give you pause?"
        )
    if kind is MeetingKind.NEGOTIATION:
        return (
            f"Could we do a 15-minute call on {day} at 10am with whoever needs to approve it, "
            "so I hear the concern first-hand?"
        )
    return f"Could we do a 15-minute call on {day} at 10am, so I can answer what you need before you decide?"


# ---------------------------------------------------------------------------
# Prep answers
# ---------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True)
class Prep:
    """The prep answers for a booked next step; blank answers become None."""

    attendees: str | None = None
    agenda: str | None = None
    materials: str | None = None
    evaluation: str | None = None
    step_after: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _clean(getattr(self, f.name)))

    def answers(self) -> tuple[tuple[str, str], ...]:
        """(question, answer) for each question answered, in the article's order."""
        pairs = ((question, getattr(self, name)) for name, question in PREP_QUESTIONS)
        return tuple((q, a) for q, a in pairs if a is not None)


_PREP_GAPS = {
    "attendees": "No attendees named: ask who else has a say, so the right people are in the room.",
    "agenda": "No agenda yet: agree on what you'll cover, so both sides come ready for the same meeting.",
    "materials": "Nothing to bring noted: ask what they want to see, so you don't arrive empty-handed.",
    "evaluation": (
        "You don't know yet how you'll be evaluated: ask what a good outcome of that meeting looks like for them."
    ),
    "step_after": "No step after that meeting: decide what you'll ask for at its end before you walk in.",
}


def prep_gaps(prep: Prep) -> list[str]:
    """What the prep answers are missing, each as a short coaching line."""
    return [_PREP_GAPS[name] for name, _ in PREP_QUESTIONS if getattr(prep, name) is None]


# ---------------------------------------------------------------------------
# Dates: calendar links and the date in the rep's timezone
# ---------------------------------------------------------------------------

URL_LIMIT = 3000  # Slack's limit on a button's url


@dataclass(frozen=True)
class CalendarLinks:
    google: str
    outlook: str


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")


def _links(title: str, start: datetime, end: datetime, details: str) -> CalendarLinks:
    def build(base: str, params: dict[str, str]) -> str:
        return base + "?" + urlencode(params, quote_via=quote, safe="/:")

    google = build(
        "https://calendar.google.com/calendar/render",
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}",
            "details": details,
        },
    )
    outlook = build(
        "https://outlook.office.com/calendar/0/deeplink/compose",
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": details,
        },
    )
    return CalendarLinks(google=google, outlook=outlook)


def calendar_links(
    title: str, start: datetime, duration: timedelta = timedelta(minutes=30), details: str = ""
) -> CalendarLinks:
    """ "Add to calendar" links for Google Calendar and Outlook on the web, in UTC.

    The details, then the title, are shortened when needed so each link fits in a Slack button.
    """
    _require_aware(start)
    start_utc = start.astimezone(UTC)
    end_utc = start_utc + duration
    links = _links(title, start_utc, end_utc, details)
    while max(len(links.google), len(links.outlook)) > URL_LIMIT and (details or len(title) > 40):
        if details:
            details = _shorten(details, len(details) // 2) if len(details) > 20 else ""
        else:
            title = _shorten(title, max(40, len(title) // 2))
        links = _links(title, start_utc, end_utc, details)
    return links


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_when(at_utc: datetime, tz: ZoneInfo) -> str:
    """The moment in the rep's timezone: "Thursday 3 December 2026, 14:00 (Europe/Berlin)"."""
    _require_aware(at_utc)
    local = at_utc.astimezone(tz)
    name = tz.key or str(tz)
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M} ({name})"
    )


# ---------------------------------------------------------------------------
# The coaching reply
# ---------------------------------------------------------------------------


class Outcome(StrEnum):
    """Which coaching the rep gets: follows the reaction, or NO_ASK when there is no step."""

    BOOKED = "booked"
    UNSCHEDULED = "unscheduled"
    HESITANT = "hesitant"
    DECLINED = "declined"
    NO_ASK = "no_ask"


@dataclass(frozen=True, kw_only=True)
class CoachingInput:
    """What one logged meeting tells the coach. Keyword-only: there are many fields."""

    rep_tz: ZoneInfo
    account_name: str
    deal_name: str
    ask_text: str
    chosen: AskType
    reaction: Reaction | None
    deal_id: int
    kind: MeetingKind | None = None
    next_step_description: str | None = None
    next_step_at: datetime | None = None  # aware, UTC
    prep: Prep = field(default_factory=Prep)
    next_step_id: int | None = None
    # The rep's accounts in the same territory with no open deal: (account_id, name).
    replacement_accounts: tuple[tuple[int, str], ...] = ()
    territory: str | None = None
    streak: int = 0  # consecutive booked meetings, this one included
    # The day suggested days are counted from, in the rep's zone: the day the coaching is read
    # (a meeting logged days later never gets a suggestion for a day that has passed).
    counted_from: date | None = None
    # The grade stored with the meeting when it was graded from these same words; else graded here.
    grade: Grade | None = None


@dataclass(frozen=True, kw_only=True)
class Coaching:
    """What the coaching DM says and the ids its buttons carry; text is plain, not mrkdwn."""

    outcome: Outcome
    grade: Grade
    headline: str  # no user text in it: it goes in a plain-text header
    lines: tuple[str, ...]  # the coaching for this outcome, in order
    ask_text: str
    ask_lines: tuple[str, ...]  # the rep's ask quoted back and why it is weak; empty when it is fine
    stronger_ask: str | None
    smaller_step: str | None
    next_step_description: str | None
    when_text: str | None
    calendar: CalendarLinks | None
    prep_answers: tuple[tuple[str, str], ...]
    prep_gaps: tuple[str, ...]
    account_name: str
    deal_name: str
    deal_id: int
    next_step_id: int | None
    replacement_accounts: tuple[tuple[int, str], ...]
    territory: str | None
    streak: int


def outcome_of(chosen: AskType, reaction: Reaction | None, next_step_at: datetime | None) -> Outcome:
    """The outcome follows the reaction; no ask, or no reaction, is NO_ASK.

    "Agreed and booked" without a date cannot be on anyone's calendar, so it is coached as unscheduled.
    """
    if chosen is AskType.NO_ASK or reaction is None:
        return Outcome.NO_ASK
    if reaction is Reaction.BOOKED:
        return Outcome.BOOKED if next_step_at is not None else Outcome.UNSCHEDULED
    if reaction is Reaction.AGREED_UNSCHEDULED:
        return Outcome.UNSCHEDULED
    if reaction is Reaction.HESITANT:
        return Outcome.HESITANT
    return Outcome.DECLINED


_HEADLINES = {
    Outcome.BOOKED: "\U0001f4c5 Next step booked",
    Outcome.UNSCHEDULED: "They said yes. Now put a date on it",
    Outcome.HESITANT: "Hesitant: make the next step smaller, and still scheduled",
    Outcome.DECLINED: "Declined: replace this prospect now",
    Outcome.NO_ASK: "No scheduled next step",
}


def _ask_lines(text: str, grade: Grade, stronger: str | None) -> tuple[str, ...]:
    lines: list[str] = []
    if text.strip():
        lines.append(f"You asked: {quote_words(text, 500)}")
    else:
        lines.append("The meeting ended without an ask for a next step.")
    if grade.weak_phrases:
        phrases = ", ".join(quote_words(p, 40) for p in grade.weak_phrases)
        verb = "leaves" if len(grade.weak_phrases) == 1 else "leave"
        lines.append(
            f"{phrases} {verb} the date up to them. Nothing goes on a calendar, so you end up chasing."
        )
    if stronger == STRONG_EXAMPLE:
        contrast = f"\u201c{WEAK_EXAMPLE}\u201d gets a very different reaction from the ask below"
    else:
        contrast = f"\u201c{WEAK_EXAMPLE}\u201d and \u201c{STRONG_EXAMPLE}\u201d get very different reactions"
    lines.append(f"{contrast}, and the reaction is what tells you where the deal stands.")
    return tuple(lines)


def _name(name: str) -> str:
    """A name as it appears inside a sentence: long ones shortened."""
    return _shorten(name, 100)


def _booked_lines(inp: CoachingInput) -> list[str]:
    if inp.chosen is AskType.SPECIFIC_ACTION:
        first = f"{_name(inp.account_name)} committed to a next step with a date. "
    else:
        first = f"{_name(inp.account_name)} has the next step on their calendar, not just yours. "
    lines = [first + "That is momentum: no phone tag, and less time between meetings."]
    if inp.streak >= 2:
        lines.append(
            f"That's {inp.streak} meetings in a row that ended with a booked next step. Keep asking."
        )
    return lines


def _then_book(inp: CoachingInput) -> str:
    return "press Booked it" if inp.next_step_id is not None else "log the date on the deal"


def _unscheduled_lines(inp: CoachingInput) -> list[str]:
    return [
        "They agreed to a next step, but it has no date. Pin it now: send the invite while the yes is fresh, "
        f"then {_then_book(inp)}.",
        "An unscheduled next step means phone tag: the odds they're at their desk the moment you call are slim, "
        "and every week without a date makes the sales cycle longer.",
    ]


def _hesitant_lines(inp: CoachingInput) -> list[str]:
    return [
        "Hesitation is a signal, and it belongs in your forecast. Ask what would make the next meeting "
        "worth their time, and who else they need to check with.",
        f"Then propose a smaller step that still goes on the calendar. When it has a date, {_then_book(inp)}.",
    ]


def _declined_lines(inp: CoachingInput) -> list[str]:
    lines = [
        f"{_name(inp.account_name)} said no to the next step. That is the clearest signal you'll get, and better "
        "now than after three more meetings.",
        "This is the moment to replace the prospect, before the deal is gone: add a replacement deal.",
    ]
    where = f"in {_name(inp.territory)}" if inp.territory else "in your territory"
    if inp.replacement_accounts:
        lines.append("Pick one of the accounts below and book a first meeting there.")
    else:
        lines.append(
            f"You have no accounts {where} without an open deal. Add one: who else {where} "
            "should be hearing from you?"
        )
    return lines


def _no_ask_lines(inp: CoachingInput, grade: Grade) -> list[str]:
    if grade.graded is AskType.NO_ASK:
        return [
            f"The meeting with {_name(inp.account_name)} ended without a next step. Without one, you'll play phone tag "
            "to get the next meeting, if you get it at all.",
            "Ask for a scheduled next step at the end of every meeting, good or bad: their reaction tells you "
            "whether this deal deserves your time.",
        ]
    return [
        f"The meeting with {_name(inp.account_name)} ended without a date for the next step. An open-ended follow-up "
        "means phone tag and a longer sales cycle.",
    ]


def _calendar_details(inp: CoachingInput) -> str:
    parts = [f"{inp.account_name}: {inp.deal_name}"]
    parts += [f"{question} {answer}" for question, answer in inp.prep.answers()]
    return "\n".join(parts)


def coach(inp: CoachingInput) -> Coaching:
    """The coaching reply for one logged meeting."""
    ask = inp.ask_text or ""
    grade = inp.grade
    if grade is None:
        grade = grade_ask(inp.chosen, ask, inp.next_step_description, booked=inp.next_step_at is not None)
    outcome = outcome_of(inp.chosen, inp.reaction, inp.next_step_at)
    description = _clean(inp.next_step_description)

    if outcome is Outcome.BOOKED:
        lines = _booked_lines(inp)
    elif outcome is Outcome.UNSCHEDULED:
        lines = _unscheduled_lines(inp)
    elif outcome is Outcome.HESITANT:
        lines = _hesitant_lines(inp)
    elif outcome is Outcome.DECLINED:
        lines = _declined_lines(inp)
    else:
        lines = _no_ask_lines(inp, grade)
    if grade.reason:
        lines.append(grade.reason)
    if grade.day_without_time:
        # Milkman et al. (PNAS 2011): a date *and* a time written down is what gets followed through.
        lines.append(f"You named {grade.day_without_time}. Name the time too, so it goes on both calendars.")

    weak = not grade.graded.is_scheduled
    strong: str | None = None
    if weak or outcome is Outcome.UNSCHEDULED:
        strong = stronger_ask(ask, inp.kind, grade.graded, inp.counted_from)

    when_text: str | None = None
    links: CalendarLinks | None = None
    answers: tuple[tuple[str, str], ...] = ()
    gaps: tuple[str, ...] = ()
    if outcome is Outcome.BOOKED and inp.next_step_at is not None:
        when_text = format_when(inp.next_step_at, inp.rep_tz)
        title = f"{description or 'Next step'} \u2014 {inp.account_name}"
        links = calendar_links(_shorten(title, 200), inp.next_step_at, details=_calendar_details(inp))
        answers = inp.prep.answers()
        gaps = tuple(prep_gaps(inp.prep))

    return Coaching(
        outcome=outcome,
        grade=grade,
        headline=_HEADLINES[outcome],
        lines=tuple(lines),
        ask_text=ask,
        ask_lines=_ask_lines(ask, grade, strong) if weak else (),
        stronger_ask=strong,
        smaller_step=smaller_step(inp.kind, inp.counted_from) if outcome is Outcome.HESITANT else None,
        next_step_description=description,
        when_text=when_text,
        calendar=links,
        prep_answers=answers,
        prep_gaps=gaps,
        account_name=inp.account_name,
        deal_name=inp.deal_name,
        deal_id=inp.deal_id,
        next_step_id=inp.next_step_id,
        replacement_accounts=inp.replacement_accounts,
        territory=inp.territory,
        streak=inp.streak,
    )
