"""Free meeting slots from an office's rules: pure functions, no I/O.

Rules are wall-clock hours in the office's IANA zone and are expanded one
office-local date at a time, so a 09:00–12:00 rule gives the same slots on a
daylight-saving transition day as on any other. Everything after expansion is
in UTC:

- a wall-clock time that does not exist (the spring-forward gap) is never
  offered; ``zoneinfo`` would silently accept it;
- an ambiguous one (the fall-back hour happens twice) is offered once, as its
  first reading (``fold=0``, the daylight-time instant);
- overlaps, notice, horizon and buffers are compared as UTC instants.

Buffers belong to the office: a meeting holds ``[start - before, end + after)``
and two meetings' held spans may not overlap (the database claims the same
span, see :func:`claim_units`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

SEOUL = "Asia/Seoul"
UTC = dt.UTC
#: Claim granularity; every start, length and buffer is a multiple of it.
UNIT_SECONDS = 300


@dataclass(frozen=True)
class Window:
    """Wall-clock hours, ``start < end``, in the zone of whoever owns them."""

    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time


@dataclass(frozen=True, order=True)
class Span:
    """A half-open UTC interval ``[start, end)``."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Policy:
    """What an office allows, as plain values (built from the database)."""

    zone: str
    rules: tuple[WeeklyWindow, ...]
    meeting_minutes: int = 60
    step_minutes: int = 30
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice: dt.timedelta = dt.timedelta(hours=24)
    horizon: dt.timedelta = dt.timedelta(days=60)
    max_per_day: int = 0
    #: Extra hours on given office-local dates.
    extra: Mapping[dt.date, tuple[Window, ...]] = field(default_factory=dict)
    #: Office-local dates without meetings (closed overrides, the office's
    #: country's public holidays and its extra closed dates).
    closed: Container[dt.date] = frozenset()
    #: Seoul dates without meetings (Korean public holidays, agency closures).
    seoul_blackouts: Container[dt.date] = frozenset()


@dataclass(frozen=True, order=True)
class Slot:
    start: dt.datetime
    end: dt.datetime

    def held(self, policy: Policy) -> Span:
        """The span the office holds for this slot, buffers included."""
        return held_span(
            self.start,
            self.end,
            policy.buffer_before_minutes,
            policy.buffer_after_minutes,
        )


@dataclass(frozen=True)
class LocalTime:
    """An instant as someone in ``zone`` sees it."""

    zone: str
    date: dt.date
    time: dt.time
    offset: str  # "+09:00"
    abbreviation: str  # "KST", "PDT"

    @property
    def label(self) -> str:
        return f"{self.date.isoformat()} {self.time:%H:%M} {self.abbreviation}"


def held_span(
    start: dt.datetime, end: dt.datetime, before_minutes: int, after_minutes: int
) -> Span:
    return Span(
        start - dt.timedelta(minutes=before_minutes),
        end + dt.timedelta(minutes=after_minutes),
    )


def local_instant(day: dt.date, wall: dt.time, zone: str) -> dt.datetime | None:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``zone``.

    ``None`` when that time does not exist (a spring-forward gap); for an
    ambiguous time (fall back) the first reading, ``fold=0``.
    """
    tz = ZoneInfo(zone)
    naive = dt.datetime.combine(day, wall)
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return instant


def describe(instant: dt.datetime, zone: str) -> LocalTime:
    """``instant`` (aware) as date, time, offset and abbreviation in ``zone``."""
    local = instant.astimezone(ZoneInfo(zone))
    offset = local.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return LocalTime(
        zone=zone,
        date=local.date(),
        time=local.time().replace(tzinfo=None, fold=0),
        offset=f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
        abbreviation=local.tzname() or zone,
    )


def local_date(instant: dt.datetime, zone: str) -> dt.date:
    return instant.astimezone(ZoneInfo(zone)).date()


def dates_covering(start: dt.datetime, end: dt.datetime, zone: str) -> list[dt.date]:
    """Every local date in ``zone`` that ``[start, end)`` touches."""
    first, last = local_date(start, zone), local_date(end - dt.timedelta(0, 1), zone)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def windows_on(day: dt.date, policy: Policy) -> list[Window]:
    """The office's wall-clock windows on an office-local date."""
    if day in policy.closed:
        return []
    weekly = [
        Window(rule.start, rule.end)
        for rule in policy.rules
        if rule.weekday == day.weekday()
    ]
    return sorted(weekly + list(policy.extra.get(day, ())), key=lambda w: w.start)


