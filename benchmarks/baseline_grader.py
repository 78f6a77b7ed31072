"""The ask grader as it was before issue 12 (bot/coaching.py at 2542741), frozen as the baseline.

benchmarks/grading.py prints its figures beside the current grader's. Not used by the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.vocabulary import AskType

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

_WEEKDAY = (
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
    r"|(?:mon|tue|tues|wed|thu|thur|thurs|fri)\.?(?!\w))"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY_NUM = r"(?:[12]\d|3[01]|0?[1-9])"
_ORDINAL = _DAY_NUM + r"(?:st|nd|rd|th)"
_HOUR = r"(?:[01]?\d|2[0-3])"
# "at 10" is a time; "at 10 seats", "at 10%" and "at 10k" are not.
_NOT_A_TIME_AFTER = (
    r"(?![\d%])(?!\s*(?:%|percent|per\s*cent|people|persons|seats|users|licen[cs]es?|reps|accounts"
    r"|units|employees|dollars|euros|pounds|k\b|m\b|x\b))"
)
_DATE = re.compile(
    "|".join(
        [
            _WEEKDAY,
            r"\btomorrow\b",
            r"\btoday\s+(?:at|by|before)\b",
            r"\btonight\b",
            r"\bthis\s+(?:afternoon|evening)\b",
            r"\b(?:by\s+)?(?:eod|cob)\b",
            r"\bby\s+end\s+of\s+day\b",
            rf"\b{_MONTH}\s+{_DAY_NUM}(?:st|nd|rd|th)?\b",
            rf"\b{_DAY_NUM}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?!\w)",
            rf"\b(?:on|by|before|the)\s+(?:the\s+)?{_ORDINAL}\b"
            r"(?!\s+(?:floor|time|century|anniversary|percentile|place|round|version|quarter|grade))",
            r"\b\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b",
            rf"(?<![\d/.])(?!24/7\b){_DAY_NUM}/{_DAY_NUM}(?:/(?:\d{{4}}|\d{{2}}))?(?![\d/])",
            rf"\b{_DAY_NUM}\.{_DAY_NUM}\.\d{{4}}\b",
            rf"\b{_HOUR}(?:[:.][0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)",
            rf"\b{_HOUR}:[0-5]\d\b",
            rf"(?:\bat|@)\s*{_HOUR}(?:[:.][0-5]\d)?{_NOT_A_TIME_AFTER}",
            r"\b(?:at\s+|by\s+)?noon\b|\bmidday\b",
            rf"\b(?:{_HOUR}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+o'clock\b",
        ]
    ),
    _FLAGS,
)

# "I didn't ask" is a no-ask; "they didn't ask for pricing" is not.
_NO_ASK = re.compile(
    r"(?P<who>\b(?:they|he|she|it|prospect|client|customer|buyer|who)\s+)?"
    r"(?:\b(?:did\s*n'?t|did\s+not|never|forgot\s+to|failed\s+to|neglected\s+to)\s+"
    r"(?:get\s+to\s+|have\s+time\s+to\s+|manage\s+to\s+|even\s+|actually\s+)?ask\b"
    r"|\b(?:did\s*n'?t|did\s+not|never)\s+(?:set|book|agree\s+(?:on|to)|get)\s+(?:a|any)\s+next[\s-]+steps?\b"
    r"|\bno\s+(?:next[\s-]+steps?|ask)\b"
    r"|\bwithout\s+(?:a|any)\s+next[\s-]+steps?\b"
    r"|\bnothing\s+(?:was\s+)?(?:asked|agreed)\b)",
    _FLAGS,
)

_MEETING = re.compile(
    r"\b(?:meet(?:s|ing|ings)?|calls?|demo(?:s|ed)?|sessions?|review(?:s|ing)?"
    r"|walk[\s-]?through|walk\s+(?:\w+\s+)?through|sit[\s-]+down|calendar|invites?|invitation"
    r"|zoom|(?-i:Teams)|google\s+meet|webex|workshops?|presentation|present|visit|lunch|coffee"
    r"|on[\s-]?site|appointment|debrief|kick[\s-]?off|catch(?:ing)?[\s-]+up|sync"
    r"|touch[\s-]+base|check[\s-]+in|follow[\s-]?up|come\s+back|came\s+back|coming\s+back|stop\s+by|drop\s+by)\b",
    _FLAGS,
)
_ACTION = re.compile(
    r"\b(?:send(?:s|ing)?|sent|sign(?:s|ed|ing)?|signature|contract|proposal|pricing|price|quote"
    r"|intro(?:duce|duction)?|agreement|order|(?-i:PO)|purchase\s+order|nda|msa|sow|deck"
    r"|case\s+stud(?:y|ies)|references?|trial|pilot|access|approve|approval|share|deliver"
    r"|decision|decide|budget|legal|security\s+(?:review|questionnaire)|redlines?|paperwork|draft"
    r"|specs?|requirements|forward|e-?mail|recap|summary|invoice|renewal|onboard(?:ing)?)\b",
    _FLAGS,
)


def _key(phrase: str) -> str:
    return " ".join(phrase.casefold().split())


def weak_phrases(text: str) -> tuple[str, ...]:
    """The weak-ask phrases in the rep's words, as written, in order, each once."""
    norm = _normalize(text)
    spans = [m.span() for m in _ALWAYS_WEAK.finditer(norm)]
    if not names_a_date(text):
        spans += [m.span() for m in _WEAK_WITHOUT_DATE.finditer(norm)]
    found: list[str] = []
    seen: set[str] = set()
    for start, end in sorted(spans):
        phrase = text[start:end]
        if _key(phrase) not in seen:
            seen.add(_key(phrase))
            found.append(phrase)
    return tuple(found)


def names_a_date(text: str) -> bool:
    """Whether the text names a concrete day or time ("next week" alone does not)."""
    return _DATE.search(_normalize(text)) is not None


def _says_no_ask(norm: str) -> bool:
    return any(m.group("who") is None for m in _NO_ASK.finditer(norm))


def read_ask(text: str) -> AskType | None:
    """What the rep's words alone say about the ask; None when they give no evidence."""
    norm = _normalize(text or "").strip()
    if not norm:
        return None
    if _says_no_ask(norm):
        return AskType.NO_ASK
    dated = names_a_date(norm)
    if not dated:
        return AskType.OPEN_ENDED if weak_phrases(norm) else None
    if _MEETING.search(norm):
        return AskType.SCHEDULED_MEETING
    if _ACTION.search(norm):
        return AskType.SPECIFIC_ACTION
    return None


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

    @property
    def lowered(self) -> bool:
        return self.graded != self.chosen


def _reason(chosen: AskType, graded: AskType, text: str) -> str:
    picked = f"You picked \u201c{_SHORT_LABELS[chosen]}\u201d, but {quote_words(text)}"
    if graded is AskType.NO_ASK:
        why = "says no next step was asked"
    elif graded is AskType.OPEN_ENDED:
        why = "names no date"
    else:
        why = "names an action with a date, not a meeting"
    return f"{picked} {why} \u2014 graded {_GRADE_WORDS[graded]}."


def grade_ask(chosen: AskType, text: str) -> Grade:
    """The lower of the chosen ask type and what the text says, with the reason when lowered."""
    read = read_ask(text)
    graded = read if read is not None and read.strength < chosen.strength else chosen
    reason = _reason(chosen, graded, text) if graded != chosen else None
    return Grade(chosen=chosen, graded=graded, reason=reason, weak_phrases=weak_phrases(text or ""))


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
