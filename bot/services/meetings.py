"""Logging a meeting: the ask, the reaction and the next step, validated and stored in one transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    bindparam,
    exists,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from bot.domain.coaching import CoachingInput, Prep, grade_ask
from bot.domain.errors import DuplicateSubmission, FieldErrors
from bot.domain.grading import GRADER_VERSION
from bot.domain.meeting_fields import MeetingField, shown_fields
from bot.domain.nudge_kinds import ANSWERED_BY_BOOKING, ANSWERED_BY_MEETING, ON_DEALS
from bot.domain.vocabulary import (
    PREP_QUESTIONS,
    AskType,
    DealStatus,
    MeetingKind,
    NextStepStatus,
    NudgeAnswer,
    Reaction,
)
from bot.services.permissions import own_step
from bot.services.reps import ensure_rep, ensure_workspace, zone
from bot.services.watching import watch, watching
from bot.slack import ids
from bot.slack.view_state import ViewState
from models import Account, Deal, Meeting, NextStep, Nudge, Rep, Reschedule, one_of

_E = TypeVar("_E", AskType, Reaction, MeetingKind)

# Slack's own limits for the inputs (the modal sets the same max_length) and our columns'.
MAX_ASK = 3000
MAX_NOTES = 3000
MAX_NEXT_STEP = 1000
MAX_PREP = 1000
MAX_NAME = 200
# Clocks disagree by a little; a meeting "held" a minute from now is still fine.
CLOCK_SKEW = timedelta(minutes=5)
# A meeting held up to a day before a booked step's time counts as that step (moved a little earlier).
MEETING_COUNTS_FOR = timedelta(days=1)
HORIZON = timedelta(days=365)
NOT_OFFERED = "That isn't one of the accounts the list offered. Pick it again, or type a new one."


@dataclass
class MeetingForm:
    """What the rep entered in the ``/meeting`` modal, as plain values."""

    account: str | None = None  # "acct:<id>" or "new:<name>"
    deal: str | None = None  # "<deal id>" or ids.NEW_DEAL
    new_deal_name: str | None = None
    held_at: datetime | None = None
    ask_text: str | None = None
    ask_type: AskType | None = None
    reaction: Reaction | None = None
    next_step: str | None = None
    next_step_at: datetime | None = None
    kind: MeetingKind | None = None
    notes: str | None = None
    prep: dict[str, str | None] = field(default_factory=dict)


def read_meeting_form(state: ViewState) -> MeetingForm:
    """Turn the submitted state into a form; unreadable values land in ``state.errors``."""
    form = MeetingForm(
        account=state.option(ids.ACCOUNT),
        deal=state.option(ids.DEAL),
        new_deal_name=state.text(ids.NEW_DEAL_NAME),
        held_at=state.instant(ids.HELD_AT),
        ask_text=state.text(ids.ASK),
        next_step=state.text(ids.NEXT_STEP),
        next_step_at=state.instant(ids.NEXT_STEP_AT),
        notes=state.text(ids.NOTES),
        prep={name: state.text(ids.PREP_PREFIX + name) for name, _ in PREP_QUESTIONS},
    )
    form.ask_type = _enum(state, ids.ASK_TYPE, AskType)
    form.reaction = _enum(state, ids.REACTION, Reaction)
    form.kind = _enum(state, ids.KIND, MeetingKind)
    return form


def _enum(state: ViewState, action_id: str, enum: type[_E]) -> _E | None:
    value = state.option(action_id)
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        state.errors[state.block_id(action_id)] = "That choice isn't offered any more. Please choose again."
        return None


def fold_hidden_fields(form: MeetingForm, tz: tzinfo) -> MeetingForm:
    """A value sent for a field the choices hide (a form submitted before it redrew) is kept, not
    refused: what has no other place goes to the end of the notes, in the rep's words."""
    shown = shown_fields(form.ask_type, form.reaction)
    kept: list[str] = []
    if form.reaction is not None and MeetingField.REACTION not in shown:
        kept.append(f"Their reaction: {form.reaction.label}")
        form.reaction = None
    if form.next_step and MeetingField.NEXT_STEP not in shown:
        kept.append(f"Next step: {form.next_step}")
        form.next_step = None
    if form.next_step_at is not None and MeetingField.NEXT_STEP_AT not in shown:
        local = form.next_step_at.astimezone(tz)
        kept.append(f"Next step time: {local:%a %d %b %Y %H:%M} ({tz})")
        form.next_step_at = None
    if MeetingField.PREP not in shown:
        for name, question in PREP_QUESTIONS:
            if form.prep.get(name):
                kept.append(f"{question} {form.prep[name]}")
                form.prep[name] = None
    if kept:
        added = "\n".join(kept)
        notes = f"{form.notes}\n\n{added}" if form.notes else added
        # The rep's own notes are checked against the limit; what was folded in is cut to fit.
        limit = max(MAX_NOTES, len(form.notes or ""))
        form.notes = notes if len(notes) <= limit else notes[: limit - 1] + "\u2026"
    return form


