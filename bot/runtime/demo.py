"""``nextstep demo``: the real app against the built-in Slack sandbox, told as a story.

Three reps in three timezones log meetings with ``/meeting`` over real, signed HTTP;
the loopback fake plays Slack. Each step prints a line of narration, then what the
person sees in Slack (modals and DMs rendered as a terminal shows text).

One simulated clock runs the whole story: the app, the clock's sweeps and every frame's
header read it. The story starts on a Wednesday afternoon (UTC) after a history the demo
writes through the same code ``/meeting`` runs; the clock then sweeps over the following
week, only at the moments something can fall due, so the Monday leaderboard and digest
appear when they are posted, and the App Home is shown as it reads at the week's end.

By default the data goes to a throwaway SQLite file in a temporary folder, deleted when the
demo ends. A database given explicitly must hold no workspace: the demo's clock sweeps
everything in it.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.config import Config, ConfigError, load_database_url
from bot.domain.vocabulary import AskType, LostReason, MeetingKind, NextStepStatus, Reaction
from bot.slack import ids
from bot.slack.outbox import Limits, SlackOutbox
from bot.slack.tokens import TokenSource
from bot.slackfake.fake import Call, FakeSlack
from bot.slackfake.render import render_message, render_view
from bot.slackfake.user import SlackUser
from models import make_engine, make_session_factory

WIDTH = 78
INNER = WIDTH - 4  # what is rendered inside a frame
SECRET = "nextstep-demo-signing-secret"
WORKSPACE_NAME = "Acme Sales (demo)"
WAIT = 10.0  # seconds the demo waits for any one thing the app does
CHANNEL = "C0SALES"
CHART_NAME = "nextstep-demo-chart.png"
# The story starts on a Wednesday at 15:00 UTC: afternoon in Berlin, morning in Los Angeles,
# evening in Bengaluru, with Monday and Tuesday of the same week behind it for the leaderboard.
START_WEEKDAY, START_TIME = 2, time(15, 0)
WEEK = timedelta(days=7)
# The shown week ends the next Wednesday at 09:00 in Berlin, when Maria opens the app.
WEEK_ENDS = time(9, 0)
MAX_SWEEPS = 200  # the week needs a few dozen; a runaway loop stops here

T = TypeVar("T")


class DemoFailed(Exception):
    """The app did not do what the step expected; the message says what."""


@dataclass
class Rep:
    """One of the demo's reps: who they are in Slack, and their simulated person once the app runs."""

    name: str
    first: str
    user_id: str
    tz_name: str
    user: SlackUser | None = field(default=None, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @property
    def person(self) -> SlackUser:
        assert self.user is not None
        return self.user

    def local(self, at: datetime) -> str:
        return at.astimezone(self.tz).strftime("%a %H:%M")


@dataclass(frozen=True)
class Past:
    """A meeting a rep logged before the story starts; ``day`` counts from the story week's Monday."""

    rep: str
    day: int
    held: time
    account: str
    deal: str
    kind: MeetingKind
    ask: str  # {date}: the booked date, as the rep would say it
    ask_type: AskType
    reaction: Reaction | None
    next_step: str | None = None
    booked_days: int = 0  # the booked next step: days after the meeting, at booked_at (rep's time)
    booked_at: time | None = None
    notes: str | None = None
    closed: tuple[int, LostReason | None] | None = None  # closed that day: lost for the reason, or won


HISTORY = [
    # Priya's earlier accounts, all closed by now: she goes back to the first, replaces with the third.
    Past(
        "Priya",
        -26,
        time(11),
        "Deccan Freight",
        "Fleet tracking pilot",
        MeetingKind.DISCOVERY,
        "I'll send over a case study and check back next quarter.",
        AskType.OPEN_ENDED,
        Reaction.DECLINED,
        notes="Happy with spreadsheets for now.",
        closed=(-12, LostReason.DECLINED),
    ),
    Past(
        "Priya",
        -23,
        time(14),
        "Hampi Stone Co.",
        "Quarry fleet telematics",
        MeetingKind.DEMO,
        "Can we start a pilot on ten haul trucks on the 1st?",
        AskType.SCHEDULED_MEETING,
        Reaction.DECLINED,
        notes="No budget for it this year.",
        closed=(-24, LostReason.NO_BUDGET),
    ),
    Past(
        "Priya",
        -20,
        time(10, 30),
        "Malnad Coffee Traders",
        "Estate fleet tracking",
        MeetingKind.PROPOSAL,
        "Can we sign the order form on {date}?",
        AskType.SCHEDULED_MEETING,
        Reaction.BOOKED,
        next_step="Order form signature",
        booked_days=1,
        booked_at=time(16),
    ),
    Past(
        "Priya",
        -19,
        time(16),
        "Malnad Coffee Traders",
        "Estate fleet tracking",
        MeetingKind.NEGOTIATION,
        "",
        AskType.NO_ASK,
        None,
        notes="Signed for 40 vehicles.",
        closed=(-19, None),
    ),
    Past(
        "Priya",
        -16,
        time(11),
        "Mysore Silk Works",
        "Dispatch visibility",
        MeetingKind.DISCOVERY,
        "Can we book a demo for your dispatch team next Thursday at 11?",
        AskType.SCHEDULED_MEETING,
        Reaction.DECLINED,
        notes="Chose a competitor's tracker.",
        closed=(-18, LostReason.COMPETITOR),
    ),
    # Monday and Tuesday of the story's week: what the leaderboard ranks, with today's meetings.
    Past(
        "Maria",
        0,
        time(10),
        "Alpine Dairy Cooperative",
        "Cold-chain monitoring",
        MeetingKind.DISCOVERY,
        "Can we show your logistics team a demo on {date}?",
        AskType.SCHEDULED_MEETING,
        Reaction.BOOKED,
        next_step="Demo for the logistics team",
        booked_days=1,
        booked_at=time(14),
    ),
    Past(
        "Sam",
        0,
        time(11),
        "Redwood Outfitters",
        "Store inventory sync",
        MeetingKind.DEMO,
        "Can we get your CFO and IT lead on a call on {date} to review pricing?",
        AskType.SCHEDULED_MEETING,
        Reaction.BOOKED,
        next_step="Pricing review with the CFO and IT lead",
        booked_days=17,
        booked_at=time(10),
    ),
    Past(
        "Priya",
        0,
        time(12),
        "Cauvery Agro Exports",
        "Cold storage sensors",
        MeetingKind.DISCOVERY,
        "Can we book the site visit at your Mysuru plant on {date}?",
        AskType.SCHEDULED_MEETING,
        Reaction.BOOKED,
        next_step="Site visit at the Mysuru plant",
        booked_days=15,
        booked_at=time(11),
    ),
    Past(
        "Maria",
        1,
        time(14),
        "Alpine Dairy Cooperative",
        "Cold-chain monitoring",
        MeetingKind.DEMO,
        "Can we meet your finance director on {date} to agree the pilot budget?",
        AskType.SCHEDULED_MEETING,
        Reaction.BOOKED,
        next_step="Pilot budget with the finance director",
        booked_days=14,
        booked_at=time(11),
    ),
    Past(
        "Sam",
        1,
        time(15),
        "Sierra Foods",
        "Fleet tracking",
        MeetingKind.DISCOVERY,
        "Would it be OK if I check back with you next quarter?",
        AskType.OPEN_ENDED,
        Reaction.DECLINED,
        notes="No budget until their next fiscal year.",
    ),
    Past(
        "Maria",
        1,
        time(16, 30),
        "Baltic Ports Authority",
        "Berth scheduling",
        MeetingKind.DISCOVERY,
        "Could we set up a call with your IT lead next Tuesday at 9?",
        AskType.SCHEDULED_MEETING,
        Reaction.DECLINED,
        notes="Locked in with their current vendor until spring.",
    ),
]


def _next_slot(now: datetime, tz: ZoneInfo, weekday: int, hour: int) -> datetime:
    """The next ``weekday`` (0 = Monday), at least a day away, at ``hour``:00 in ``tz``; in UTC."""
    today = now.astimezone(tz).date()
    days = (weekday - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), time(hour, 0), tz).astimezone(UTC)


