"""Public holidays from the ``holidays`` library, and the days without meetings.

No hand-kept list needs editing every year: Korea's public holidays (the lunar
Seollal and Chuseok, substitute holidays and election days included) black out
meetings by their Seoul date, and each office's country's public holidays by
the office-local date. Configuration keeps only one-off days (an office's extra
closed dates, agency-wide closures), stored as :class:`Blackout` rows.

Pure functions, no I/O; a country's calendar is computed once per year.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

import holidays

log = logging.getLogger(__name__)

KOREA = "KR"
#: Holiday names are shown in English (every country supports it).
NAME_LANGUAGE = "en_US"


def is_supported_country(country: str) -> bool:
    """Whether the ``holidays`` library knows ``country`` (ISO 3166-1 alpha-2)."""
    return country in holidays.list_supported_countries()


@functools.lru_cache(maxsize=128)
def _calendar(country: str, year: int) -> tuple[tuple[dt.date, str], ...]:
    if not is_supported_country(country):
        log.warning("no public holidays known for country %r", country)
        return ()
    days = holidays.country_holidays(country, years=year, language=NAME_LANGUAGE)
    return tuple(sorted(days.items()))


@functools.lru_cache(maxsize=128)
def _dates(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(day for day, _ in _calendar(country, year))


def public_holidays(country: str, year: int) -> dict[dt.date, str]:
    """``country``'s public holidays in ``year``: date → English name (several
    holidays on one date are joined with ``"; "``). Empty for a country the
    library does not know."""
    return dict(_calendar(country, year))


def public_holidays_between(
    country: str, start: dt.date, end: dt.date
) -> list[tuple[dt.date, str]]:
    """``country``'s public holidays on ``start <= date < end``, sorted."""
    return [
        (day, name)
        for year in range(start.year, end.year + 1)
        for day, name in _calendar(country, year)
        if start <= day < end
    ]


@dataclass(frozen=True)
class DaysOff:
    """Dates without meetings: ``country``'s public holidays (none when
    ``country`` is empty) plus ``one_off`` dates. Supports ``date in days``."""

    country: str = ""
    one_off: frozenset[dt.date] = frozenset()

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        if day in self.one_off:
            return True
        return bool(self.country) and day in _dates(self.country, day.year)
