"""Reading an office's availability from the database into :mod:`slots` terms.

These are query functions: they take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.models import (
    LIVE_STATUSES,
    AvailabilityRule,
    Blackout,
    Booking,
    DateOverride,
    Interpreter,
    Office,
    OverrideKind,
)
from export_hub.consultations.public_holidays import KOREA, DaysOff
from export_hub.consultations.slots import (
    SEOUL,
    Policy,
    Slot,
    Span,
    WeeklyWindow,
    Window,
    describe,
    free_slots,
    local_date,
    weekly_spans,
)

#: How far around a range bookings are read (the longest buffered meeting).
_MARGIN = dt.timedelta(days=1)


async def office_policy(db: AsyncSession, office: Office) -> Policy:
    """The office's rules, overrides and days off as a :class:`Policy`: its
    country's public holidays and extra closed dates (office-local), Korea's
    public holidays and the agency's closures (Seoul dates)."""
    rules = await db.scalars(
        select(AvailabilityRule).where(AvailabilityRule.office_id == office.id)
    )
    overrides = await db.scalars(
        select(DateOverride).where(DateOverride.office_id == office.id)
    )
    blackouts = await db.execute(
        select(Blackout.office_id, Blackout.date).where(
            (Blackout.office_id == office.id) | Blackout.office_id.is_(None)
        )
    )
    extra: dict[dt.date, tuple[Window, ...]] = {}
    closed: set[dt.date] = set()
    for override in overrides:
        if override.kind is OverrideKind.CLOSED:
            closed.add(override.date)
        elif override.start_time and override.end_time:
            window = Window(override.start_time, override.end_time)
            extra[override.date] = (*extra.get(override.date, ()), window)
    seoul: set[dt.date] = set()
    for office_id, day in blackouts:
        (seoul if office_id is None else closed).add(day)
    return Policy(
        zone=office.time_zone,
        rules=tuple(WeeklyWindow(r.weekday, r.start_time, r.end_time) for r in rules),
        meeting_minutes=office.meeting_minutes,
        step_minutes=office.slot_step_minutes,
        buffer_before_minutes=office.buffer_before_minutes,
        buffer_after_minutes=office.buffer_after_minutes,
        min_notice=dt.timedelta(hours=office.min_notice_hours),
        horizon=dt.timedelta(days=office.horizon_days),
        max_per_day=office.max_per_day,
        extra=extra,
        closed=DaysOff(office.country, frozenset(closed)),
        seoul_blackouts=DaysOff(KOREA, frozenset(seoul)),
    )


def _live_near(start: dt.datetime, end: dt.datetime) -> Any:
    return (
        Booking.status.in_(LIVE_STATUSES)
        & (Booking.span_end > start - _MARGIN)
        & (Booking.span_start < end + _MARGIN)
    )


async def busy_spans(
    db: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    office_id: int | None = None,
    interpreter_id: int | None = None,
    buyer_id: int | None = None,
    exclude_booking_id: int | None = None,
) -> list[Span]:
    """Held spans of live bookings near ``[start, end)`` for one resource."""
    query = select(Booking.span_start, Booking.span_end).where(_live_near(start, end))
    if office_id is not None:
        query = query.where(Booking.office_id == office_id)
    if interpreter_id is not None:
        query = query.where(Booking.interpreter_id == interpreter_id)
    if buyer_id is not None:
        query = query.where(Booking.buyer_id == buyer_id)
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    return [Span(s, e) for s, e in (await db.execute(query))]


async def day_counts(
    db: AsyncSession,
    office: Office,
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_booking_id: int | None = None,
) -> dict[dt.date, int]:
    """Live bookings per office-local date near ``[start, end)``."""
    query = select(Booking.start_at).where(
        Booking.office_id == office.id, _live_near(start, end)
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    counts: dict[dt.date, int] = {}
    for (instant,) in await db.execute(query):
        day = local_date(instant, office.time_zone)
        counts[day] = counts.get(day, 0) + 1
    return counts


async def company_live_count(
    db: AsyncSession, office_id: int, company_id: int, now: dt.datetime
) -> int:
    """Live, not yet ended bookings a company holds at an office."""
    count = await db.scalar(
        select(func.count(Booking.id)).where(
            Booking.office_id == office_id,
            Booking.company_id == company_id,
            Booking.status.in_(LIVE_STATUSES),
            Booking.end_at > now,
        )
    )
    return int(count or 0)


def interpreter_hours(
    interpreter: Interpreter, start: dt.datetime, end: dt.datetime
) -> list[Span]:
    windows = [
        WeeklyWindow(
            int(item["weekday"]),
            dt.time.fromisoformat(item["start"]),
            dt.time.fromisoformat(item["end"]),
        )
        for item in interpreter.availability
    ]
    return weekly_spans(windows, interpreter.time_zone, start - _MARGIN, end + _MARGIN)


def works_then(interpreter: Interpreter, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``[start, end)`` lies within the interpreter's weekly hours."""
    return any(
        span.start <= start and end <= span.end
        for span in interpreter_hours(interpreter, start, end)
    )


async def find_slots(
    db: AsyncSession,
    office: Office,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    *,
    minutes: int | None = None,
    company_id: int | None = None,
    interpreter: Interpreter | None = None,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """Free slots at ``office`` starting in ``[start, end)``.

    With ``company_id``, none when the company is at the office's limit; with
    ``interpreter``, only slots in the interpreter's hours and not clashing
    with the interpreter's other meetings.
    """
    if (
        company_id is not None
        and office.max_per_company
        and await company_live_count(db, office.id, company_id, now)
        >= office.max_per_company
    ):
        return []
    policy = await office_policy(db, office)
    busy = await busy_spans(
        db, start, end, office_id=office.id, exclude_booking_id=exclude_booking_id
    )
    within = None
    if interpreter is not None:
        busy += await busy_spans(
            db,
            start,
            end,
            interpreter_id=interpreter.id,
            exclude_booking_id=exclude_booking_id,
        )
        within = interpreter_hours(interpreter, start, end)
    counts = await day_counts(
        db, office, start, end, exclude_booking_id=exclude_booking_id
    )
    return free_slots(
        policy,
        start,
        end,
        now,
        minutes=minutes,
        busy=busy,
        day_counts=counts,
        within=within,
    )


def local_json(instant: dt.datetime, zone: str) -> dict[str, str]:
    local = describe(instant, zone)
    return {
        "zone": zone,
        "date": local.date.isoformat(),
        "time": f"{local.time:%H:%M}",
        "offset": local.offset,
        "abbreviation": local.abbreviation,
    }


def slot_json(slot: Slot, office_zone: str, viewer_zone: str = SEOUL) -> dict[str, Any]:
    """A slot for the API: UTC instants plus Seoul, office and viewer times."""
    return {
        "start": slot.start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "end": slot.end.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "minutes": int((slot.end - slot.start).total_seconds() // 60),
        "seoul": local_json(slot.start, SEOUL),
        "office": local_json(slot.start, office_zone),
        "viewer": local_json(slot.start, viewer_zone),
    }
