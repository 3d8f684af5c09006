"""Reading report parameters from a query string, with bilingual 400s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from export_hub.errors import FieldErrors
from export_hub.reports.results import GroupBy

#: The longest range one request may cover.
MAX_DAYS = 5 * 366


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """This month and the twelve before it, up to and including today."""
    first = today.replace(day=1)
    return first.replace(year=first.year - 1), today + dt.timedelta(days=1)


def _date(raw: str, name: str, errors: FieldErrors) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.add(
            name,
            f"{name} 날짜는 YYYY-MM-DD 형식이어야 합니다: {raw[:20]!r}",
            f"{name} must be a date as YYYY-MM-DD: {raw[:20]!r}",
        )
        return None


def parse_results_params(
    query: Mapping[str, str], today: dt.date
) -> tuple[dt.date, dt.date, GroupBy]:
    """``from`` (inclusive), ``to`` (inclusive) and ``group_by`` → ``(start,
    end, group)`` with ``end`` exclusive. Missing dates default to the last
    twelve months; raises :class:`ValidationFailed` (400) naming each bad one."""
    errors = FieldErrors()
    default_start, default_end = default_range(today)
    start = _date(query["from"], "from", errors) if query.get("from") else default_start
    end = default_end
    if query.get("to"):
        last = _date(query["to"], "to", errors)
        end = last + dt.timedelta(days=1) if last else default_end
    raw_group = query.get("group_by", GroupBy.MONTH.value)
    try:
        group = GroupBy(raw_group)
    except ValueError:
        group = GroupBy.MONTH
        allowed = "|".join(g.value for g in GroupBy)
        errors.add(
            "group_by",
            f"group_by는 {allowed} 중 하나여야 합니다.",
            f"group_by must be one of {allowed}.",
        )
    if start and end and not errors:
        if end <= start:
            errors.add(
                "to",
                "종료일(to)이 시작일(from)보다 앞설 수 없습니다.",
                "'to' must not be before 'from'.",
            )
        elif (end - start).days > MAX_DAYS:
            errors.add(
                "to",
                "기간은 5년을 넘을 수 없습니다.",
                "The range may not be longer than 5 years.",
            )
    errors.raise_if_any()
    assert start is not None  # noqa: S101 - errors raised above otherwise
    return start, end, group