def validate(
    form: MeetingForm, now: datetime, block_of: dict[str, str] | None = None, *, editing: bool = False
) -> dict[str, str]:
    """Every problem the rep can fix, by block_id; empty when the form can be stored.

    Logging a meeting and editing the last one are checked here alike. The edit modal has no account,
    deal or next step (an edit keeps the meeting's; "Booked it" dates its step): ``editing`` leaves
    their rules out.
    """
    block_of = block_of or {}
    errors: dict[str, str] = {}

    def err(action_id: str, message: str) -> None:
        errors.setdefault(block_of.get(action_id, action_id), message)

    if not editing:
        account = ids.parse_account_option(form.account)
        if form.account is None:
            err(ids.ACCOUNT, "Pick the account, or type a new one.")
        elif form.account.startswith(ids.NEW_ACCOUNT_PREFIX) and account is None:
            err(ids.ACCOUNT, "Type the account's name.")
        elif account is None:  # a value the typeahead never offered
            err(ids.ACCOUNT, NOT_OFFERED)
        elif account.new_name is not None and len(account.new_name) > MAX_NAME:
            err(ids.ACCOUNT, f"Account names can be at most {MAX_NAME} characters.")
        if form.new_deal_name and len(form.new_deal_name) > MAX_NAME:
            err(ids.NEW_DEAL_NAME, f"Deal names can be at most {MAX_NAME} characters.")

    if form.held_at is None:
        err(ids.HELD_AT, "When was the meeting held?")
    elif form.held_at > now + CLOCK_SKEW:
        err(ids.HELD_AT, "That's in the future. Log a meeting once it has happened.")
    elif form.held_at < now - HORIZON:
        err(ids.HELD_AT, "That's more than a year ago. Check the date.")

    if form.ask_type is None:
        err(ids.ASK_TYPE, "Pick the kind of ask you made.")
    elif form.ask_type is AskType.NO_ASK and form.reaction in (Reaction.BOOKED, Reaction.AGREED_UNSCHEDULED):
        # Only an edit gets here: /meeting hides the reaction then, and folds one sent anyway into the notes.
        err(ids.ASK_TYPE, "They agreed to something, so you did ask: pick the kind of ask you made.")
    if form.ask_type is not AskType.NO_ASK and not form.ask_text:
        err(ids.ASK, "Write the ask in your own words: what did you ask them to agree to?")
    if form.ask_text and len(form.ask_text) > MAX_ASK:
        err(ids.ASK, f"Keep the ask under {MAX_ASK} characters.")

    # The reaction is asked for wherever the form shows it (not after "No next step asked").
    if (
        form.reaction is None
        and form.ask_type is not None
        and MeetingField.REACTION in shown_fields(form.ask_type, form.reaction)
    ):
        err(ids.REACTION, "How did they react? Their reaction is the signal, so pick one.")

    if not editing:
        if form.reaction is Reaction.BOOKED and form.next_step_at is None:
            err(ids.NEXT_STEP_AT, "\u201cAgreed and booked\u201d needs the date and time you both agreed on.")
        elif form.next_step_at is not None:
            if form.reaction is not Reaction.BOOKED:
                err(
                    ids.NEXT_STEP_AT,
                    "A date goes with \u201cAgreed and booked\u201d. If it's on their calendar, choose that; "
                    "otherwise clear the date.",
                )
            elif late := step_time_error(form.next_step_at, now):
                err(ids.NEXT_STEP_AT, late)

    if form.next_step and len(form.next_step) > MAX_NEXT_STEP:
        err(ids.NEXT_STEP, f"Keep the next step under {MAX_NEXT_STEP} characters.")
    if form.notes and len(form.notes) > MAX_NOTES:
        err(ids.NOTES, f"Keep the notes under {MAX_NOTES} characters.")
    for name, _question in PREP_QUESTIONS:
        value = form.prep.get(name)
        if value and len(value) > MAX_PREP:
            err(ids.PREP_PREFIX + name, f"Keep this under {MAX_PREP} characters.")
    return errors


def step_time_error(at: datetime, now: datetime) -> str | None:
    """What is wrong with a next step's booked time (logged with the meeting or by "Booked it"), if anything."""
    if at < now - timedelta(minutes=1):
        return "That time has passed. Pick when the next step will happen."
    if at > now + HORIZON:
        return "That's more than a year ahead. Book something sooner."
    return None


