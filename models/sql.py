"""Query pieces the services share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false
from sqlalchemy.orm import QueryableAttribute


def one_of(
    column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """``column IN (...)`` for a fixed set of values (statuses, kinds), compiled with the statement.

    A plain ``column.in_(values)`` is an expanding parameter: SQLAlchemy renders its list again
    at every execution, after the statement cache, which on a hot statement costs more than the
    rest of its compiling. Here each value is a bound parameter of its own, typed as the column.
    """
    binds = [bindparam(None, value, type_=column.type) for value in sorted(set(values))]
    return column.in_(binds) if binds else false()
