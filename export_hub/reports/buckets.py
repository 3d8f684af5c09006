"""Calendar buckets of a UTC instant, as SQL that SQLite and PostgreSQL share.

``day_of(col)`` renders ``YYYY-MM-DD`` and ``month_of(col)`` ``YYYY-MM`` of
the instant in UTC: ``strftime`` on SQLite (which stores the UTC wall clock
as text), ``to_char(col AT TIME ZONE 'UTC', ...)`` on PostgreSQL. Both give
strings, so buckets compare and join the same way on either backend.
``utc_date`` and ``iso_day`` do the same in two steps, so that the cheap
part runs per order line and the text is made per aggregated day.
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


class utc_date(FunctionElement[Any]):
    """The UTC calendar day of an instant column as the cheapest value to group
    by: a ``date`` on PostgreSQL, ``YYYY-MM-DD`` text on SQLite. Turn it into
    text with :class:`iso_day` once the rows are aggregated."""

    inherit_cache = True


class iso_day(FunctionElement[str]):
    """A :class:`utc_date` value as ``YYYY-MM-DD`` text."""

    type = String()
    inherit_cache = True


@compiles(utc_date)
def _date_sqlite(element: utc_date, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d', {compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _date_pg(element: utc_date, compiler: Any, **kw: Any) -> str:
    # A cast costs a fraction of to_char, which matters per order line.
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(({inner}) AT TIME ZONE 'UTC' AS DATE)"


@compiles(iso_day)
def _iso_sqlite(element: iso_day, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(iso_day, "postgresql")
def _iso_pg(element: iso_day, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"
