"""Reading a submitted Slack view's ``state.values`` into plain, typed values.

Slack nests values as ``{block_id: {action_id: {...}}}``; action_ids are unique in our
views, so they are read by action_id and errors are reported on the block_id the
value came from. A value of the wrong shape is reported, never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

E = TypeVar("E", bound=Enum)


@dataclass
class ViewState:
    """The state of one submitted view, with the errors met while reading it."""

    values: dict[str, tuple[str, dict[str, Any]]]  # action_id -> (block_id, element state)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, state: Any) -> ViewState:
        values: dict[str, tuple[str, dict[str, Any]]] = {}
        raw = state.get("values") if isinstance(state, dict) else None
        if isinstance(raw, dict):
            for block_id, actions in raw.items():
                if not isinstance(actions, dict):
                    continue
                for action_id, element in actions.items():
                    if isinstance(element, dict):
                        values[str(action_id)] = (str(block_id), element)
        return cls(values)

    def has(self, action_id: str) -> bool:
        return action_id in self.values

    def block_id(self, action_id: str, default: str | None = None) -> str:
        found = self.values.get(action_id)
        return found[0] if found else (default or action_id)

    def _bad(
        self, action_id: str, message: str = "That value couldn't be read. Please choose it again."
    ) -> None:
        self.errors[self.block_id(action_id)] = message

    def text(self, action_id: str) -> str | None:
        """A text input's value, stripped; None when empty or absent."""
        if action_id not in self.values:
            return None
        value = self.values[action_id][1].get("value")
        if value is None:
            return None
        if not isinstance(value, str):
            self._bad(action_id)
            return None
        return value.strip() or None

    def option(self, action_id: str) -> str | None:
        """The value of a select's or radio group's chosen option."""
        if action_id not in self.values:
            return None
        option = self.values[action_id][1].get("selected_option")
        if option is None:
            return None
        value = option.get("value") if isinstance(option, dict) else None
        if not isinstance(value, str):
            self._bad(action_id)
            return None
        return value

    def instant(self, action_id: str) -> datetime | None:
        """A datetimepicker's value as an aware UTC datetime."""
        if action_id not in self.values:
            return None
        epoch = self.values[action_id][1].get("selected_date_time")
        if epoch is None:
            return None
        if isinstance(epoch, bool) or not isinstance(epoch, int | float | str):
            self._bad(action_id)
            return None
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            self._bad(action_id)
            return None

    def member(self, action_id: str, kind: type[E]) -> E | None:
        """The chosen option as one of ``kind``'s members; None when none is chosen or it is not one
        (an option an older modal offered): the service says what is missing."""
        value = self.option(action_id)
        try:
            return kind(value) if value is not None else None
        except ValueError:
            return None

    def day(self, action_id: str) -> date | None:
        """A datepicker's value."""
        if action_id not in self.values:
            return None
        value = self.values[action_id][1].get("selected_date")
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def user(self, action_id: str) -> str | None:
        """A users_select's chosen user id."""
        if action_id not in self.values:
            return None
        value = self.values[action_id][1].get("selected_user")
        return value if isinstance(value, str) and value else None
