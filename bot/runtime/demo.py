"""``nextstep demo``: the real app against the built-in Slack sandbox, told as a story.

Three reps in three timezones log meetings with ``/meeting`` over real, signed HTTP;
the loopback fake plays Slack. Each step prints a line of narration, then what the
person sees in Slack (modals and DMs rendered as text), and the run ends with what
the database now holds.

Every run uses its own Slack workspace id, so a persistent store (the default SQLite
file) can be demoed again and again without runs mixing.
"""

from __future__ import annotations

import logging
import secrets
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.config import Config, ConfigError, load_database_url
from bot.domain.vocabulary import AskType, MeetingKind, NextStepStatus, Reaction
from bot.slack import ids
from bot.slackfake.fake import FakeSlack
from bot.slackfake.render import render_message, render_view
from bot.slackfake.user import SlackUser

WIDTH = 78
INNER = WIDTH - 4  # what is rendered inside a frame
SECRET = "nextstep-demo-signing-secret"
WORKSPACE_NAME = "Acme Sales (demo)"
TERRITORY = "Karnataka"
WAIT = 10.0  # seconds the demo waits for any one thing the app does

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


class Story:
    """Prints the narration and frames what each person sees."""

    def __init__(self, out: TextIO, now: Callable[[], datetime]):
        self.out = out
        self.now = now
        self.step = "starting"

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
        self.frame(rep, "modal", render_view(view, errors=errors, width=INNER, tz=rep.tz))

    def dm(self, rep: Rep, message: dict[str, Any], surface: str = "DM from Next Step") -> None:
        self.frame(rep, surface, render_message(message, width=INNER, tz=rep.tz))