@dataclass(frozen=True)
class LoggedMeeting:
    meeting_id: int
    deal_id: int
    account_id: int
    rep_id: int
    next_step_id: int | None
    new_account: bool
    new_deal: bool
    # Nudge DMs about this deal that the meeting answered: (channel, ts) to update in place.
    answered_messages: tuple[tuple[str, str], ...] = ()
    # When the rep last opened their App Home: the write rebuilds it only when lately.
    home_opened_at: datetime | None = None
    # What the coaching DM needs, as stored: no read after the ack. Its replacement accounts
    # (a declined ask) and the day suggestions count from are set when the DM is sent, and its
    # zone again if the rep's profile was refreshed then.
    coaching: CoachingInput | None = None


def log_meeting(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    form: MeetingForm,
    view_id: str | None,
    now: datetime,
    block_of: dict[str, str] | None = None,
) -> LoggedMeeting:
    """Validate and store the meeting, its next step, and (on first use) rep, account and deal; one commit.

    Raises FieldErrors for what the rep can fix and DuplicateSubmission when this view was
    already stored. On any error nothing is written.

    The busiest write in the app (every ``/meeting``), so it is written as statements, not as
    ORM objects: one read for the rep with the account and deal the form names, then only the
    writes this meeting needs (no UPDATE of steps or nudges the deal doesn't have), which
    PostgreSQL takes as one statement (``_write``).
    """
    block_of = block_of or {}
    option = ids.parse_account_option(form.account)
    connection = session.connection()
    try:
        found = _Found.read(connection, team_id, user_id, option, form)
        if form.ask_type is not None:
            form = fold_hidden_fields(form, zone(found.rep.timezone if found.rep else None))
        errors = validate(form, now, block_of)
        if errors:
            raise FieldErrors(errors)
        assert form.account is not None and form.held_at is not None and form.ask_type is not None
        if found.rep is None:  # first use: the workspace may be new too
            ensure_workspace(session, team_id, now)
            ensure_rep(session, team_id, user_id, now)
            session.flush()
            found = _Found.read(connection, team_id, user_id, option, form)
            assert found.rep is not None
        rep = found.rep
        account_id, account_name, territory, new_account = _account(
            connection, team_id, rep.id, option, found, now, block_of
        )
        deal, new_deal = _deal(
            connection, team_id, rep.id, account_id, account_name, form, found, now, block_of
        )

        booked = form.reaction is Reaction.BOOKED and form.next_step_at is not None
        grade = grade_ask(form.ask_type, form.ask_text or "", form.next_step, booked=booked)
        streak = rep.streak + 1 if form.reaction is Reaction.BOOKED else 0
        deal_update = None
        if not new_deal:
            last = max(filter(None, (deal.last_meeting_at, form.held_at)))
            at_risk = deal.at_risk_since
            if form.reaction is Reaction.DECLINED:
                at_risk = at_risk or now
            elif form.reaction is Reaction.BOOKED:
                at_risk = None
            # A lower bound on when it could stall; the clock works out the real moment from the settings.
            deal_update = {"p_deal": deal.id, "last": last, "at_risk": at_risk, "check_at": last}
        step = _next_step(form, team_id, deal.id, rep.id, now)
        # A second submission of the same view fails on uq_meetings_team_id_source_view_id here
        # and is reported below: no look-up first, every submission pays for it.
        meeting_id, step_id, done = _write(
            connection,
            _Writes(
                meeting={
                    "team_id": team_id,
                    "deal_id": deal.id,
                    "rep_id": rep.id,
                    "held_at": form.held_at,
                    "kind": form.kind.value if form.kind else None,
                    "ask_text": form.ask_text or "",
                    "ask_type": form.ask_type.value,
                    "graded_ask_type": grade.graded.value,
                    "grade_reason": grade.reason,
                    "grader_version": GRADER_VERSION,
                    "reaction": form.reaction.value if form.reaction else None,
                    "notes": form.notes,
                    "logged_at": now,
                    "logged_via": "modal",
                    "source_view_id": view_id,
                },
                # The meeting is what the deal's unscheduled steps, and its booked steps due by
                # then, were waiting for. A booked step still ahead (Thursday's demo, after
                # Tuesday's call) stays booked, with its prep and overdue nudges.
                steps_done={"p_deal": deal.id, "due_by": form.held_at + MEETING_COUNTS_FOR, "p_now": now}
                if deal.open_steps
                else None,
                deal=deal_update,
                step=step,
                streak={"p_rep": rep.id, "p_streak": streak} if streak != rep.streak else None,
            ),
        )
        answered: tuple[tuple[str, str], ...] = ()
        if deal.open_nudges:
            answered = _answer_nudges(session, team_id, deal.id, done, now)
        session.commit()
        description = cast(str, step["description"]) if step else None
        step_at = cast("datetime | None", step["scheduled_at"]) if step else None
        coaching = CoachingInput(
            rep_tz=zone(rep.timezone),
            account_name=account_name,
            deal_name=deal.name,
            ask_text=form.ask_text or "",
            chosen=form.ask_type,
            reaction=form.reaction,
            kind=form.kind,
            next_step_description=description,
            next_step_at=step_at,
            prep=Prep(**{name: cast("str | None", step[f"prep_{name}"]) for name, _ in PREP_QUESTIONS})
            if step
            else Prep(),
            next_step_id=step_id,
            deal_id=deal.id,
            territory=territory,
            streak=streak,
            # the coach grades the same words the same way: the stored grade, when its words are those
            grade=grade if (description, step_at is not None) == (form.next_step, booked) else None,
        )
        return LoggedMeeting(
            meeting_id=meeting_id,
            deal_id=deal.id,
            account_id=account_id,
            rep_id=rep.id,
            next_step_id=step_id,
            new_account=new_account,
            new_deal=new_deal,
            answered_messages=answered,
            home_opened_at=rep.home_opened_at,
            coaching=coaching,
        )
    except IntegrityError:
        session.rollback()
        if view_id:
            existing = session.scalar(
                select(Meeting.id).where(Meeting.team_id == team_id, Meeting.source_view_id == view_id)
            )
            if existing is not None:  # a double-click raced us to the commit
                raise DuplicateSubmission(existing) from None
        raise
    except BaseException:
        session.rollback()
        raise