def day_starts(day: dt.date, policy: Policy, minutes: int) -> list[Slot]:
    """Every slot the rules give on ``day``, before notice, limits and bookings."""
    slots: set[Slot] = set()
    length = dt.timedelta(minutes=minutes)
    for window in windows_on(day, policy):
        first = window.start.hour * 60 + window.start.minute
        last = window.end.hour * 60 + window.end.minute
        window_end = (
            dt.datetime.combine(day, window.end)
            .replace(tzinfo=ZoneInfo(policy.zone))
            .astimezone(UTC)
        )
        for wall in range(first, last - minutes + 1, policy.step_minutes):
            start = local_instant(day, dt.time(wall // 60, wall % 60), policy.zone)
            if start is None or start + length > window_end:
                continue
            slots.add(Slot(start, start + length))
    return sorted(slots)


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint spans covering the same instants."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def overlaps_any(
    span: Span, merged: Sequence[Span], starts: Sequence[dt.datetime]
) -> bool:
    """Whether ``span`` overlaps one of ``merged`` (disjoint, sorted; ``starts``
    are their start instants)."""
    index = bisect.bisect_left(starts, span.end)
    return index > 0 and merged[index - 1].end > span.start


def free_slots(
    policy: Policy,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    *,
    minutes: int | None = None,
    busy: Iterable[Span] = (),
    day_counts: Mapping[dt.date, int] | None = None,
    within: Sequence[Span] | None = None,
) -> list[Slot]:
    """Free slots starting in ``[start, end)`` (aware instants), sorted.

    ``busy`` are spans already held (other bookings' held spans, an
    interpreter's or buyer's meetings); a slot whose own held span overlaps
    one is not free. ``day_counts`` are live bookings per office-local date,
    for ``max_per_day``. ``within``, when given, are spans the slot must fit
    in entirely (e.g. an interpreter's hours).
    """
    minutes = minutes or policy.meeting_minutes
    counts = day_counts or {}
    merged = merge(busy)
    merged_starts = [s.start for s in merged]
    allowed = merge(within) if within is not None else None
    earliest, latest = now + policy.min_notice, now + policy.horizon
    result: list[Slot] = []
    for day in dates_covering(start, end, policy.zone):
        if policy.max_per_day and counts.get(day, 0) >= policy.max_per_day:
            continue
        for slot in day_starts(day, policy, minutes):
            if not (start <= slot.start < end and earliest <= slot.start <= latest):
                continue
            if local_date(slot.start, SEOUL) in policy.seoul_blackouts:
                continue
            if overlaps_any(slot.held(policy), merged, merged_starts):
                continue
            if allowed is not None and not any(
                a.start <= slot.start and slot.end <= a.end for a in allowed
            ):
                continue
            result.append(slot)
    return result


def weekly_spans(
    windows: Sequence[WeeklyWindow], zone: str, start: dt.datetime, end: dt.datetime
) -> list[Span]:
    """Weekly wall-clock hours in ``zone`` as UTC spans over ``[start, end)``
    (an interpreter's availability). Gap times are skipped like slots."""
    spans: list[Span] = []
    for day in dates_covering(start, end, zone):
        for window in windows:
            if window.weekday != day.weekday():
                continue
            opens = local_instant(day, window.start, zone)
            closes = dt.datetime.combine(day, window.end).replace(tzinfo=ZoneInfo(zone))
            if opens is not None:
                spans.append(Span(opens, closes.astimezone(UTC)))
    return merge(spans)


def claim_units(span: Span) -> range:
    """The claim units (``UNIX seconds // 300``) covering ``span``."""
    first = int(span.start.timestamp()) // UNIT_SECONDS
    last = -(-int(span.end.timestamp()) // UNIT_SECONDS)
    return range(first, last)


def is_aligned(instant: dt.datetime) -> bool:
    return int(instant.timestamp()) % UNIT_SECONDS == 0 and instant.microsecond == 0
