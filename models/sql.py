"""Query pieces the services share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, false
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


def among(
    column: ColumnElement[int] | QueryableAttribute[int], name: str, *, postgresql: bool
) -> ColumnElement[bool]:
    """``column`` is one of the ids bound as ``name`` (a list), in a statement built once.

    On PostgreSQL one array parameter (``= ANY``): the statement's text is the same whatever the
    count, and nothing is rendered per execution. Elsewhere (SQLite has no arrays) an expanding
    IN list, which SQLAlchemy renders again at every execution.
    """
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(Integer())))
    return column.in_(bindparam(name, type_=Integer(), expanding=True))