# ------------------------------------------------------------- log_meeting's statements
# Built once: only their parameters change from one meeting to the next.

_R, _A, _D, _S, _N, _M = (cast(Table, t.__table__) for t in (Rep, Account, Deal, NextStep, Nudge, Meeting))
_OPEN_STEPS = (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED)


@dataclass(frozen=True)
class _RepRow:
    id: int
    timezone: str | None
    streak: int
    home_opened_at: datetime | None


@dataclass(frozen=True)
class _DealRow:
    id: int
    account_id: int
    owner_rep_id: int
    status: str
    name: str
    last_meeting_at: datetime | None = None
    at_risk_since: datetime | None = None
    open_steps: bool = False  # worth an UPDATE of its next steps
    open_nudges: bool = False  # worth answering its nudges


def _deal_columns() -> list[ColumnElement[Any]]:
    steps = exists().where(_S.c.deal_id == _D.c.id, one_of(_S.c.status, _OPEN_STEPS))
    nudges = exists().where(
        _N.c.deal_id == _D.c.id,
        _N.c.answer.is_(None),
        one_of(_N.c.kind, ANSWERED_BY_MEETING),
    )
    return [
        _D.c.id.label("deal_id"),
        _D.c.account_id.label("deal_account_id"),
        _D.c.owner_rep_id,
        _D.c.status,
        _D.c.name.label("deal_name"),
        _D.c.last_meeting_at,
        _D.c.at_risk_since,
        steps.label("open_steps"),
        nudges.label("open_nudges"),
    ]


def _read_statement(account_by: str, deal_by: str) -> Select[Any]:
    """The rep, with the account (by ``account_by``: id or name) and the deal the form names
    (``deal_by``: its id, the account's open deals of the rep, or none)."""
    account_on = _A.c.team_id == _R.c.team_id
    account_on &= (
        _A.c.id == bindparam("account_id") if account_by == "id" else _A.c.name_key == bindparam("name_key")
    )
    columns: list[ColumnElement[Any]] = [
        _R.c.id.label("rep_id"),
        _R.c.timezone,
        _R.c.streak,
        _R.c.home_opened_at,
        _A.c.id.label("account_id"),
        _A.c.name.label("account_name"),
        _A.c.territory,
    ]
    stmt = select(*columns).select_from(_R.outerjoin(_A, account_on))
    if deal_by == "id":
        deal_on = (_D.c.id == bindparam("p_deal")) & (_D.c.team_id == _R.c.team_id)
    elif deal_by == "open":
        deal_on = (
            (_D.c.account_id == _A.c.id) & (_D.c.status == DealStatus.OPEN) & (_D.c.owner_rep_id == _R.c.id)
        )
    else:
        return stmt.where(_R.c.team_id == bindparam("team_id"), _R.c.user_id == bindparam("user_id"))
    return (
        stmt.add_columns(*_deal_columns())
        .outerjoin(_D, deal_on)
        .where(_R.c.team_id == bindparam("team_id"), _R.c.user_id == bindparam("user_id"))
        .limit(2)  # "several open deals" needs to know of a second one, no more
    )


