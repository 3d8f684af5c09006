"""Status changes of a booking: confirm, decline, cancel, expire, reschedule.

Each is a compare-and-swap ``UPDATE bookings ... WHERE status = ...`` that
also raises the iCalendar SEQUENCE; the loser of a race gets ``Conflict``.
Confirming needs ``expires_at > now`` and expiring ``expires_at <= now``, so a
confirm racing the expiry job has exactly one winner. Leaving the live states
releases the claims in the same transaction (the slot is free at once).
These functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.availability import find_slots, slot_json, works_then
from export_hub.consultations.booking import (
    TAKEN,
    Actor,
    BookingConflict,
    BookingRequest,
    check_company_free,
    check_content,
    check_interpreter,
    check_limits,
    check_slot,
    record_event,
)
from export_hub.consultations.claims import (
    add_claims,
    claim_keys,
    hold_claims,
    lock_resources,
    release_claims,
    resources_of,
)
from export_hub.consultations.models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    Interpreter,
    Office,
    VideoMode,
)
from export_hub.consultations.notify import notify
from export_hub.consultations.slots import held_span
from export_hub.consultations.video import make_video_link
from export_hub.errors import Conflict, FieldErrors, NotFound, Text
from export_hub.security import constant_time_equals, sha256_hex
from export_hub.settings import Settings


async def _swap(
    db: AsyncSession,
    booking_id: int,
    now: dt.datetime,
    *conditions: Any,
    **values: Any,
) -> Booking | None:
    """Compare-and-swap one booking; the fresh row, or None if it lost."""
    result = await db.execute(
        update(Booking)
        .where(Booking.id == booking_id, *conditions)
        .values(sequence=Booking.sequence + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await db.get_one(Booking, booking_id, populate_existing=True)


async def _lost(db: AsyncSession, booking_id: int, now: dt.datetime) -> Conflict:
    """409 for a change that lost its race, with the office's free slots."""
    current = await db.get(Booking, booking_id, populate_existing=True)
    if current is None:
        raise NotFound()
    status = current.status.value
    message = Text(
        f"예약 상태가 이미 바뀌었습니다(현재: {status}). 새로 고쳐 주세요.",
        f"The booking has already changed (now: {status}). Please reload.",
    )
    office = await db.get_one(Office, current.office_id)
    start = max(now, current.start_at - dt.timedelta(hours=12))
    slots = await find_slots(db, office, start, start + dt.timedelta(days=7), now)
    return BookingConflict(
        message, [slot_json(s, office.time_zone) for s in slots[:20]]
    )


async def confirm_booking(
    db: AsyncSession,
    settings: Settings,
    booking_id: int,
    actor: Actor,
    now: dt.datetime,
    *,
    interpreter_id: int | None = None,
) -> Booking:
    """Pending → confirmed, if not expired; makes the video link and, when
    given, assigns and claims an interpreter. Raises ``Conflict`` if the
    request was decided, cancelled or expired meanwhile."""
    current = await db.get(Booking, booking_id)
    if current is None:
        raise NotFound()
    await lock_resources(db, [*resources_of(current), ("interpreter", interpreter_id)])
    booking = await _swap(
        db,
        booking_id,
        now,
        Booking.status == BookingStatus.PENDING,
        Booking.expires_at > now,
        status=BookingStatus.CONFIRMED,
        expires_at=None,
        decided_at=now,
    )
    if booking is None:
        raise await _lost(db, booking_id, now)
    if interpreter_id is not None and interpreter_id != booking.interpreter_id:
        errors = FieldErrors()
        interpreter = await check_interpreter(db, interpreter_id, errors)
        if interpreter is not None and not works_then(
            interpreter, booking.start_at, booking.end_at
        ):
            errors.add(
                "interpreter_id",
                "통역사가 이 시간에는 일하지 않습니다.",
                "The interpreter does not work at this time.",
            )
        errors.raise_if_any()
        assert interpreter is not None  # noqa: S101 - checked just above
        await release_claims(db, booking.id, ("interpreter",))
        booking.interpreter_id = interpreter.id
        await db.flush()
        await add_claims(db, booking, ("interpreter",))
    office = await db.get_one(Office, booking.office_id)
    link = make_video_link(
        office.video_mode,
        settings.consultations,
        booking.start_at,
        booking.end_at,
        office.pasted_video_link,
    )
    booking.video_url = link.url
    booking.video_note = str(link.note) if link.note else ""
    record_event(db, booking, actor, "confirmed", BookingStatus.PENDING.value, now)
    await db.flush()
    await notify(db, "confirmed", booking, settings, now)
    return booking


async def end_booking(
    db: AsyncSession,
    settings: Settings,
    booking_id: int,
    actor: Actor,
    now: dt.datetime,
    to: BookingStatus,
    *,
    reason: str = "",
) -> Booking:
    """Decline (pending only), cancel (live, not yet ended) or expire
    (pending, past ``expires_at``); frees the claims at once.

    Raises ``Conflict`` when the booking is no longer in a state that allows it.
    """
    before = await db.get(Booking, booking_id)
    if before is None:
        raise NotFound()
    was = before.status
    if to is BookingStatus.DECLINED:
        conditions: tuple[Any, ...] = (Booking.status == BookingStatus.PENDING,)
    elif to is BookingStatus.EXPIRED:
        conditions = (
            Booking.status == BookingStatus.PENDING,
            Booking.expires_at <= now,
        )
    elif to is BookingStatus.CANCELLED:
        conditions = (
            Booking.status == was,
            Booking.status.in_(LIVE_STATUSES),
            Booking.end_at > now,
        )
    else:
        raise ValueError(f"not an end state: {to}")
    booking = await _swap(
        db,
        booking_id,
        now,
        *conditions,
        status=to,
        expires_at=None,
        decided_at=now,
        decision_reason=reason.strip()[:1000],
    )
    if booking is None:
        raise await _lost(db, booking_id, now)
    await release_claims(db, booking.id)
    record_event(
        db, booking, actor, to.value, was.value, now, reason=reason.strip()[:1000]
    )
    await db.flush()
    await notify(
        db,
        to.value,
        booking,
        settings,
        now,
        include_guests=was is BookingStatus.CONFIRMED,
    )
    return booking