class Demo:
    """The scenes, played against the running app."""

    def __init__(self, story: Story, fake: FakeSlack, engine: Engine, team_id: str, reps: dict[str, Rep]):
        self.story = story
        self.fake = fake
        self.engine = engine
        self.team_id = team_id
        self.maria, self.sam, self.priya = reps["maria"], reps["sam"], reps["priya"]
        # Sam and Priya log two meetings each; these were the later ones.
        self.sam_last_call = _held(story.now() - timedelta(minutes=45), self.sam.tz)
        self.priya_last_call = _held(story.now() - timedelta(minutes=45), self.priya.tz)

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

    def save_clean(self, rep: Rep) -> None:
        self.save(rep)
        if rep.person.errors:
            raise DemoFailed(f"the app refused {rep.first}'s form: {rep.person.errors}")

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
        s.chapter(1, "Maria books a proposal review (and forgets the date at first)")
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
        self.save_clean(maria)
        dm = self.next_dm(maria, 0)
        s.note("The modal closes, and a moment later the coaching DM arrives:")
        s.dm(maria, dm)

    def agreed_then_booked(self) -> None:
        s, sam = self.story, self.sam
        held, when = self.held(sam, 150, before=self.sam_last_call)
        s.chapter(2, "Sam gets a yes without a date, then books it from the DM")
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
        self.save_clean(sam)
        dm = self.next_dm(sam, 0)
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
        s.chapter(3, "Priya's prospect hesitates")
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
        self.save_clean(priya)
        s.note(f"She logs it as “{Reaction.HESITANT.label}” and presses Save. The coaching DM:")
        s.dm(priya, self.next_dm(priya, 0))

    def declined(self, seeded: list[str]) -> None:
        s, priya = self.story, self.priya
        held, when = self.priya_last_call, _when_held(self.priya_last_call, s.now(), priya.tz)
        s.chapter(4, "Priya is turned down, and replaces the prospect")
        s.say(
            f"Priya's territory, {TERRITORY}, already holds {len(seeded)} of her accounts, "
            f"none with an open deal (imported from the CRM when the demo started): {', '.join(seeded)}."
        )
        s.say(
            f"She met {seeded[0]} for discovery {when} and asked for a demo. They declined: they "
            "signed with a competitor last month. She types /meeting and “Deccan” in the Account field."
        )
        self.open_modal(priya)
        self.choose_account(priya, "Deccan", existing=True)
        self.wait_for_block(priya, ids.NEW_DEAL_NAME)
        s.note(
            f"The typeahead offers “{seeded[0]}”; she picks it, names the deal and logs "
            f"“{Reaction.DECLINED.label}”."
        )
        self.fill(
            priya,
            {
                ids.NEW_DEAL_NAME: "Warehouse tracking",
                ids.HELD_AT: held,
                ids.ASK: "Could we set up a demo for your operations team on Wednesday at 3pm?",
                ids.ASK_TYPE: AskType.SCHEDULED_MEETING.value,
                ids.REACTION: Reaction.DECLINED.value,
                ids.KIND: MeetingKind.DISCOVERY.value,
                ids.NOTES: "Signed with a competitor last month; contract renews in a year.",
            },
        )
        self.save_clean(priya)
        dm = self.next_dm(priya, 1)
        s.note("She presses Save. The coaching DM:")
        s.dm(priya, dm)

        s.say("She clicks “Add a replacement deal” and types “Malnad” in the account field.")
        priya.person.click(ids.ADD_REPLACEMENT_DEAL, in_message=dm)
        self.wait_for_modal(priya, ids.REPLACEMENT_MODAL)
        self.choose_account(priya, "Malnad", existing=True)
        priya.person.fill(ids.NEW_DEAL_NAME, "Estate-to-port logistics")
        s.modal(priya)
        s.say("She presses “Add deal”. A new DM:")
        self.save_clean(priya)
        s.dm(priya, self.next_dm(priya, 2))

    def open_ended(self) -> None:
        s, sam = self.story, self.sam
        when = _when_held(self.sam_last_call, self.story.now(), sam.tz)
        s.chapter(5, "Sam calls an open-ended follow-up a “scheduled meeting”")
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
        self.save_clean(sam)
        s.note(f"They said yes to that, so he logs “{Reaction.AGREED_UNSCHEDULED.label}”. The coaching DM:")
        s.dm(sam, self.next_dm(sam, 1))

    # ------------------------------------------------------------------ seeding and the summary

    def seed_territory(self, now: datetime) -> list[str]:
        """Priya's accounts in her territory, as a CRM import would leave them: no open deal on any."""
        from bot.services.meetings import name_key
        from bot.services.reps import ensure_rep, ensure_workspace
        from models import Account

        names = ["Deccan Freight", "Hampi Stone Co.", "Malnad Coffee Traders", "Mysore Silk Works"]
        with Session(self.engine) as session:
            ensure_workspace(session, self.team_id, now, WORKSPACE_NAME)
            rep = ensure_rep(session, self.team_id, self.priya.user_id, now, self.priya.name)
            for name in names:
                session.add(
                    Account(
                        team_id=self.team_id,
                        name=name,
                        name_key=name_key(name),
                        territory=TERRITORY,
                        created_by_rep_id=rep.id,
                        created_at=now,
                    )
                )
            session.commit()
        return names

    def clock_week(self, token: str) -> None:
        """The clock over the following week (simulated), each nudge shown when it arrives, in the rep's time."""
        from bot.clock.sweep import sweep
        from bot.slack.outbox import Limits, SlackOutbox
        from bot.slack.tokens import TokenSource
        from models import make_session_factory

        s = self.story
        s.chapter(6, "The week that follows: the clock nudges")
        s.say(
            "The clock sweeps every minute. Here it runs over the next seven days in 15-minute steps of "
            "simulated time, and each DM is shown when it arrives, in that rep's own working hours."
        )
        outbox = SlackOutbox(
            self.fake.api_url, TokenSource(token, None), Limits(per_workspace_per_second=100)
        )
        sessions = make_session_factory(self.engine)
        by_user = {rep.user_id: rep for rep in (self.maria, self.sam, self.priya)}
        real_now = s.now
        start = real_now().replace(second=0, microsecond=0) + timedelta(minutes=15 - real_now().minute % 15)
        at = start
        try:
            s.now = lambda: at
            while at <= start + timedelta(days=7):
                seen = len(self.fake.calls_to("chat.postMessage"))
                sweep(sessions, outbox, now=at, worker="demo", wall_clock=real_now)
                for call in self.fake.calls_to("chat.postMessage")[seen:]:
                    rep = by_user.get(str(call.params.get("channel")))
                    if rep is not None:
                        message = {"text": call.params.get("text"), "blocks": call.params.get("blocks")}
                        s.dm(rep, message, surface="nudge")
                at += timedelta(minutes=15)
        finally:
            s.now = real_now

    def summary(self, database: str) -> None:
        from models import Meeting, NextStep, Workspace
        from models import Rep as RepRow

        s = self.story
        s.chapter(7, "What the database now holds")
        with Session(self.engine) as session:
            s.line()
            s.line(f"  Workspace {self.team_id} ({WORKSPACE_NAME}), this run:")
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
                "The booked rate counts meetings that ended “Agreed and booked”: Sam's pricing call "
                "was booked afterwards, from the DM, so it is on the calendar but not in his rate."
            )
            total = session.scalar(select(func.count()).select_from(Meeting))
            workspaces = session.scalar(select(func.count()).select_from(Workspace))
        s.line()
        s.line(f"  Database: {database}")
        s.line(f"  It holds {total} meetings in {workspaces} workspace(s); each demo run uses its own.")


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


