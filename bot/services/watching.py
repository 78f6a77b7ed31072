"""When the clock looks at a next step or deal again: its check time, set in one place.

The sweep's candidates are the steps and deals whose check time has passed (``next_steps.
nudge_check_at``, ``deals.stall_check_at``). Every write that changes what a subject's nudges
would be ends by setting it: ``now`` when the rules should look again at once, a later moment
when nothing can fall due before it, None when nothing will until another write changes it.
"""

from __future__ import annotations

from datetime import datetime

from models import Deal, NextStep


def watch(subject: NextStep | Deal, at: datetime | None, *, keep_sooner: bool = False) -> None:
    """Look at ``subject`` again at ``at`` (None: not until a write changes it).

    ``keep_sooner``: the check time is a lower bound, so a look already planned before ``at``
    is kept (the rules themselves hold the next nudge until it is due).
    """
    if keep_sooner and at is not None:
        current = check_time(subject)
        if current is not None and current <= at:
            at = current
    if isinstance(subject, NextStep):
        subject.nudge_check_at = at
    else:
        subject.stall_check_at = at


def check_time(subject: NextStep | Deal) -> datetime | None:
    """When the clock means to look at ``subject`` again."""
    return subject.nudge_check_at if isinstance(subject, NextStep) else subject.stall_check_at


def watching(model: type[NextStep] | type[Deal], at: datetime | None) -> dict[str, datetime | None]:
    """``watch`` for rows a statement writes without loading them: the values for an INSERT or UPDATE of ``model``."""
    return {"nudge_check_at" if model is NextStep else "stall_check_at": at}
