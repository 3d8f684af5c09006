"""Claims: the rows that make double booking impossible.

A live booking claims its held span (``[start - buffer_before, end +
buffer_after)``) for each of its resources, one row per five-minute unit,
under ``UNIQUE(resource_type, resource_id, unit)``. The claims are written in
the booking's transaction, so of two overlapping bookings only one can
commit; leaving the live states deletes them in that transaction too.
"""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.models import Booking, BookingClaim
from export_hub.consultations.slots import claim_units, held_span

RESOURCE_KINDS = ("buyer", "interpreter", "office")


async def add_claims(
    db: AsyncSession, booking: Booking, kinds: tuple[str, ...] = RESOURCE_KINDS
) -> None:
    """Claim the booking's held span for its office, interpreter and buyer
    (or only ``kinds``). Raises ``IntegrityError`` if any unit is taken.

    Rows are inserted in one sorted batch, so concurrent transactions take
    the unique-index locks in the same order (no deadlock on PostgreSQL).
    """
    owners = {
        "office": booking.office_id,
        "interpreter": booking.interpreter_id,
        "buyer": booking.buyer_id,
    }
    span = held_span(
        booking.start_at,
        booking.end_at,
        booking.buffer_before_minutes,
        booking.buffer_after_minutes,
    )
    rows = [
        {
            "booking_id": booking.id,
            "resource_type": kind,
            "resource_id": owners[kind],
            "unit": unit,
        }
        for kind in sorted(kinds)
        if owners[kind] is not None
        for unit in claim_units(span)
    ]
    if rows:
        await db.execute(insert(BookingClaim), rows)


async def release_claims(
    db: AsyncSession, booking_id: int, kinds: tuple[str, ...] = RESOURCE_KINDS
) -> None:
    """Free what the booking holds (at once: in the caller's transaction)."""
    await db.execute(
        delete(BookingClaim).where(
            BookingClaim.booking_id == booking_id,
            BookingClaim.resource_type.in_(kinds),
        )
    )
