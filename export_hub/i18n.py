"""Korean-first user interface text.

Templates call ``t("ko text", "en text")``; the request's language (session,
then ``?lang=``, default Korean) picks one. Keeping both texts side by side at
the call site keeps them in step. Stored codes get their words from
:mod:`export_hub.labels`; times, numbers and money are formatted per language
with Babel, times in the reader's zone (Korean time unless they chose another).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, get_timezone_location
from babel.numbers import format_currency, format_decimal

from export_hub.errors import Text

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


def pick(lang: str, ko: str, en: str) -> str:
    return en if lang == "en" else ko


def text(lang: str, message: Text) -> str:
    return message.get(lang)


def normalise_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


#: The zone every time is shown in unless the user chose another.
DEFAULT_ZONE = "Asia/Seoul"

#: Short labels where the locale's generic name reads oddly ("대한민국 시간").
_ZONE_LABELS = {"Asia/Seoul": Text("한국 시간", "KST")}


def zone_or_default(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; Korean time when empty or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def zone_label(lang: str, zone: ZoneInfo) -> str:
    """How a time's zone is named beside it: ``KST``, ``한국 시간``, ``Germany
    (Berlin) Time``."""
    known = _ZONE_LABELS.get(zone.key)
    if known is not None:
        return known.get(lang)
    return str(get_timezone_location(zone, locale=lang))


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored instant is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def format_local_time(
    lang: str, value: dt.datetime | None, zone: ZoneInfo, *, seconds: bool = False
) -> str:
    """``value`` (an instant, UTC if naive) as wall-clock time in ``zone``,
    labelled with the zone: ``2026-12-03 16:00 KST``, ``2026-12-03 16:00 (한국
    시간)``. Empty for ``None``."""
    if value is None:
        return ""
    pattern = "yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm"
    shown = format_datetime(_aware(value), pattern, tzinfo=zone, locale=lang)
    name = zone_label(lang, zone)
    return f"{shown} {name}" if lang == "en" else f"{shown} ({name})"


def format_local_date(
    lang: str, value: dt.date | dt.datetime | None, zone: ZoneInfo
) -> str:
    """The calendar date of ``value`` in ``zone`` (a date is shown as it is)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _aware(value).astimezone(zone).date()
    return str(format_date(value, "yyyy-MM-dd", locale=lang))


def format_number(
    lang: str, value: float | Decimal | int | None, digits: int = 0
) -> str:
    """``value`` with the locale's grouping, ``digits`` decimals (at most)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=lang))


def format_money(lang: str, value: float | Decimal | int | None, currency: str) -> str:
    """``value`` in ``currency`` (ISO code) as the locale writes money."""
    if value is None:
        return ""
    return str(format_currency(value, currency, locale=lang))