_READ = {(a, d): _read_statement(a, d) for a in ("id", "name") for d in ("id", "open", "new")}


@dataclass(frozen=True)
class _Found:
    """What the form names, as stored: the rep (None on first use), the account and the deal(s)."""

    rep: _RepRow | None
    account: tuple[int, str, str | None] | None  # id, name, territory
    deals: tuple[_DealRow, ...]

    @staticmethod
    def read(
        connection: Connection,
        team_id: str,
        user_id: str,
        option: ids.AccountOption | None,
        form: MeetingForm,
    ) -> _Found:
        by_name = option is not None and bool(option.new_name)
        deal_id = ids.parse_row_id(form.deal) if form.deal and form.deal != ids.NEW_DEAL else None
        if form.deal and form.deal != ids.NEW_DEAL:
            deal_by = "id"
        elif form.deal is None and not form.new_deal_name:
            deal_by = "open"
        else:
            deal_by = "new"
        params: dict[str, object] = {
            "team_id": team_id,
            "user_id": user_id,
            "account_id": option.account_id if option and not by_name else None,
            "name_key": name_key(option.new_name) if option and option.new_name else None,
            "p_deal": deal_id if deal_id is not None else -1,  # a forged id finds nothing
        }
        rows = connection.execute(_READ["name" if by_name else "id", deal_by], params).all()
        if not rows:
            return _Found(None, None, ())
        first = rows[0]._mapping
        rep = _RepRow(first["rep_id"], first["timezone"], first["streak"], first["home_opened_at"])
        account = (
            (first["account_id"], first["account_name"], first["territory"])
            if first["account_id"] is not None
            else None
        )
        deals = tuple(
            _DealRow(
                m["deal_id"],
                m["deal_account_id"],
                m["owner_rep_id"],
                m["status"],
                m["deal_name"],
                m["last_meeting_at"],
                m["at_risk_since"],
                bool(m["open_steps"]),
                bool(m["open_nudges"]),
            )
            for m in (row._mapping for row in rows)
            if deal_by != "new" and m["deal_id"] is not None
        )
        return _Found(rep, account, deals)


_INSERT_ACCOUNT = insert(_A).returning(_A.c.id)
_INSERT_DEAL = insert(_D).returning(_D.c.id)
_INSERT_MEETING = insert(_M).returning(_M.c.id)
_INSERT_STEP = insert(_S).returning(_S.c.id)


def _steps_done(meeting_id: ColumnElement[Any]) -> ReturningUpdate[tuple[int]]:
    """The deal's open steps the meeting completed: unscheduled ones, and booked ones due by ``due_by``."""
    return (
        update(_S)
        .where(
            _S.c.deal_id == bindparam("p_deal"),
            (_S.c.status == NextStepStatus.UNSCHEDULED)
            | ((_S.c.status == NextStepStatus.BOOKED) & (_S.c.scheduled_at <= bindparam("due_by"))),
        )
        .values(
            status=NextStepStatus.DONE,
            status_changed_at=bindparam("p_now"),
            done_by_meeting_id=meeting_id,
            **watching(NextStep, None),
        )
        .returning(_S.c.id)
    )


_STEPS_DONE = _steps_done(bindparam("p_meeting"))
_UPDATE_DEAL = (
    update(_D)
    .where(_D.c.id == bindparam("p_deal"))
    .values(
        last_meeting_at=bindparam("last"),
        at_risk_since=bindparam("at_risk"),
        # These statements pass by the ORM's flush: the deal's stored Home key is stale (models.home_keys).
        signals_gen=_D.c.signals_gen + 1,
        **watching(Deal, bindparam("check_at")),  # type: ignore[arg-type]
    )
)
_UPDATE_STREAK = update(_R).where(_R.c.id == bindparam("p_rep")).values(streak=bindparam("p_streak"))


@dataclass(frozen=True)
class _Writes:
    """The rows a meeting writes, as the values of their statements (None: not written)."""

    meeting: dict[str, object]  # the INSERT's values
    steps_done: dict[str, object] | None  # the deal's steps it completes: p_deal, due_by, p_now
    deal: dict[str, object] | None  # _UPDATE_DEAL's (an existing deal)
    step: dict[str, object] | None  # the next step's INSERT, but its meeting_id
    streak: dict[str, object] | None  # _UPDATE_STREAK's (when it changed)

    @property
    def shape(self) -> tuple[bool, bool, bool, bool]:
        return (
            self.steps_done is not None,
            self.deal is not None,
            self.step is not None,
            self.streak is not None,
        )