def run_demo(database_url: str | None, out: TextIO) -> int:
    """Play the demo against ``database_url`` (default: the SQLite file in the working directory)."""
    from bot.runtime.server import BackgroundServer
    from handlers.app import create_app
    from handlers.web import make_wsgi_app
    from models import make_engine

    try:
        # The CLI's own checks: an unsupported scheme gets the same one line as `nextstep db upgrade`.
        url = load_database_url({"DATABASE_URL": database_url} if database_url else {})
    except ConfigError as error:
        out.write(f"nextstep demo: {error.problems[0]}\n")
        return 1
    team_id = "T" + secrets.token_hex(4).upper()
    story = Story(out, lambda: datetime.now(UTC))
    fake: FakeSlack | None = None
    server: BackgroundServer | None = None
    engine: Engine | None = None
    try:
        story.step = "migrating the database"
        with _quiet("alembic"):
            from bot.runtime import migrate

            migrate.upgrade(url)
        engine = make_engine(url)

        story.step = "starting the Slack sandbox and the app"
        fake = FakeSlack().start()
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
        config = Config(signing_secret=SECRET, database_url=url, slack_api_url=fake.api_url, bot_token=token)
        app, deps = create_app(config, engine)
        server = BackgroundServer(make_wsgi_app(app, deps)).start()
        for rep in reps.values():
            rep.user = SlackUser(fake, server.url + "/slack/events", SECRET, team_id, rep.user_id)

        now = story.now()
        story.line("Next Step demo: the real app on 127.0.0.1, the built-in Slack sandbox playing Slack,")
        story.line("and three reps logging their meetings with /meeting.")
        story.line()
        story.line(f"  Workspace: {WORKSPACE_NAME}, Slack team id {team_id} (new for this run)")
        story.line(f"  Database:  {_shown_url(url)}")
        story.line()
        for rep in reps.values():
            story.line(f"  {rep.name:<13} {rep.tz_name:<21} it is {rep.local(now)} there")

        demo = Demo(story, fake, engine, team_id, reps)
        story.step = "seeding Priya's territory"
        seeded = demo.seed_territory(now)
        demo.booked_with_prep()
        demo.agreed_then_booked()
        demo.hesitant()
        demo.declined(seeded)
        demo.open_ended()
        fake.wait_idle(quiet=0.1)
        story.step = "running the clock over a simulated week"
        demo.clock_week(token)
        if fake.internal_errors:
            raise DemoFailed("the Slack sandbox hit an internal error")
        demo.summary(_shown_url(url))
        from bot.runtime.demo_pipeline import pipeline_chapter

        pipeline_chapter(demo, 8)
        from bot.runtime.demo_leaderboard import leaderboard_chapter

        story.step = "posting the weekly leaderboard"
        leaderboard_chapter(demo, 9, token)
        story.line()
        return 0
    except Exception as error:  # the demo must end with one clear line, whatever broke
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        story.line()
        story.line(f"nextstep demo: failed while {story.step}: {reason}")
        return 1
    finally:
        if server is not None:
            server.stop()
        if fake is not None:
            fake.stop()
        if engine is not None:
            engine.dispose()
