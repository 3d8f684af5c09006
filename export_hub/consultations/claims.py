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

import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, event, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

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
    """Queue status changes of the same office, interpreter or buyer
    (PostgreSQL).

    A change moves a live booking's row and claims; two changes at once
    could otherwise deadlock in the exclusion constraint (each finding the
    other's uncommitted row). Taking transaction advisory locks on the
    resources, always in the same order, makes them wait in line instead;
    the constraints still decide. New bookings do not take them: they win
    their claims before their row holds a span (see ``booking``). SQLite
    transactions are serial already (``BEGIN IMMEDIATE``).
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


def claim_keys(
    booking: Booking, kinds: tuple[str, ...] = RESOURCE_KINDS
) -> list[tuple[str, int, int]]:
    """The (resource_type, resource_id, unit) keys the booking claims, in the
    one global order every writer inserts them in."""
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
    return sorted(
        (kind, owner, unit)
        for kind in kinds
        if (owner := owners[kind]) is not None
        for unit in claim_units(meeting if kind == "company" else held)
    )


async def taken_kinds(
    db: AsyncSession, keys: Sequence[tuple[str, int, int]]
) -> set[str]:
    """The resource kinds of ``keys`` a committed live booking already
    holds: a read of the unique index that lets a late loser answer 409
    without writing."""
    by_resource: dict[tuple[str, int], list[int]] = {}
    for kind, owner, unit in keys:
        by_resource.setdefault((kind, owner), []).append(unit)
    if not by_resource:
        return set()
    query = select(BookingClaim.resource_type).where(
        or_(
            *(
                (BookingClaim.resource_type == kind)
                & (BookingClaim.resource_id == owner)
                & BookingClaim.unit.in_(units)
                for (kind, owner), units in by_resource.items()
            )
        )
    )
    return set(await db.scalars(query.distinct()))


#: Bits above a claim key's (resource, unit) part: a tag keeping these
#: advisory locks apart from any other user of single-bigint locks.
_KEY_TAG = 0x2A << 56
_KINDS = {kind: index for index, kind in enumerate(RESOURCE_KINDS)}
_IN_FLIGHT: weakref.WeakKeyDictionary[Any, set[tuple[str, int, int]]] = (
    weakref.WeakKeyDictionary()
)


def _lock_key(kind: str, owner: int, unit: int) -> int:
    # Unit is UNIX seconds / 300 (~2**23 today); a clash of two keys only
    # makes one writer answer 409 needlessly, never lets two win.
    return _KEY_TAG | _KINDS[kind] << 53 | (owner % 2**21) << 32 | unit % 2**32


def in_flight(db: AsyncSession, keys: Sequence[tuple[str, int, int]]) -> bool:
    """Whether a transaction of this process is writing a claim on one of
    ``keys`` right now (SQLite; PostgreSQL asks :func:`hold_claims`)."""
    writing = _IN_FLIGHT.get(db.get_bind().engine)
    return writing is not None and not writing.isdisjoint(keys)


async def hold_claims(db: AsyncSession, keys: Sequence[tuple[str, int, int]]) -> bool:
    """Mark ``keys`` as being claimed by this transaction, without waiting:
    False when another open transaction is claiming one of them.

    PostgreSQL: transaction advisory locks taken with
    ``pg_try_advisory_xact_lock`` in the keys' one global order, stopping at
    the first one held elsewhere (so of two writers of overlapping times at
    least one gets all its keys, and nobody waits). SQLite: a set of this
    process's keys in flight, emptied when the transaction ends (SQLite
    serves one process).
    """
    if not keys:
        return True
    bind = db.get_bind()
    if bind.dialect.name == "postgresql":
        held_elsewhere = await db.scalar(
            text(
                "SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k "
                "WHERE NOT pg_try_advisory_xact_lock(k) LIMIT 1"
            ),
            {"keys": [_lock_key(*key) for key in sorted(keys)]},
        )
        return held_elsewhere is None
    writing = _IN_FLIGHT.setdefault(bind.engine, set())
    if not writing.isdisjoint(keys):
        return False
    mine = set(keys)
    writing |= mine

    def release(_: object, transaction: SessionTransaction) -> None:
        # Flushes end inner transactions; the claims live until the outer.
        if transaction.parent is None:
            writing.difference_update(mine)

    event.listen(db.sync_session, "after_transaction_end", release)
    return True


async def add_claims(
    db: AsyncSession, booking: Booking, kinds: tuple[str, ...] = RESOURCE_KINDS
) -> None:
    """Claim the booking's held span for its office, interpreter and buyer,
    and its meeting span for its company (or only ``kinds``). Raises
    ``IntegrityError`` if any unit is taken.

    Rows are inserted in one sorted batch, so concurrent transactions take
    the unique-index entries in the same order (no deadlock on PostgreSQL).
    On PostgreSQL an insert that meets another transaction's uncommitted
    claim waits for that transaction only; writers keep it to a few
    statements, so the wait is short and every waiter learns at once when it
    commits.
    """
    rows = [
        {"booking_id": booking.id, "resource_type": k, "resource_id": r, "unit": u}
        for k, r, u in claim_keys(booking, kinds)
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