async def reschedule_booking(
    db: AsyncSession,
    settings: Settings,
    booking_id: int,
    actor: Actor,
    new_start: dt.datetime,
    now: dt.datetime,
    *,
    minutes: int | None = None,
) -> Booking:
    """Move a live booking to a new offered time; claims move with it.

    Moved by the company, a confirmed meeting goes back to pending for the
    office to confirm again; moved by the office or staff it stays confirmed
    (with a new video link where the link is bound to the time).
    Raises ``ValidationFailed`` for a time not offered, ``Conflict`` when the
    booking changed meanwhile, ``IntegrityError`` when the new time is taken.
    """
    booking = await db.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    if not booking.is_live or booking.end_at <= now:
        raise await _lost(db, booking_id, now)
    office = await db.get_one(Office, booking.office_id)
    interpreter = (
        await db.get(Interpreter, booking.interpreter_id)
        if booking.interpreter_id
        else None
    )
    minutes = minutes or int((booking.end_at - booking.start_at).total_seconds() // 60)
    request = BookingRequest(
        office.id, new_start, minutes, booking.topic, languages=("ko",)
    )
    errors = FieldErrors()
    check_content(request, errors)
    new_end = new_start + dt.timedelta(minutes=minutes)
    await check_slot(db, office, new_start, new_end, now, interpreter, errors)
    errors.raise_if_any()
    await check_limits(
        db, office, booking.company_id, new_start, now, exclude_booking_id=booking.id
    )
    await check_company_free(
        db, booking.company_id, new_start, new_end, exclude_booking_id=booking.id
    )
    await lock_resources(db, resources_of(booking))
    moving = Booking(
        office_id=booking.office_id,
        interpreter_id=booking.interpreter_id,
        buyer_id=booking.buyer_id,
        company_id=booking.company_id,
        start_at=new_start,
        end_at=new_end,
        buffer_before_minutes=office.buffer_before_minutes,
        buffer_after_minutes=office.buffer_after_minutes,
    )
    # New bookings of the new time hold these keys while they write: meet
    # them here, before the row moves, rather than deadlock in the
    # exclusion constraint against one of them.
    if not await hold_claims(db, claim_keys(moving)):
        raise BookingConflict(TAKEN)
    was = booking.status
    old = {
        "old_start": booking.start_at.isoformat(),
        "old_end": booking.end_at.isoformat(),
    }
    back_to_pending = (
        actor.kind in ("company", "manage_link") and was is BookingStatus.CONFIRMED
    )
    span = held_span(
        new_start, new_end, office.buffer_before_minutes, office.buffer_after_minutes
    )
    values: dict[str, Any] = {
        "start_at": new_start,
        "end_at": new_end,
        "span_start": span.start,
        "span_end": span.end,
        "buffer_before_minutes": office.buffer_before_minutes,
        "buffer_after_minutes": office.buffer_after_minutes,
        "manage_expires_at": new_end,
    }
    if back_to_pending or was is BookingStatus.PENDING:
        expiry = now + dt.timedelta(hours=settings.consultations.pending_expiry_hours)
        values |= {
            "status": BookingStatus.PENDING,
            "expires_at": min(expiry, new_start),
            "video_url": "",
            "video_note": "",
        }
    moved = await _swap(
        db,
        booking_id,
        now,
        Booking.status == was,
        Booking.sequence == booking.sequence,
        **values,
    )
    if moved is None:
        raise await _lost(db, booking_id, now)
    await release_claims(db, moved.id)
    await add_claims(db, moved)
    if (
        moved.status is BookingStatus.CONFIRMED
        and office.video_mode is VideoMode.JITSI_JWT
    ):
        link = make_video_link(
            office.video_mode,
            settings.consultations,
            new_start,
            new_end,
            office.pasted_video_link,
        )
        moved.video_url = link.url
    record_event(db, moved, actor, "rescheduled", was.value, now, **old)
    await db.flush()
    await notify(
        db,
        "rescheduled",
        moved,
        settings,
        now,
        include_guests=was is BookingStatus.CONFIRMED,
    )
    return moved


async def booking_for_token(db: AsyncSession, token: str, now: dt.datetime) -> Booking:
    """The booking a manage link names; 404 for a wrong or expired token.

    Looked up by the token's SHA-256 (the index) and compared in constant time.
    """
    digest = sha256_hex(token)
    booking = await db.scalar(
        select(Booking).where(Booking.manage_token_hash == digest)
    )
    if (
        booking is None
        or not constant_time_equals(booking.manage_token_hash, digest)
        or booking.manage_expires_at <= now
    ):
        raise NotFound(
            Text(
                "링크가 올바르지 않거나 만료되었습니다(상담이 끝나면 만료됩니다).",
                "This link is wrong or has expired "
                "(links expire when the meeting ends).",
            )
        )
    return booking