def _write(connection: Connection, writes: _Writes) -> tuple[int, int | None, list[int]]:
    """Store the meeting's rows: (meeting id, next step id, ids of the steps it completed).

    PostgreSQL takes them as one statement (data-modifying CTEs, one round trip instead of up to
    five); SQLite, in the process, one statement each.
    """
    if connection.dialect.name == "postgresql":
        params = {f"m_{key}": value for key, value in writes.meeting.items()}
        params.update(writes.steps_done or {})
        params.update(writes.deal or {})
        params.update({f"s_{key}": value for key, value in (writes.step or {}).items()})
        params.update(writes.streak or {})
        shape = writes.shape
        statement = _AT_ONCE.get(shape)
        if statement is None:
            statement = _AT_ONCE[shape] = _at_once(writes)
        meeting_id, step_id, done = connection.execute(statement, params).one()
        return meeting_id, step_id, list(done or ())
    meeting_id = connection.scalar(_INSERT_MEETING, writes.meeting)
    assert meeting_id is not None
    done = []
    if writes.steps_done is not None:
        done = list(connection.scalars(_STEPS_DONE, {**writes.steps_done, "p_meeting": meeting_id}))
    if writes.deal is not None:
        connection.execute(_UPDATE_DEAL, writes.deal)
    step_id = None
    if writes.step is not None:
        step_id = connection.scalar(_INSERT_STEP, {**writes.step, "meeting_id": meeting_id})
    if writes.streak is not None:
        connection.execute(_UPDATE_STREAK, writes.streak)
    return meeting_id, step_id, done


def _at_once(writes: _Writes) -> Select[Any]:
    """``writes``'s statements as one PostgreSQL statement, for its shape (built once per shape).

    Every part sees the database as it was before the statement: the steps completed are the
    deal's earlier ones, never the next step inserted alongside; the foreign keys to the new
    meeting are checked at the statement's end, when it exists.
    """
    meeting = (
        insert(_M)
        .values({**_defaults(_M, writes.meeting), **{key: bindparam(f"m_{key}") for key in writes.meeting}})
        .returning(_M.c.id)
        .cte("m")
    )
    meeting_id = select(meeting.c.id).scalar_subquery()
    step_id: ColumnElement[Any] = null()
    done: ColumnElement[Any] = null()
    unreturned = []
    if writes.steps_done is not None:
        steps_done = _steps_done(meeting_id).cte("done")
        done = select(func.array_agg(steps_done.c.id)).scalar_subquery()
    if writes.deal is not None:
        unreturned.append(_UPDATE_DEAL.cte("deal"))
    if writes.step is not None:
        step = (
            insert(_S)
            .values(
                {
                    **_defaults(_S, writes.step),
                    **{key: bindparam(f"s_{key}") for key in writes.step},
                    "meeting_id": meeting_id,
                }
            )
            .returning(_S.c.id)
            .cte("step")
        )
        step_id = select(step.c.id).scalar_subquery()
    if writes.streak is not None:
        unreturned.append(_UPDATE_STREAK.cte("streak"))
    return select(meeting_id.label("meeting_id"), step_id.label("step_id"), done.label("done")).add_cte(
        *unreturned
    )


_AT_ONCE: dict[tuple[bool, bool, bool, bool], Select[Any]] = {}


def _defaults(table: Table, given: dict[str, object]) -> dict[str, object]:
    """The Python-side defaults of ``table``'s columns not ``given``: SQLAlchemy fills them in for
    an INSERT it runs, not for one inside a CTE."""
    defaults: dict[str, object] = {}
    for column in table.c:
        if column.key in given or column.default is None:
            continue
        if not column.default.is_scalar:
            raise TypeError(f"{table.name}.{column.key}: give its value; a computed default is not filled in")
        defaults[column.key] = column.default.arg  # type: ignore[attr-defined]
    return defaults


def _clean_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip()


def name_key(name: str) -> str:
    """Account names compare case- and space-insensitively."""
    return _clean_name(name).casefold()


def _account(
    connection: Connection,
    team_id: str,
    rep_id: int,
    option: ids.AccountOption | None,
    found: _Found,
    now: datetime,
    block_of: dict[str, str],
) -> tuple[int, str, str | None, bool]:
    """(id, name, territory, new) of the account: the one picked, or the one typed (added if it is new)."""
    if found.account is not None:  # picked, or typed and someone added it since the typeahead answered
        return *found.account, False
    if option is None or not option.new_name:  # validate() refused the values never offered
        raise FieldErrors(
            {block_of.get(ids.ACCOUNT, ids.ACCOUNT): "That account no longer exists. Pick again."}
        )
    name = option.new_name
    account_id = connection.scalar(
        _INSERT_ACCOUNT,
        {
            "team_id": team_id,
            "name": name,
            "name_key": name_key(name),
            "created_by_rep_id": rep_id,
            "created_at": now,
        },
    )
    assert account_id is not None
    return account_id, name, None, True


