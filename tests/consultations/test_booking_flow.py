"""Requesting, confirming, cancelling and rescheduling through the service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from export_hub.consultations.booking import SYSTEM, BookingConflict, run_booking_change
from export_hub.consultations.changes import confirm_booking, end_booking
from export_hub.consultations.models import (
    Booking,
    BookingClaim,
    BookingStatus,
    Interpreter,
)
from export_hub.errors import ValidationFailed
from tests.consultations.conftest import FRA_SLOT, NOW, add_office, book, unlimit


async def test_request_holds_the_slot_and_cancel_frees_it(
    world, sessions, settings
) -> None:
    office = await unlimit(sessions, "FRA")
    first = await book(sessions, settings, world.company_user, office, FRA_SLOT)
    assert first.booking.status is BookingStatus.PENDING
    assert len(first.manage_token) >= 43  # 256 bits, url-safe base64
    with pytest.raises(BookingConflict) as info:
        await book(
            sessions,
            settings,
            world.other_company_user,
            office,
            FRA_SLOT + dt.timedelta(minutes=30),
            minutes=30,
        )
    slots = info.value.slots
    assert slots, "a conflict carries fresh slots"
    assert all(s["start"] != "2026-12-03T07:00:00Z" for s in slots)

    async def cancel(db):
        return await end_booking(
            db, settings, first.booking.id, SYSTEM, NOW, BookingStatus.CANCELLED
        )

    await run_booking_change(
        sessions, settings, cancel, office_id=office.id, near=FRA_SLOT, now=NOW
    )
    async with sessions() as db:
        assert await db.scalar(select(func.count(BookingClaim.id))) == 0
    again = await book(
        sessions,
        settings,
        world.other_company_user,
        office,
        FRA_SLOT + dt.timedelta(minutes=30),
        minutes=30,
    )
    assert again.booking.status is BookingStatus.PENDING


async def test_times_the_office_does_not_offer_are_refused(
    world, sessions, settings
) -> None:
    office = world.offices["FRA"]
    with pytest.raises(ValidationFailed) as info:
        await book(
            sessions,
            settings,
            world.company_user,
            office,
            FRA_SLOT - dt.timedelta(hours=2),
        )  # 06:00 local: before hours
    assert "start" in info.value.fields
    with pytest.raises(ValidationFailed):  # less than 24 h notice
        await book(
            sessions,
            settings,
            world.company_user,
            office,
            dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC),
        )


async def test_confirm_makes_the_link_and_limits_hold(
    world, sessions, settings
) -> None:
    office = world.offices["FRA"]  # max 2 per company
    made = await book(sessions, settings, world.company_user, office, FRA_SLOT)

    async def confirm(db):
        return await confirm_booking(
            db,
            settings,
            made.booking.id,
            SYSTEM,
            NOW,
            interpreter_id=world.interpreter.id,
        )

    booking = await run_booking_change(
        sessions, settings, confirm, office_id=office.id, near=FRA_SLOT, now=NOW
    )
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.video_url == office.pasted_video_link
    assert booking.sequence == 1
    await book(
        sessions, settings, world.company_user, office, FRA_SLOT + dt.timedelta(days=1)
    )
    with pytest.raises(BookingConflict) as info:
        await book(
            sessions,
            settings,
            world.company_user,
            office,
            FRA_SLOT + dt.timedelta(days=5),
        )
    assert "2건" in info.value.message.ko


async def test_an_interpreter_off_duty_cannot_be_assigned(
    world, sessions, settings
) -> None:
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    async with sessions.begin() as db:
        mondays = Interpreter(
            name="Mo Only",
            language_pairs=["ko-de"],
            time_zone="Europe/Berlin",
            availability=[{"weekday": 0, "start": "08:00", "end": "18:00"}],
        )
        db.add(mondays)

    async def confirm(db):
        return await confirm_booking(
            db, settings, made.booking.id, SYSTEM, NOW, interpreter_id=mondays.id
        )

    with pytest.raises(ValidationFailed) as info:
        await run_booking_change(
            sessions, settings, confirm, office_id=1, near=FRA_SLOT, now=NOW
        )
    assert "interpreter_id" in info.value.fields
    async with sessions() as db:
        booking = await db.get_one(Booking, made.booking.id)
    assert booking.status is BookingStatus.PENDING  # the confirmation rolled back
    assert booking.sequence == 0


async def test_a_buyer_meets_one_office_at_a_time(world, sessions, settings) -> None:
    await unlimit(sessions, "FRA")
    async with sessions.begin() as db:
        london = await add_office(
            db,
            "LON",
            "Europe/London",
            [{"weekdays": [3], "start": "07:00", "end": "09:00"}],
        )
    await book(
        sessions,
        settings,
        world.company_user,
        world.offices["FRA"],
        FRA_SLOT,
        buyer_id=world.buyer.id,
    )
    # 07:30 in London is 08:30 in Frankfurt, inside the first meeting.
    with pytest.raises(BookingConflict):
        await book(
            sessions,
            settings,
            world.other_company_user,
            london,
            FRA_SLOT + dt.timedelta(minutes=30),
            minutes=30,
            buyer_id=world.buyer.id,
        )
    other = await book(
        sessions,
        settings,
        world.other_company_user,
        london,
        FRA_SLOT + dt.timedelta(minutes=30),
        minutes=30,
    )
    assert other.booking.buyer_id is None
