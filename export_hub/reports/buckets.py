"""Calendar buckets of a UTC instant, as SQL that SQLite and PostgreSQL share.

``day_of(col)`` renders ``YYYY-MM-DD`` and ``month_of(col)`` ``YYYY-MM`` of
the instant in UTC: ``strftime`` on SQLite (which stores the UTC wall clock
as text), ``to_char(col AT TIME ZONE 'UTC', ...)`` on PostgreSQL. Both give
strings, so buckets compare and join the same way on either backend.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class day_of(FunctionElement[str]):
    """The UTC calendar day of an instant column, ``YYYY-MM-DD``."""

    type = String()
    inherit_cache = True


class month_of(FunctionElement[str]):
    """The UTC calendar month of an instant column, ``YYYY-MM``."""

    type = String()
    inherit_cache = True


@compiles(day_of)
def _day_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d', {compiler.process(element.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_pg(element: day_of, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"to_char(({inner}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(month_of)
def _month_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_pg(element: month_of, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"to_char(({inner}) AT TIME ZONE 'UTC', 'YYYY-MM')"