def default_deal_name(account_name: str) -> str:
    return f"{account_name} opportunity"


def _deal(
    connection: Connection,
    team_id: str,
    rep_id: int,
    account_id: int,
    account_name: str,
    form: MeetingForm,
    found: _Found,
    now: datetime,
    block_of: dict[str, str],
) -> tuple[_DealRow, bool]:
    """The deal the meeting is on (checked: this account's, the rep's, open), or a new one."""

    def refuse(message: str) -> FieldErrors:
        return FieldErrors({block_of.get(ids.DEAL, ids.DEAL): message})

    if form.deal and form.deal != ids.NEW_DEAL:
        deal = found.deals[0] if found.deals else None
        if deal is None or deal.account_id != account_id:
            raise refuse("Pick one of this account's deals.")
        if deal.owner_rep_id != rep_id:
            # Logging on it would close its owner's next steps and answer their nudges.
            raise refuse(
                "That deal is another rep's. Add a new deal, or ask a manager to reassign it to you."
            )
        if deal.status != DealStatus.OPEN:
            raise refuse("That deal is closed. Pick an open one or add a new deal.")
        return deal, False
    if form.deal is None and not form.new_deal_name:
        # No deal chosen: an account with exactly one open deal means that deal.
        if len(found.deals) == 1:
            return found.deals[0], False
        if len(found.deals) > 1:
            raise refuse("This account has several open deals: pick one.")
    held = form.held_at
    deal_name = _clean_name(form.new_deal_name or "") or default_deal_name(account_name)
    deal_id = connection.scalar(
        _INSERT_DEAL,
        {
            "team_id": team_id,
            "account_id": account_id,
            "owner_rep_id": rep_id,
            "name": deal_name,
            "created_at": now,
            "last_meeting_at": held,
            "at_risk_since": now if form.reaction is Reaction.DECLINED else None,
            # A lower bound on when it could stall; the clock works out the real moment from the settings.
            **watching(Deal, held),
        },
    )
    assert deal_id is not None
    return _DealRow(deal_id, account_id, rep_id, DealStatus.OPEN, deal_name, held), True


def _next_step(
    form: MeetingForm, team_id: str, deal_id: int, rep_id: int, now: datetime
) -> dict[str, object] | None:
    """The next step the reaction gives (the INSERT's values but its meeting's id), if any."""
    if form.reaction is Reaction.BOOKED:
        status, at = NextStepStatus.BOOKED, form.next_step_at
    elif form.reaction in (Reaction.AGREED_UNSCHEDULED, Reaction.HESITANT):
        status, at = NextStepStatus.UNSCHEDULED, None
    else:  # declined, or no ask: no next step
        return None
    prep = form.prep if status is NextStepStatus.BOOKED else {}
    return {
        "team_id": team_id,
        "deal_id": deal_id,
        "rep_id": rep_id,
        "description": form.next_step or (form.ask_text or "")[:MAX_NEXT_STEP],
        "scheduled_at": at,
        "status": status,
        "booked_at": now if at else None,
        "status_changed_at": now,
        "prep_attendees": prep.get("attendees"),
        "prep_agenda": prep.get("agenda"),
        "prep_materials": prep.get("materials"),
        "prep_evaluation": prep.get("evaluation"),
        "prep_step_after": prep.get("step_after"),
        "created_at": now,
        # The clock works out the first nudge (or prep) from here.
        **watching(NextStep, now),
    }


def _answer_nudges(
    session: Session, team_id: str, deal_id: int, done_step_ids: list[int], now: datetime
) -> tuple[tuple[str, str], ...]:
    """The meeting answers the nudges of the steps it completed and the deal's stalled nudge.

    Their DMs are updated after the ack. Every nudge carries its deal: ix_nudges_deal_id serves this.
    """
    nudges = session.scalars(
        select(Nudge).where(
            Nudge.deal_id == deal_id,
            Nudge.team_id == team_id,
            Nudge.answer.is_(None),
            one_of(Nudge.kind, ANSWERED_BY_MEETING),
            Nudge.kind.in_(ON_DEALS) | Nudge.next_step_id.in_(done_step_ids),
        )
    ).all()
    return answer_reminders(nudges, NudgeAnswer.LOGGED, now)


def answer_reminders(
    nudges: Iterable[Nudge],
    answer: NudgeAnswer | None,
    now: datetime,
    undelivered: str = "answered before delivery",
) -> tuple[tuple[str, str], ...]:
    """Answer open reminders (``answer`` None: only stop the undelivered ones); the DMs to update.

    A reminder claimed but not yet sent is no longer needed: it is given up with ``undelivered``
    (one that gave up earlier keeps its reason).
    """
    messages: set[tuple[str, str]] = set()
    for nudge in nudges:
        if nudge.sent_at is None:
            if nudge.gave_up_at is None:
                nudge.gave_up_at, nudge.last_error = now, undelivered
            continue
        if answer is not None:
            nudge.answer, nudge.answered_at = answer, now
            if nudge.channel_id and nudge.message_ts:
                messages.add((nudge.channel_id, nudge.message_ts))
    return tuple(sorted(messages))