def _day(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%A")


def _held(before: datetime, tz: ZoneInfo) -> datetime:
    """The latest half hour of a working day (Mon–Fri 09:00–17:00 in ``tz``) no later than ``before``.

    Meetings are held when people work: at 06:00 in Los Angeles, Sam logs yesterday's call.
    """
    local = before.astimezone(tz).replace(second=0, microsecond=0)
    local = local.replace(minute=local.minute - local.minute % 30)
    while local.weekday() >= 5 or not time(9, 0) <= local.time() <= time(17, 0):
        local -= timedelta(minutes=30)
    return local.astimezone(UTC)


def _when_held(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """ "today at 14:30", "yesterday at 16:00" or "on Friday at 11:00", in ``tz``."""
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        day = "today"
    elif local.date() == today - timedelta(days=1):
        day = "yesterday"
    else:
        day = f"on {local:%A}"
    return f"{day} at {local:%H:%M}"


def _shown_url(url: str) -> str:
    """Where the data went: the SQLite file's path, or the server URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or url
    return parsed.render_as_string(hide_password=True)


class SimClock:
    """The demo's one clock: the app, the sweeps and the narration all read it."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def story_start(now: datetime) -> datetime:
    """The latest Wednesday 15:00 UTC no later than ``now``: where the simulated story begins."""
    day = now.astimezone(UTC).date()
    start = datetime.combine(day - timedelta(days=(day.weekday() - START_WEEKDAY) % 7), START_TIME, UTC)
    return start if start <= now else start - WEEK


def _minute_up(at: datetime) -> datetime:
    """The clock sweeps on the minute: the first sweep at or after ``at``."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


class Story:
    """Prints the narration and frames what each person sees."""

    def __init__(self, out: TextIO, now: Callable[[], datetime]):
        self.out = out
        self.now = now
        self.step = "starting"
        self.names: dict[str, str] = {}  # user and channel ids as people read them

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def chapter(self, number: int, title: str) -> None:
        self.step = title
        heading = f"═══ {number}. {title} "
        self.line()
        self.line(heading + "═" * max(3, WIDTH - len(heading)))

    def say(self, text: str) -> None:
        """One narrated action: what the person does."""
        self.line()
        for i, row in enumerate(textwrap.wrap(text, WIDTH - 2)):
            self.line(("▶ " if i == 0 else "  ") + row)

    def note(self, text: str) -> None:
        for row in textwrap.wrap(text, WIDTH - 4):
            self.line("    " + row)

    def frame(self, rep: Rep, surface: str, body: str) -> None:
        """``body`` as ``rep`` sees it, under a header with their name and timezone."""
        title = f"╭─ {rep.name} · {surface} · {rep.tz_name}, {rep.local(self.now())} "
        self.line(title + "─" * max(3, WIDTH - len(title)))
        for row in body.split("\n"):
            self.line(f"│ {row}".rstrip())
        self.line("╰" + "─" * (WIDTH - 1))

    def modal(self, rep: Rep, errors: dict[str, str] | None = None) -> None:
        view = rep.person.view
        if view is None:
            raise DemoFailed(f"{rep.first} has no modal open")
        self.view(rep, "modal", view, errors)

    def view(
        self, rep: Rep, surface: str, view: dict[str, Any], errors: dict[str, str] | None = None
    ) -> None:
        shown = render_view(view, errors=errors, width=INNER, tz=rep.tz, markup="terminal", names=self.names)
        self.frame(rep, surface, shown)

    def dm(self, rep: Rep, message: dict[str, Any], surface: str = "DM from Next Step") -> None:
        shown = render_message(message, width=INNER, tz=rep.tz, markup="terminal", names=self.names)
        self.frame(rep, surface, shown)


class Demo:
    """The scenes, played against the running app."""

    def __init__(
        self,
        story: Story,
        clock: SimClock,
        fake: FakeSlack,
        engine: Engine,
        team_id: str,
        reps: dict[str, Rep],
        chart_dir: Path,
        start: datetime,
    ):
        self.story = story
        self.clock = clock
        self.fake = fake
        self.engine = engine
        self.team_id = team_id
        self.chart_dir = chart_dir
        self.chart_path: Path | None = None
        self.start = start  # when the story's Wednesday begins; the clock stands earlier
        self.sessions = make_session_factory(engine)
        self.outbox: SlackOutbox | None = None
        self.maria, self.sam, self.priya = reps["maria"], reps["sam"], reps["priya"]
        # Sam and Priya log two meetings each; these were the later ones.
        self.sam_last_call = _held(start - timedelta(minutes=45), self.sam.tz)
        self.priya_last_call = _held(start - timedelta(minutes=45), self.priya.tz)

    # ------------------------------------------------------------------ waiting on the app

    def wait(self, what: str, predicate: Callable[[], T | None]) -> T:
        try:
            return self.fake.wait_until(predicate, timeout=WAIT)
        except TimeoutError:
            raise DemoFailed(f"waited {WAIT:.0f}s for {what}") from None

    def open_modal(self, rep: Rep, text: str = "") -> dict[str, Any]:
        response = rep.person.slash("/meeting", text)
        if response.status != 200:
            raise DemoFailed(f"/meeting answered HTTP {response.status}")
        return self.wait("the /meeting modal", lambda: rep.person.view)

    def wait_for_block(self, rep: Rep, block_id: str) -> dict[str, Any]:
        def shown() -> dict[str, Any] | None:
            view = rep.person.view
            present = {b.get("block_id") for b in (view or {}).get("blocks") or []}
            return view if block_id in present else None

        return self.wait(f"the modal to show {block_id!r}", shown)

    def wait_for_modal(self, rep: Rep, callback_id: str) -> dict[str, Any]:
        return self.wait(
            f"the {callback_id!r} modal",
            lambda: rep.person.view if (rep.person.view or {}).get("callback_id") == callback_id else None,
        )

    def next_dm(self, rep: Rep, seen: int) -> dict[str, Any]:
        """The first DM after the ``seen`` ones the rep already had."""
        return self.wait(
            f"a DM to {rep.first}",
            lambda: rep.person.dms()[seen] if len(rep.person.dms()) > seen else None,
        )

    def choose_account(self, rep: Rep, typed: str, *, existing: bool = False) -> None:
        """Type in the account typeahead and pick the new account offered, or the existing match."""
        options = rep.person.suggest(ids.ACCOUNT, typed)
        wanted = (
            next((o for o in options if o["value"].startswith(ids.ACCOUNT_ID_PREFIX)), None)
            if existing
            else next((o for o in options if o["value"] == ids.NEW_ACCOUNT_PREFIX + typed), None)
        )
        if wanted is None:
            raise DemoFailed(f"the account typeahead offered no match for {typed!r}")
        rep.person.fill(ids.ACCOUNT, wanted["value"])

    def fill(self, rep: Rep, values: dict[str, Any]) -> None:
        for block_id, value in values.items():
            rep.person.fill(block_id, value)

    def save(self, rep: Rep) -> None:
        response = rep.person.submit()
        if response.status != 200:
            raise DemoFailed(f"Save answered HTTP {response.status}")

    def save_clean(self, rep: Rep) -> int:
        """Save, and expect no error; the number of DMs the rep had before (what came next is new)."""
        seen = len(rep.person.dms())
        self.save(rep)
        if rep.person.errors:
            raise DemoFailed(f"the app refused {rep.first}'s form: {rep.person.errors}")
        return seen

    # ------------------------------------------------------------------ the scenes

    def held(self, rep: Rep, minutes_ago: int, before: datetime | None = None) -> tuple[datetime, str]:
        """When ``rep`` held the meeting they log now, and how they would say it."""
        now = self.story.now()
        at = _held((before or now) - timedelta(minutes=minutes_ago), rep.tz)
        return at, _when_held(at, now, rep.tz)

    def booked_with_prep(self) -> None:
        s, maria = self.story, self.maria
        held, when = self.held(maria, 60)
        at = _next_slot(self.story.now(), maria.tz, weekday=3, hour=10)
        day = _day(at, maria.tz)
        s.chapter(2, "Maria books a proposal review (and forgets the date at first)")
        s.say(
            f"Maria presented her proposal to Northwind Logistics {when}. She types /meeting "
            "and starts typing the company's name in the Account field."
        )
        self.open_modal(maria)
        self.choose_account(maria, "Northwind Logistics")
        self.wait_for_block(maria, ids.NEW_DEAL_NAME)
        s.note("Nothing matches, so she picks “➕ New account: Northwind Logistics” and names the deal.")
        s.say(
            f"She writes her ask, picks “{AskType.SCHEDULED_MEETING.label}” and "
            f"“{Reaction.BOOKED.label}”. The prep questions appear; she answers four of them, "
            "leaves out how they'll be evaluated, and presses Save before picking the date."
        )
        self.fill(
            maria,
            {
                ids.NEW_DEAL_NAME: "Fleet telematics rollout",
                ids.HELD_AT: held,
                ids.ASK: f"Can we meet {day} at 10 with your CFO to walk through the proposal?",
                ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
                ids.REACTION: Reaction.BOOKED.value,
            },
        )
        self.wait_for_block(maria, ids.PREP_PREFIX + "attendees")
        self.fill(
            maria,
            {
                ids.NEXT_STEP: "Proposal review with the CFO",
                ids.PREP_PREFIX + "attendees": "Dana Weber (VP Ops), Lars Kühn (CFO)",
                ids.PREP_PREFIX + "agenda": "Pricing tiers, rollout plan for 400 trucks",
                ids.PREP_PREFIX + "materials": "ROI model with their fuel numbers",
                ids.PREP_PREFIX + "step_after": "Ask for the signature meeting with procurement",
                ids.KIND: MeetingKind.PROPOSAL.value,
            },
        )
        self.save(maria)
        if ids.NEXT_STEP_AT not in maria.person.errors:
            raise DemoFailed("“Agreed and booked” without a date was accepted")
        s.note("The modal stays open, with the error next to the field:")
        s.modal(maria, errors=maria.person.errors)

        local = at.astimezone(maria.tz)
        s.say(f"Maria picks {day} {local.day} {local:%B}, 10:00 (her time) and presses Save again.")
        maria.person.fill(ids.NEXT_STEP_AT, at)
        dm = self.next_dm(maria, self.save_clean(maria))
        s.note("The modal closes, and a moment later the coaching DM arrives:")
        s.dm(maria, dm)

    def agreed_then_booked(self) -> None:
        s, sam = self.story, self.sam
        held, when = self.held(sam, 150, before=self.sam_last_call)
        s.chapter(3, "Sam gets a yes without a date, then books it from the DM")
        s.say(
            f"Sam, in Los Angeles, demoed to Globex Manufacturing {when}. They agreed to go "
            "through pricing with their CFO, but nobody put a date on it. He logs it as "
            f"“{Reaction.AGREED_UNSCHEDULED.label}”."
        )
        self.open_modal(sam)
        self.choose_account(sam, "Globex Manufacturing")
        self.wait_for_block(sam, ids.NEW_DEAL_NAME)
        self.fill(
            sam,
            {
                ids.HELD_AT: held,
                ids.ASK: "Can we get your CFO on a call to go through pricing?",
                ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
                ids.REACTION: Reaction.AGREED_UNSCHEDULED.value,
                ids.NEXT_STEP: "Pricing call with their CFO",
                ids.KIND: MeetingKind.DEMO.value,
            },
        )
        dm = self.next_dm(sam, self.save_clean(sam))
        s.note("He presses Save. The coaching DM:")
        s.dm(sam, dm)

        at = _next_slot(self.story.now(), sam.tz, weekday=1, hour=14)
        s.say(
            f"Sam emails the invite right away; the CFO accepts {_day(at, sam.tz)} at 2pm. "
            "He clicks “Booked it” in the DM and picks the time."
        )
        sam.person.click(ids.BOOKED_IT, in_message=dm)
        self.wait_for_modal(sam, ids.BOOKED_IT_MODAL)
        sam.person.fill(ids.NEXT_STEP_AT, at)
        s.modal(sam)
        s.say("He presses “Book it”. The DM he clicked in is updated in place:")
        self.save_clean(sam)
        updated = self.wait(
            "the coaching DM to be updated",
            lambda: (
                m
                if (m := self.fake.message(dm["channel"], dm["ts"], self.team_id)) and m.get("edited")
                else None
            ),
        )
        s.dm(sam, updated)

    def hesitant(self) -> None:
        s, priya = self.story, self.priya
        held, when = self.held(priya, 120, before=self.priya_last_call)
        at = _next_slot(self.story.now(), priya.tz, weekday=0, hour=11)
        s.chapter(4, "Priya's prospect hesitates")
        s.say(
            f"Priya, in Bengaluru, demoed to Kaveri Textiles {when}. She asked for a pilot "
            "kickoff; they said they need to check with the plant managers first."
        )
        self.open_modal(priya)
        self.choose_account(priya, "Kaveri Textiles")
        self.wait_for_block(priya, ids.NEW_DEAL_NAME)
        self.fill(
            priya,
            {
                ids.HELD_AT: held,
                ids.ASK: f"Can we book the pilot kickoff with your plant managers on {_day(at, priya.tz)} at 11?",
                ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
                ids.REACTION: Reaction.HESITANT.value,
                ids.KIND: MeetingKind.DEMO.value,
            },
        )
        seen = self.save_clean(priya)
        s.note(f"She logs it as “{Reaction.HESITANT.label}” and presses Save. The coaching DM:")
        s.dm(priya, self.next_dm(priya, seen))

    def declined(self, closed: list[str]) -> None:
        s, priya = self.story, self.priya
        held, when = self.priya_last_call, _when_held(self.priya_last_call, s.now(), priya.tz)
        s.chapter(5, "Priya is turned down, and replaces the prospect")
        s.say(
            f"Priya went back to {closed[0]}, who turned down her last deal, and met them for discovery "
            f"{when}. She asked for a demo; they declined: they signed with a competitor last month. "
            "She types /meeting and “Deccan” in the Account field."
        )
        self.open_modal(priya)
        self.choose_account(priya, "Deccan", existing=True)
        self.wait_for_block(priya, ids.NEW_DEAL_NAME)
        s.note(
            f"The typeahead offers “{closed[0]}”; she picks it, names the new deal and logs "
            f"“{Reaction.DECLINED.label}”."
        )
        self.fill(
            priya,
            {
                ids.NEW_DEAL_NAME: "Warehouse tracking",
                ids.HELD_AT: held,
                ids.ASK: "Could we set up a demo for your operations team next Tuesday at 3pm?",
                ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
                ids.REACTION: Reaction.DECLINED.value,
                ids.KIND: MeetingKind.DISCOVERY.value,
                ids.NOTES: "Signed with a competitor last month; contract renews in a year.",
            },
        )
        dm = self.next_dm(priya, self.save_clean(priya))
        s.note("She presses Save. The coaching DM:")
        s.dm(priya, dm)
        s.note(
            "The accounts listed are the ones she added with /meeting whose deals are closed (the "
            "history above): none has an open deal."
        )

        s.say(
            "She clicks “Add a replacement deal” and types “Malnad”: Malnad Coffee Traders bought "
            "from her before, and they have a second site to equip."
        )
        priya.person.click(ids.ADD_REPLACEMENT_DEAL, in_message=dm)
        self.wait_for_modal(priya, ids.REPLACEMENT_MODAL)
        self.choose_account(priya, "Malnad", existing=True)
        priya.person.fill(ids.NEW_DEAL_NAME, "Estate-to-port logistics")
        s.modal(priya)
        s.say("She presses “Add deal”. A new DM:")
        s.dm(priya, self.next_dm(priya, self.save_clean(priya)))

    def open_ended(self) -> None:
        s, sam = self.story, self.sam
        when = _when_held(self.sam_last_call, self.story.now(), sam.tz)
        s.chapter(6, "Sam calls an open-ended follow-up a “scheduled meeting”")
        s.say(
            f"Sam spoke to Pinecrest Health {when}. His ask was “I'll circle back in a few "
            f"weeks…”, but he picks “{AskType.SCHEDULED_MEETING.label}” anyway."
        )
        self.open_modal(sam)
        self.choose_account(sam, "Pinecrest Health")
        self.wait_for_block(sam, ids.NEW_DEAL_NAME)
        self.fill(
            sam,
            {
                ids.HELD_AT: self.sam_last_call,
                ids.ASK: "I'll circle back in a few weeks once your legal team has reviewed the contract.",
                ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
                ids.REACTION: Reaction.AGREED_UNSCHEDULED.value,
            },
        )
        seen = self.save_clean(sam)
        s.note(f"They said yes to that, so he logs “{Reaction.AGREED_UNSCHEDULED.label}”. The coaching DM:")
        s.dm(sam, self.next_dm(sam, seen))

    # ------------------------------------------------------------------ the history and the clock

    def write_history(self, started: datetime) -> list[str]:
        """What the reps logged before the story, written as ``/meeting`` writes it, with the clock running.

        Returns Priya's closed accounts (the first is the one she goes back to).
        """
        from bot.services.deal_edits import close_deal
        from bot.services.meetings import LoggedMeeting, MeetingForm, log_meeting
        from bot.services.reps import SlackProfile, apply_profile

        s = self.story
        reps = {rep.first: rep for rep in (self.maria, self.sam, self.priya)}
        s.chapter(1, "Where the week stands")
        with Session(self.engine) as session:
            for rep in reps.values():  # the profiles the app reads from Slack on first use
                apply_profile(
                    session, self.team_id, SlackProfile(rep.user_id, rep.name, rep.tz_name), started
                )
            session.commit()
        monday = self.start.date() - timedelta(days=START_WEEKDAY)
        logged: dict[str, LoggedMeeting] = {}
        this_week: list[tuple[datetime, str]] = []

        def local(rep: Rep, day: int, at: time) -> datetime:
            return datetime.combine(monday + timedelta(days=day), at, rep.tz).astimezone(UTC)

        def log(past: Past) -> None:
            rep = reps[past.rep]
            held = local(rep, past.day, past.held)
            booked = local(rep, past.day + past.booked_days, past.booked_at) if past.booked_at else None
            deal = logged.get(past.deal)
            form = MeetingForm(
                account=f"{ids.ACCOUNT_ID_PREFIX}{deal.account_id}"
                if deal
                else ids.NEW_ACCOUNT_PREFIX + past.account,
                deal=str(deal.deal_id) if deal else None,
                new_deal_name=None if deal else past.deal,
                held_at=held,
                ask_text=past.ask.format(
                    date=f"{booked.astimezone(rep.tz):%A %-d %B at %H:%M}" if booked else ""
                ),
                ask_type=past.ask_type,
                reaction=past.reaction,
                next_step=past.next_step,
                next_step_at=booked,
                kind=past.kind,
                notes=past.notes,
            )
            with Session(self.engine) as session:
                logged[past.deal] = log_meeting(
                    session,
                    team_id=self.team_id,
                    user_id=rep.user_id,
                    form=form,
                    view_id=None,
                    now=self.clock.at,
                )
            if past.day >= 0:
                label = past.reaction.label if past.reaction else "no ask"
                this_week.append(
                    (
                        held,
                        f"  {held.astimezone(rep.tz):%a %H:%M}  {rep.first:<6} {past.account} "
                        f"({past.kind.value}): {label}",
                    )
                )

        def close(past: Past, reason: LostReason | None) -> None:
            with Session(self.engine) as session:
                close_deal(
                    session,
                    team_id=self.team_id,
                    user_id=reps[past.rep].user_id,
                    deal_id=logged[past.deal].deal_id,
                    won=reason is None,
                    reason=reason,
                    now=self.clock.at,
                )

        # In the order it happened, the clock sweeping in between: a meeting is logged 40 minutes
        # after it was held, a deal closed at 17:00 (the rep's time) of its day.
        events: list[tuple[datetime, int, Callable[[], None]]] = []
        for n, past in enumerate(HISTORY):
            rep = reps[past.rep]
            events.append((local(rep, past.day, past.held) + timedelta(minutes=40), n, partial(log, past)))
            if past.closed is not None:
                day, reason = past.closed
                at = max(local(rep, day, time(17)), events[-1][0] + timedelta(minutes=1))
                events.append((at, n, partial(close, past, reason)))
        # On Monday morning, before the week's first leaderboard post, an admin sets up the team.
        events.append((local(self.maria, 0, time(8)), -1, lambda: self.setup_team(self.clock.at)))
        for at, _, happen in sorted(events, key=lambda e: (e[0], e[1])):
            self.run_clock(at)
            happen()
        self.run_clock(self.start)

        closed = [p for p in HISTORY if p.closed is not None]
        s.say(
            "Maria, Sam and Priya have used Next Step for a month. The demo writes the meetings they "
            "logged before today through the same code /meeting runs, in the order they happened, with "
            "the app's clock sweeping in between as it would have. On Monday morning an admin put the "
            "three in one team, “Field sales”, led by Sam, whose leaderboard posts in #sales every "
            "Monday at 09:00 Berlin time (the workspace's timezone). This week so far, each in the "
            "rep's own time:"
        )
        s.line()
        for _, row in sorted(this_week):
            s.line(row)
        s.say(
            "Before that, Priya worked four accounts whose deals are now closed: "
            + ", ".join(
                f"{p.account} ({p.closed[1].label.lower() if p.closed and p.closed[1] else 'won'})"
                for p in closed
            )
            + "."
        )
        s.say(
            "It is now Wednesday afternoon in Berlin, morning in Los Angeles and evening in Bengaluru. "
            "The reps log today's meetings."
        )
        return [p.account for p in closed if p.closed and p.closed[1] is not None]

    def setup_team(self, at: datetime) -> None:
        """The team and its channel, as an admin sets them in the app's settings."""
        from models import Rep as RepRow
        from models import SalesTeam, Workspace

        self.fake.add_channel(self.team_id, CHANNEL, "sales")
        self.story.names[CHANNEL] = "sales"
        reps = [r.user_id for r in (self.maria, self.sam, self.priya)]
        with Session(self.engine) as session:
            team = SalesTeam(
                team_id=self.team_id,
                name="Field sales",
                manager_user_id=self.sam.user_id,
                channel_id=CHANNEL,
                channel_chosen_by=self.sam.user_id,
                created_at=at,
            )
            session.add(team)
            session.flush()
            for row in session.scalars(
                select(RepRow).where(RepRow.team_id == self.team_id, RepRow.user_id.in_(reps))
            ):
                row.sales_team_id = team.id
            # The demo has no Slack admin to lend the workspace a timezone: the admin picks Berlin's.
            workspace = session.get(Workspace, self.team_id)
            assert workspace is not None
            workspace.timezone = self.maria.tz.key
            session.commit()

    def next_moment(self, after: datetime) -> datetime | None:
        """The first minute after ``after`` at which a sweep can find something due, from the database."""
        from bot.services.leaderboard import post_moment, week_containing, workspace_zone
        from models import Deal, NextStep, Nudge, Workspace

        with Session(self.engine) as session:
            moments = [
                session.scalar(
                    select(func.min(NextStep.nudge_check_at)).where(NextStep.team_id == self.team_id)
                ),
                session.scalar(select(func.min(Deal.stall_check_at)).where(Deal.team_id == self.team_id)),
                session.scalar(
                    select(func.min(Nudge.next_attempt_at)).where(
                        Nudge.team_id == self.team_id, Nudge.sent_at.is_(None), Nudge.gave_up_at.is_(None)
                    )
                ),
            ]
            workspace = session.get(Workspace, self.team_id)
            assert workspace is not None
            week = week_containing(after, workspace_zone(workspace))
            moments += [post_moment(workspace, w) for w in (week.shifted(-1), week)]
        future = [m for m in moments if m is not None and m > after]
        return _minute_up(min(future)) if future else None

    def run_clock(self, until: datetime, show: bool = False) -> int:
        """Sweep at each moment something can fall due up to ``until``, then stand at ``until``.

        The real clock sweeps every minute; the minutes skipped here find nothing due. With
        ``show``, each message is shown when it arrives. Returns the number of sweeps.
        """
        from bot.clock.sweep import sweep

        if self.outbox is None:
            raise DemoFailed("the clock has no outbox")
        sweeps = 0
        # What was written at this very moment (a meeting just logged) is due for a look too.
        at = self.next_moment(self.clock.at - timedelta(microseconds=1))
        while at is not None and at <= until:
            sweeps += 1
            if sweeps > MAX_SWEEPS:
                raise DemoFailed(f"the clock swept {MAX_SWEEPS} times before {until:%Y-%m-%d %H:%M} UTC")
            self.clock.at = at
            calls = len(self.fake.calls)
            sweep(self.sessions, self.outbox, now=at, worker="demo", wall_clock=lambda: datetime.now(UTC))
            if show:
                self.show_arrivals(self.fake.calls[calls:])
            at = self.next_moment(at)
        self.clock.at = max(self.clock.at, until)
        return sweeps

    def show_arrivals(self, calls: list[Call]) -> None:
        """What the sweep just sent, in the order it was sent: posts in #sales, the chart, DMs."""
        s = self.story
        readers = {}
        for rep in (self.maria, self.sam, self.priya):
            readers[rep.user_id] = readers[self.fake.dm_channel_id(self.team_id, rep.user_id)] = rep
        for call in calls:
            if call.method == "files.completeUploadExternal":
                s.say(
                    "In the post's thread, the app uploads a chart: the team's booked rate and meetings "
                    "over the last 8 weeks."
                )
                uploads = [f for f in self.fake.files(self.team_id) if f.get("channel") == CHANNEL]
                if uploads:
                    self.save_chart(uploads[-1].get("content") or b"")
                continue
            if call.method != "chat.postMessage" or (call.response or {}).get("ok") is not True:
                continue
            message = {"text": call.params.get("text"), "blocks": call.params.get("blocks")}
            channel = str(call.params.get("channel"))
            if channel == CHANNEL:
                s.note("In #sales, as everyone in the channel sees it:")
                s.dm(self.maria, message, surface="#sales")
            elif (reader := readers.get(channel)) is not None:
                if reader is self.sam and "pipeline" in str(message["text"] or "").lower():
                    s.note(f"{reader.first}, as the team's manager, gets the weekly digest:")
                s.dm(reader, message)

    def save_chart(self, png: bytes) -> None:
        path = self.chart_dir / CHART_NAME
        try:
            path.write_bytes(png)
        except OSError as error:
            self.story.note(f"(The demo could not save it to {path}: {error.strerror or error}.)")
            return
        self.chart_path = path
        self.story.note("The demo saved it here; open it to see what Slack shows:")
        self.story.line(f"    {path}")

    def week(self) -> None:
        """The clock over the following week (simulated), each message shown when it arrives."""
        s = self.story
        s.chapter(7, "The week that follows: nudges, then Monday's leaderboard and digest")
        s.say(
            "The clock process sweeps every minute. Here it runs over the following week of simulated "
            "time, up to next Wednesday morning in Berlin, sweeping at each moment the database says "
            "something can fall due (the other minutes find nothing to do). Each message is shown when "
            "it arrives, in the reader's own time."
        )
        berlin = self.maria.tz
        end = datetime.combine((self.start + WEEK).astimezone(berlin).date(), WEEK_ENDS, berlin)
        sweeps = self.run_clock(end.astimezone(UTC), show=True)
        s.say(
            f"A week has passed: {sweeps} sweeps, at the moments something could fall due, did the work "
            f"of the {int((end - self.start) / timedelta(minutes=1)):,} one-minute sweeps in between."
        )

    def summary(self, database: str) -> None:
        from models import Meeting, NextStep
        from models import Rep as RepRow

        s = self.story
        s.chapter(9, "What the database holds at the end of the week")
        with Session(self.engine) as session:
            s.line()
            s.line(f"  Workspace {self.team_id} ({WORKSPACE_NAME}), every meeting logged in it:")
            s.line()
            s.line(f"  {'rep':<14}{'timezone':<22}{'meetings':>9}{'ended booked':>14}{'booked rate':>13}")
            for rep in (self.maria, self.sam, self.priya):
                row = session.scalar(
                    select(RepRow).where(RepRow.team_id == self.team_id, RepRow.user_id == rep.user_id)
                )
                if row is None:
                    raise DemoFailed(f"{rep.first} is not in the database")
                meetings = session.scalars(
                    select(Meeting).where(Meeting.rep_id == row.id, Meeting.withdrawn_at.is_(None))
                ).all()
                booked = sum(1 for m in meetings if m.reaction == Reaction.BOOKED)
                rate = f"{booked / len(meetings):.0%}" if meetings else "–"
                s.line(f"  {rep.name:<14}{row.timezone:<22}{len(meetings):>9}{booked:>14}{rate:>13}")
            on_calendar = session.scalar(
                select(func.count())
                .select_from(NextStep)
                .where(NextStep.team_id == self.team_id, NextStep.status == NextStepStatus.BOOKED)
            )
            unscheduled = session.scalar(
                select(func.count())
                .select_from(NextStep)
                .where(NextStep.team_id == self.team_id, NextStep.status == NextStepStatus.UNSCHEDULED)
            )
            s.line()
            s.note(
                f"Next steps on a calendar: {on_calendar}; still without a date: {unscheduled}. "
                "The booked rate counts meetings that ended “Agreed and booked”: Sam's pricing call with "
                "Globex was booked afterwards, from the DM, so it is on the calendar but not in his rate."
            )
        s.line()
        s.line(f"  Database: {database}")


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Library chatter (Alembic's INFO lines) would drown the story; warnings still show."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _empty(url: str) -> int:
    """How many workspaces the database at ``url`` already holds (0 for a new or empty one)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("workspaces"):
                return 0
            return int(connection.exec_driver_sql("SELECT count(*) FROM workspaces").scalar() or 0)
    finally:
        engine.dispose()


def run_demo(
    database_url: str | None,
    out: TextIO,
    *,
    now: datetime | None = None,
    chart_dir: Path | None = None,
) -> int:
    """Play the demo; 0 when every step did what it should, 1 with one line saying what did not.

    ``database_url``: None for a throwaway SQLite file, deleted at the end; a database given
    must hold no workspace. ``now``: the real moment the story's week is chosen from (the
    Wednesday before it). ``chart_dir``: where the leaderboard's chart is saved (the working
    directory by default).
    """

    story_at = story_start(now or datetime.now(UTC))
    clock = SimClock(story_at - timedelta(days=30))  # the workspace was installed a month before
    story = Story(out, clock)
    with ExitStack() as cleanup:
        if database_url is None:
            folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="nextstep-demo-"))
            url, shown = (
                f"sqlite:///{Path(folder) / 'demo.sqlite'}",
                "a throwaway SQLite file, deleted when the demo ends",
            )
        else:
            try:
                # The CLI's own checks: an unsupported scheme gets the same one line as `nextstep db upgrade`.
                url = load_database_url({"DATABASE_URL": database_url})
            except ConfigError as error:
                out.write(f"nextstep demo: {error.problems[0]}\n")
                return 1
            shown = _shown_url(url)
        return _play(
            url, shown, story, clock, story_at, chart_dir or Path.cwd(), cleanup, database_url is None
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _play(
    url: str,
    shown: str,
    story: Story,
    clock: SimClock,
    story_at: datetime,
    chart_dir: Path,
    cleanup: ExitStack,
    throwaway: bool,
) -> int:
    from bot.runtime import migrate
    from bot.runtime.server import BackgroundServer
    from handlers.app import create_app
    from handlers.web import make_wsgi_app

    team_id = "T" + secrets.token_hex(4).upper()
    try:
        story.step = "checking the database"
        held = _empty(url)
        if held:
            story.line(
                f"nextstep demo: {shown} already holds {held} workspace(s); the demo's clock would sweep "
                "them, so give it an empty database (or leave DATABASE_URL unset for a throwaway one)"
            )
            return 1
        story.step = "migrating the database"
        with _quiet("alembic"):
            migrate.upgrade(url)
        engine = make_engine(url)
        cleanup.callback(engine.dispose)
        if throwaway:
            # Nothing to keep if the machine crashes: no fsync on each of the history's commits.
            event.listen(
                engine, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=OFF")
            )

        # The clock's daily forecast fit logs a line per workspace (for operators); in the demo
        # it would interrupt the story each simulated day.
        cleanup.enter_context(_quiet("nextstep.forecast"))
        story.step = "starting the Slack sandbox and the app"
        fake = cleanup.enter_context(FakeSlack().start())
        token = fake.add_workspace(team_id, WORKSPACE_NAME, bot_token=f"xoxb-{team_id}-demo")
        reps = {
            "maria": Rep("Maria Lopez", "Maria", "U0MARIA", "Europe/Berlin"),
            "sam": Rep("Sam Park", "Sam", "U0SAM", "America/Los_Angeles"),
            "priya": Rep("Priya Raman", "Priya", "U0PRIYA", "Asia/Kolkata"),
        }
        for key, rep in reps.items():
            fake.add_user(
                team_id, rep.user_id, key, real_name=rep.name, display_name=rep.name, tz=rep.tz_name
            )
            story.names[rep.user_id] = rep.name
        config = Config(signing_secret=SECRET, database_url=url, slack_api_url=fake.api_url, bot_token=token)
        app, deps = create_app(config, engine, clock=clock)
        server = BackgroundServer(make_wsgi_app(app, deps)).start()
        cleanup.callback(server.stop)
        for rep in reps.values():
            rep.user = SlackUser(fake, server.url + "/slack/events", SECRET, team_id, rep.user_id)

        story.line("Next Step demo: the real app on 127.0.0.1, the built-in Slack sandbox playing Slack,")
        story.line("and three reps logging their meetings with /meeting.")
        story.line()
        story.line(f"  Workspace: {WORKSPACE_NAME}, Slack team id {team_id} (new for this run)")
        story.line(f"  Database:  {shown}")
        story.line(f"  Time:      simulated; the story starts on {story_at:%A %-d %B %Y, %H:%M} UTC")
        story.line()
        for rep in reps.values():
            story.line(f"  {rep.name:<13} {rep.tz_name:<21} it is {rep.local(story_at)} there")

        demo = Demo(story, clock, fake, engine, team_id, reps, chart_dir, story_at)
        demo.outbox = SlackOutbox(
            fake.api_url,
            TokenSource(token, None),
            Limits(per_channel_interval=0.0, per_workspace_per_second=1000.0),
        )
        story.step = "writing the reps' history"
        closed = demo.write_history(clock.at)
        demo.booked_with_prep()
        demo.agreed_then_booked()
        demo.hesitant()
        demo.declined(closed)
        demo.open_ended()
        fake.wait_idle(quiet=0.1)
        story.step = "running the clock over a simulated week"
        demo.week()
        if fake.internal_errors:
            raise DemoFailed("the Slack sandbox hit an internal error")
        from bot.runtime.demo_pipeline import pipeline_chapter

        story.step = "showing the App Home"
        pipeline_chapter(demo, 8)
        demo.summary(shown)
        story.line()
        return 0
    except Exception as error:  # the demo must end with one clear line, whatever broke
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        story.line()
        story.line(f"nextstep demo: failed while {story.step}: {reason}")
        return 1
