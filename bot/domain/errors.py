"""Errors a user can fix, raised by the domain and shown at the handler edge."""

from __future__ import annotations


class UserFacingError(Exception):
    """A problem the person can fix; ``str(error)`` is the message for them."""


class FieldErrors(UserFacingError):
    """Modal validation failures, by block_id, shown next to each field (``response_action: errors``)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class DuplicateSubmission(Exception):
    """This view was already submitted and stored; the second submission must store and send nothing."""

    def __init__(self, meeting_id: int):
        self.meeting_id = meeting_id
        super().__init__(f"view already stored as meeting {meeting_id}")


class NotAllowed(UserFacingError):
    """The person may not do this; the message reveals nothing about what they asked for."""