def replacement_accounts(
    session: Session, team_id: str, rep_id: int, account_id: int, limit: int = 50
) -> list[tuple[int, str]]:
    """The rep's accounts in the same territory as ``account_id`` that have no open deal.

    "The rep's accounts": those they created or have owned a deal on.
    """
    account = session.get(Account, account_id)
    if account is None or account.team_id != team_id:
        return []
    has_open_deal = exists().where(Deal.account_id == Account.id, Deal.status == DealStatus.OPEN)
    owned_deal = exists().where(Deal.account_id == Account.id, Deal.owner_rep_id == rep_id)
    territory = (
        Account.territory.is_(None) if account.territory is None else Account.territory == account.territory
    )
    rows = session.execute(
        select(Account.id, Account.name)
        .where(
            Account.team_id == team_id,
            Account.id != account_id,
            territory,
            ~has_open_deal,
            (Account.created_by_rep_id == rep_id) | owned_deal,
        )
        .order_by(func.lower(Account.name))
        .limit(limit)
    ).all()
    return [(row.id, row.name) for row in rows]


def book_next_step(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    next_step_id: int,
    at: datetime | None,
    description: str | None,
    now: datetime,
    answer: NudgeAnswer = NudgeAnswer.BOOKED,
) -> tuple[NextStep, tuple[tuple[str, str], ...]]:
    """Book (or move) a next step the rep owns: the "Booked it" modal.

    Every reminder still open about the step (unscheduled or overdue, older DMs too) is
    answered by the booking, wherever it was made; returns the step and those DMs, to be
    updated in place after the commit.
    """
    errors: dict[str, str] = {}
    if at is None:
        errors[ids.NEXT_STEP_AT] = "When is it? Pick the date and time you agreed on."
    elif late := step_time_error(at, now):
        errors[ids.NEXT_STEP_AT] = late
    if description and len(description) > MAX_NEXT_STEP:
        errors[ids.NEXT_STEP] = f"Keep the next step under {MAX_NEXT_STEP} characters."
    if errors:
        raise FieldErrors(errors)
    assert at is not None
    step = own_step(session, team_id, user_id, next_step_id)
    if step.status not in (NextStepStatus.UNSCHEDULED, NextStepStatus.BOOKED):
        raise FieldErrors(
            {ids.NEXT_STEP_AT: f"This next step is already {step.status}; log a meeting instead."}
        )
    if step.status == NextStepStatus.BOOKED and step.scheduled_at is not None and step.scheduled_at != at:
        session.add(
            Reschedule(
                team_id=team_id, next_step_id=step.id, from_at=step.scheduled_at, to_at=at, changed_at=now
            )
        )
    step.status = NextStepStatus.BOOKED
    step.scheduled_at = at
    step.booked_at = now
    step.status_changed_at = now
    watch(step, now)
    if description:
        step.description = description
    reminders = session.scalars(
        select(Nudge).where(
            Nudge.team_id == team_id,
            Nudge.next_step_id == step.id,
            Nudge.answer.is_(None),
            one_of(Nudge.kind, ANSWERED_BY_BOOKING),
        )
    ).all()
    messages = answer_reminders(reminders, answer, now)
    session.commit()
    return step, messages


@dataclass(frozen=True)
class BookedStep:
    """A next step just booked, as its confirmation says it, and the reminders it answered."""

    deal_name: str
    description: str
    at: datetime
    tz: ZoneInfo
    reminders: tuple[tuple[str, str], ...]


def book_step(
    sessions: sessionmaker[Session],
    *,
    team_id: str,
    user_id: str,
    next_step_id: int,
    at: datetime | None,
    description: str | None,
    now: datetime,
) -> BookedStep:
    """The "Booked it" modal's Save (from the coaching DM): ``book_next_step``, then what to confirm."""
    with sessions() as session:
        step, reminders = book_next_step(
            session,
            team_id=team_id,
            user_id=user_id,
            next_step_id=next_step_id,
            at=at,
            description=description,
            now=now,
        )
        deal = session.get(Deal, step.deal_id)
        rep = session.get(Rep, step.rep_id)
        assert deal is not None and rep is not None and step.scheduled_at is not None
        return BookedStep(deal.name, step.description, step.scheduled_at, zone(rep.timezone), reminders)
