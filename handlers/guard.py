"""A listener that fails must still answer Slack sensibly: never a 500, never a silent modal."""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.errors import FieldErrors, UserFacingError
from bot.slack import ids
from bot.slack.view_state import ViewState
from handlers.after_ack import AFTER_ACK, Lane
from handlers.refusals import handle_refusal

if TYPE_CHECKING:
    from handlers.deps import Deps

log = logging.getLogger("nextstep")
T = TypeVar("T")

SAVE_FAILED = "Something went wrong on our side and nothing was saved. Please try Save again in a moment."


REOPEN = "This form changed since you opened it (we updated the app). Nothing was saved: please close it and open it again."


def view_metadata(view: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The view's private metadata when it was built by this version of the modal, else None."""
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("v") == version else None


def opened_from(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The message a modal was opened from, as carried in its private metadata."""
    message = meta.get("message")
    if not isinstance(message, dict):
        return []
    channel, ts = message.get("channel"), message.get("ts")
    return [(channel, ts)] if isinstance(channel, str) and isinstance(ts, str) and channel and ts else []


def _block_ids(view: dict[str, Any]) -> set[str]:
    return {
        str(b.get("block_id")) for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("block_id")
    }


def errors_for_view(view: dict[str, Any], errors: dict[str, str], state: ViewState) -> dict[str, str]:
    """Map errors to block_ids present in this view (Slack rejects unknown ones)."""
    present = _block_ids(view)
    mapped: dict[str, str] = {}
    for key, message in errors.items():
        block_id = key if key in present else state.block_id(key, key)
        if block_id not in present:
            block_id = next((b for b in present if b.startswith(key)), None) or next(
                iter(sorted(present)), key
            )
        mapped.setdefault(block_id, message)
    return mapped


# What save() returns once it has answered Slack with an error.
FAILED: Any = object()


def save(
    ack: Ack,
    context: dict[str, Any],
    view: dict[str, Any],
    state: ViewState,
    action: Callable[[], Any],
    prefer: str | None = None,
) -> Any:
    """Run a modal's domain call and return what it returns, or FAILED once Slack has the error.

    What the person can fix goes next to its field; a refusal or the database failing goes on
    ``prefer`` (or the first input), and nothing was written (the domain call owns its commit).
    """
    try:
        return action()
    except FieldErrors as error:
        ack(response_action="errors", errors=errors_for_view(view, error.errors, state))
    except UserFacingError as error:
        modal_error(ack, view, str(error), prefer=prefer)
    except SQLAlchemyError as error:
        log.error(
            "%s not saved team=%s request=%s: %s",
            view.get("callback_id"),
            context.get("team_id"),
            context.get("request_id"),
            type(error).__name__,
        )
        modal_error(ack, view, SAVE_FAILED, prefer=prefer)
    return FAILED


def saved(
    ack: Ack,
    context: dict[str, Any],
    view: dict[str, Any],
    state: ViewState,
    action: Callable[[], Any],
    prefer: str | None = None,
) -> bool:
    """save(), then close the modal when it worked."""
    if save(ack, context, view, state, action, prefer) is FAILED:
        return False
    ack()
    return True


def first_input_block(view: dict[str, Any] | None) -> str | None:
    """A block_id Slack will accept for a modal error: one of the view's input blocks."""
    for block in (view or {}).get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def modal_error(ack: Ack, view: dict[str, Any] | None, message: str, prefer: str | None = None) -> None:
    """Answer a view submission with an error next to a field (``prefer`` when it exists)."""
    block_ids = {b.get("block_id") for b in (view or {}).get("blocks") or [] if isinstance(b, dict)}
    block_id = prefer if prefer in block_ids else first_input_block(view)
    if block_id is None:
        ack()
        return
    ack(response_action="errors", errors={block_id: message})


@dataclass(frozen=True)
class Submission:
    """A modal's Save, past the prelude every modal shares: its metadata is this version's, the
    row it is about is named, and the values were read without a field error."""

    ack: Ack
    context: dict[str, Any]
    view: dict[str, Any]
    meta: dict[str, Any]
    state: ViewState
    prefer: str | None

    @property
    def deps(self) -> Deps:
        deps: Deps = self.context["deps"]
        return deps

    @property
    def team_id(self) -> str:
        return str(self.context["team_id"])

    def save(self, action: Callable[[], Any]) -> Any:
        """``save()``: what the action returns, or FAILED once Slack has the error (the modal stays open)."""
        return save(self.ack, self.context, self.view, self.state, action, self.prefer)

    def saved(self, action: Callable[[], Any]) -> bool:
        """``saved()``: the action, then the modal closes; False once Slack has the error."""
        return saved(self.ack, self.context, self.view, self.state, action, self.prefer)


def submission(
    ack: Ack,
    body: dict[str, Any],
    context: dict[str, Any],
    version: str,
    read: Callable[[ViewState], T],
    *,
    key: str | None = None,
    prefer: str | None = None,
) -> tuple[Submission, T] | None:
    """The prelude of every modal's Save, and what ``read`` made of its values; None once answered.

    A view built by another version of the modal (or without the row ``key`` names) gets REOPEN;
    a value ``read`` could not take (a time in the past, a number that is not one) gets its
    error next to its field. ``prefer`` is where an error that belongs to no field goes.
    """
    view = body["view"]
    meta = view_metadata(view, version)
    if meta is None or (key is not None and not isinstance(meta.get(key), int)):
        modal_error(ack, view, REOPEN, prefer=prefer)
        return None
    state = ViewState.parse(view.get("state"))
    values = read(state)
    if state.errors:
        ack(response_action="errors", errors=errors_for_view(view, state.errors, state))
        return None
    return Submission(ack, context, view, meta, state, prefer), values


# Slack's own deadline for an answer; a listener that has not acked by then is answered for.
ACK_DEADLINE = 2.5


class _SignallingAck:
    """Bolt's ack, which also wakes the request thread the moment it is called.

    From the first ack on, the listener's thread holds a slot of after-ack work
    (``handlers.after_ack``): what it does next waits its lane's turn when the process is busy.
    """

    def __init__(self, ack: Ack, acked: threading.Event, lane: Lane, name: str):
        self._ack = ack
        self._acked = acked
        self._lane = lane
        self._name = name
        self.holds_slot = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._ack(*args, **kwargs)
        finally:
            first = not self._acked.is_set()
            self._acked.set()
            if first:
                AFTER_ACK.enter(self._lane, self._name)
                self.holds_slot = True

    def answer_for(self) -> None:
        """The request thread's empty answer for a listener stuck before its ack (no slot taken)."""
        self._acked.set()
        self._ack()

    @property
    def response(self) -> Any:
        return self._ack.response


Listener = Callable[..., None]


def guarded(listener: Listener | None = None, *, lane: Lane = Lane.MODAL, inline: bool = False) -> Any:
    """Answer Slack the moment the listener acks; finish its work after; never leave Slack hanging.

    The listener runs on a thread of ``handlers.after_ack``; the request thread waits on an
    Event that its ack() sets, so the HTTP answer leaves as soon as the ack is decided (the app
    runs Bolt with process_before_response=True: Bolt itself neither polls nor spawns). After
    its ack the listener's work waits for a slot in ``lane`` (by default MODAL: a click's
    views.open, whose trigger expires). A failure is logged with the workspace and request id,
    and answered if Slack is still waiting. The listener must take ``ack`` and ``body``; Bolt
    injects by parameter name through ``functools.wraps``. ``@guarded`` or ``@guarded(lane=...)``.

    ``inline=True``: the listener runs on the request thread and returns once it has acked,
    handing what comes after to ``later()`` (the busiest Save: no thread to hand over to and
    wake from). It must do nothing slow before its ack: nobody answers for it at the deadline.
    """
    if listener is None:
        return functools.partial(guarded, lane=lane, inline=inline)
    named: Listener = listener

    if inline:

        @functools.wraps(named)
        def inline_wrapper(**kwargs: Any) -> None:
            try:
                named(**kwargs)
            except Exception as error:
                _failed(named.__name__, kwargs.get("context"), error)
                _answer_failure(kwargs["ack"], kwargs.get("body") or {})

        return inline_wrapper

    def run(kwargs: dict[str, Any], acked: threading.Event) -> None:
        ack: _SignallingAck = kwargs["ack"]
        try:
            named(**kwargs)
        except Exception as error:
            _failed(named.__name__, kwargs.get("context"), error)
            _answer_failure(ack, kwargs.get("body") or {})
        finally:
            acked.set()
            if ack.holds_slot:
                AFTER_ACK.leave()

    @functools.wraps(named)
    def wrapper(**kwargs: Any) -> None:
        acked = threading.Event()
        kwargs["ack"] = _SignallingAck(kwargs["ack"], acked, lane, named.__name__)
        # In a copy of the request's context: its log lines keep the team and request id.
        AFTER_ACK.threads.submit(contextvars.copy_context().run, run, kwargs, acked)
        # A listener stuck before its ack (Slack hanging on the views.open /meeting makes first)
        # is answered for. Under load this rarely fires: the listener starts at once on a thread
        # of its own, and what made Slack wait was gunicorn's queue, before this thread started.
        if not acked.wait(ACK_DEADLINE):
            log.warning("%s did not ack within %.1fs; answering empty", named.__name__, ACK_DEADLINE)
            kwargs["ack"].answer_for()

    return wrapper


def later(job: Callable[[], None], context: dict[str, Any], lane: Lane, name: str) -> None:
    """An inline listener's work after its ack: run in ``lane``'s turn, a failure logged as a listener's."""

    def run() -> None:
        try:
            job()
        except Exception as error:
            _failed(name, context, error)

    AFTER_ACK.submit(run, lane, name)


def _failed(name: str, context: dict[str, Any] | None, error: Exception) -> None:
    """Log a listener's failure once, with its workspace and request id (from Bolt's ``context``)."""
    context = context or {}
    if handle_refusal(error, context.get("deps"), context.get("team_id"), name):
        pass  # a refusal with a meaning: acted on and logged once there
    elif isinstance(error, SlackApiError):  # any other refusal: one line, no traceback
        log.warning(
            "%s: Slack refused team=%s request=%s: %s",
            name,
            context.get("team_id"),
            context.get("request_id"),
            error.response.get("error"),
        )
    else:
        log.exception(
            "%s failed team=%s request=%s: %s",
            name,
            context.get("team_id"),
            context.get("request_id"),
            type(error).__name__,
        )


def _answer_failure(ack: Ack | _SignallingAck, body: dict[str, Any]) -> None:
    """Answer Slack for a listener that failed before it acked: the modal says so, a menu offers nothing."""
    if getattr(ack, "response", None) is not None:
        return
    if body.get("type") == "view_submission":
        modal_error(ack, body.get("view"), SAVE_FAILED, prefer=ids.ACCOUNT)  # type: ignore[arg-type]
    elif body.get("type") == "block_suggestion":
        ack(options=[])
    else:
        ack()


def finish_after_ack_work(timeout: float) -> bool:
    """On a worker's graceful stop: let the work after the acks (the coaching DM) finish.

    True when it all finished within ``timeout`` seconds.
    """
    if not AFTER_ACK.finish(timeout):
        log.warning("stopping with work after an ack still running after %.0fs", timeout)
        return False
    return True
