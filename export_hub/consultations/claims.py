"""Claims: the rows that make double booking impossible.

A live booking claims its held span (``[start - buffer_before, end +
buffer_after)``) for its office, interpreter and buyer, and the meeting itself
(``[start, end)``: the buffers are the office's) for the company, which cannot
sit in two consultations at once either. One row per five-minute unit,
under ``UNIQUE(resource_type, resource_id, unit)``. The claims are written in
the booking's transaction, so of two overlapping bookings only one can
commit; leaving the live states deletes them in that transaction too.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.models import Booking, BookingClaim
from export_hub.consultations.slots import claim_units, held_span

RESOURCE_KINDS = ("buyer", "company", "interpreter", "office")
#: First key of the PostgreSQL advisory lock per resource kind.
_LOCK_KEYS = {
    "buyer": 51_003,
    "company": 51_004,
    "interpreter": 51_002,
    "office": 51_001,
}


async def lock_resources(
    db: AsyncSession, resources: Iterable[tuple[str, int | None]]
) -> None:
    """Queue writers of the same office, interpreter or buyer (PostgreSQL).

    Two transactions inserting overlapping bookings at once can deadlock in
    the exclusion constraint (each finds the other's uncommitted row).
    Taking transaction advisory locks on the resources, always in the same
    order, makes them wait in line instead; the constraints still decide.
    SQLite transactions are serial already (``BEGIN IMMEDIATE``).
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    for kind, resource_id in sorted({(k, r) for k, r in resources if r is not None}):
        await db.execute(
            text("SELECT pg_advisory_xact_lock(:kind, :id)"),
            {"kind": _LOCK_KEYS[kind], "id": resource_id},
        )


def resources_of(booking: object) -> list[tuple[str, int | None]]:
    """The (kind, id) resources a booking (or request) holds."""
    return [
        ("office", getattr(booking, "office_id", None)),
        ("interpreter", getattr(booking, "interpreter_id", None)),
        ("buyer", getattr(booking, "buyer_id", None)),
        ("company", getattr(booking, "company_id", None)),
    ]


async def add_claims(
    db: AsyncSession, booking: Booking, kinds: tuple[str, ...] = RESOURCE_KINDS
) -> None:
    """Claim the booking's held span for its office, interpreter and buyer,
    and its meeting span for its company (or only ``kinds``). Raises
    ``IntegrityError`` if any unit is taken.

    Rows are inserted in one sorted batch, so concurrent transactions take
    the unique-index locks in the same order (no deadlock on PostgreSQL).
    """
    owners = {
        "office": booking.office_id,
        "interpreter": booking.interpreter_id,
        "buyer": booking.buyer_id,
        "company": booking.company_id,
    }
    held = held_span(
        booking.start_at,
        booking.end_at,
        booking.buffer_before_minutes,
        booking.buffer_after_minutes,
    )
    meeting = held_span(booking.start_at, booking.end_at, 0, 0)
    rows = [
        {
            "booking_id": booking.id,
            "resource_type": kind,
            "resource_id": owners[kind],
            "unit": unit,
        }
        for kind in sorted(kinds)
        if owners[kind] is not None
        for unit in claim_units(meeting if kind == "company" else held)
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
