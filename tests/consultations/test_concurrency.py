"""No double booking under concurrency, on SQLite and PostgreSQL alike.

The requests really run at once against one database: through the HTTP API
(aiohttp test server, one connection pool) or through the service with
separate sessions. Exactly one of a set of pairwise-overlapping requests may
win, whatever their lengths and offsets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from export_hub.consultations.booking import (
    SYSTEM,
    Actor,
    BookingConflict,
    BookingRequest,
    create_booking,
    run_booking_change,
)
from export_hub.consultations.changes import confirm_booking, end_booking
from export_hub.consultations.models import Booking, BookingClaim, BookingStatus
from export_hub.errors import Conflict
from export_hub.web.auth import issue_api_token
from jobs.consultations import expire_pending
from tests.consultations.conftest import FRA_SLOT, NOW, add_office, book, unlimit

UTC = dt.UTC


async def bearer(sessions, user) -> dict[str, str]:
    async with sessions.begin() as db:
        token = await issue_api_token(db, user, "test")
    return {"Authorization": f"Bearer {token}"}


def overlapping_requests(
    office_id: int, count: int, **extra: Any
) -> list[dict[str, Any]]:
    """Pairwise-overlapping requests (FRA holds 15 min after each meeting)."""
    shapes = [(0, 60), (0, 30), (30, 30), (30, 60)]
    return [
        {
            "office_id": office_id,
            "start": (FRA_SLOT + dt.timedelta(minutes=shapes[i % 4][0])).isoformat(),
            "minutes": shapes[i % 4][1],
            "topic": f"request {i}",
            **extra,
        }
        for i in range(count)
    ]


async def live_count(sessions) -> int:
    async with sessions() as db:
        return int(
            await db.scalar(
                select(func.count(Booking.id)).where(
                    Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED])
                )
            )
        )


async def test_fifty_overlapping_requests_one_office_exactly_one_wins(
    web_client, world, sessions
) -> None:
    office = await unlimit(sessions, "FRA")
    headers = await bearer(sessions, world.company_user)
    bodies = overlapping_requests(office.id, 50)
    responses = await asyncio.gather(
        *(web_client.post("/api/v1/bookings", json=b, headers=headers) for b in bodies)
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 49
    losers = [await r.json() for r in responses if r.status == 409]
    assert all(body["error"]["code"] == "booking_conflict" for body in losers)
    assert all(
        body["error"]["message_ko"] and body["error"]["message_en"] for body in losers
    )
    assert all(body["error"]["slots"] for body in losers)
    [winner] = [await r.json() for r in responses if r.status == 201]
    taken = dt.datetime.fromisoformat(winner["start"])
    for slot in losers[0]["error"]["slots"]:  # fresh slots do not clash with the winner
        start = dt.datetime.fromisoformat(slot["start"])
        end = dt.datetime.fromisoformat(slot["end"])
        assert end + dt.timedelta(
            minutes=15
        ) <= taken or start >= dt.datetime.fromisoformat(winner["end"]) + dt.timedelta(
            minutes=15
        )
    assert await live_count(sessions) == 1


async def test_an_interpreter_shared_by_two_offices_is_booked_once(
    web_client, world, sessions
) -> None:
    await unlimit(sessions, "FRA")
    async with sessions.begin() as db:
        london = await add_office(
            db, "LON", "Europe/London",
            [{"weekdays": [0, 1, 2, 3, 4], "start": "07:00", "end": "11:00"}],
            buffer_after_minutes=15,
        )  # fmt: skip
    fra = world.offices["FRA"]
    headers = await bearer(sessions, world.company_user)
    other = await bearer(sessions, world.other_company_user)
    extra = {"interpreter_id": world.interpreter.id, "interpreter_need": "ko-de"}
    bodies = overlapping_requests(fra.id, 25, **extra)
    # London 07:00 and 07:30 GMT are 08:00 and 08:30 in Frankfurt: the same instants.
    bodies += [
        b | {"office_id": london.id} for b in overlapping_requests(fra.id, 25, **extra)
    ]
    responses = await asyncio.gather(
        *(
            web_client.post(
                "/api/v1/bookings", json=b, headers=headers if i % 2 else other
            )
            for i, b in enumerate(bodies)
        )
    )
    assert sorted(r.status for r in responses) == [201] + [409] * 49
    assert await live_count(sessions) == 1


async def test_two_concurrent_confirms_one_wins(
    web_client, world, sessions, settings
) -> None:
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    headers = await bearer(sessions, world.office_user)
    url = f"/api/v1/bookings/{made.booking.id}/confirm"
    first, second = await asyncio.gather(
        web_client.post(url, json={}, headers=headers),
        web_client.post(url, json={}, headers=headers),
    )
    assert sorted([first.status, second.status]) == [200, 409]
    loser = first if first.status == 409 else second
    error = (await loser.json())["error"]
    assert "confirmed" in error["message_en"]
    assert "이미 바뀌었습니다" in error["message_ko"]
    assert error["slots"]  # fresh times come with every conflict
    async with sessions() as db:
        booking = await db.get_one(Booking, made.booking.id)
        assert booking.status is BookingStatus.CONFIRMED
        assert booking.sequence == 1  # one change, not two


async def _confirm(sessions, settings, office, booking_id, at):
    async def work(db):
        return await confirm_booking(db, settings, booking_id, Actor("office"), at)

    return await run_booking_change(
        sessions, settings, work, office_id=office.id, near=FRA_SLOT, now=at
    )


async def _claims(sessions, booking_id) -> tuple[Booking, int]:
    async with sessions() as db:
        booking = await db.get_one(Booking, booking_id)
        claims = await db.scalar(
            select(func.count(BookingClaim.id)).where(
                BookingClaim.booking_id == booking_id
            )
        )
    return booking, int(claims or 0)


def live_claims(booking: Booking) -> int:
    """Claims of a live booking without interpreter or buyer: one per five
    minutes of the office's held span (buffers in) and of the company's
    meeting."""
    assert booking.interpreter_id is None
    assert booking.buyer_id is None
    held = booking.span_end - booking.span_start
    meeting = booking.end_at - booking.start_at
    return (held + meeting) // dt.timedelta(minutes=5)


async def test_confirm_racing_expiry_has_exactly_one_winner(
    world, sessions, settings
) -> None:
    """The office confirms a second before the deadline while the expiry job,
    its clock a second past it, runs: never both, never neither."""
    office = await unlimit(sessions, "FRA")
    for n in range(6):
        start = FRA_SLOT + dt.timedelta(days=7 * (n // 3), minutes=90 * (n % 3))
        made = await book(sessions, settings, world.company_user, office, start)
        deadline = made.booking.expires_at
        confirmed, expired = await asyncio.gather(
            _confirm(sessions, settings, office, made.booking.id,
                     deadline - dt.timedelta(seconds=1)),
            expire_pending(sessions, settings, deadline + dt.timedelta(seconds=1)),
            return_exceptions=True,
        )  # fmt: skip
        booking, claims = await _claims(sessions, made.booking.id)
        if booking.status is BookingStatus.CONFIRMED:
            assert isinstance(confirmed, Booking)
            assert expired == 0
            assert claims == live_claims(booking)
        else:
            assert booking.status is BookingStatus.EXPIRED
            assert isinstance(confirmed, Conflict)
            assert expired == 1
            assert claims == 0
        assert booking.sequence == 1


async def test_confirm_racing_cancel_stays_consistent(
    world, sessions, settings
) -> None:
    office = await unlimit(sessions, "FRA")
    made = await book(sessions, settings, world.company_user, office, FRA_SLOT)

    async def cancel():
        async def work(db):
            return await end_booking(
                db, settings, made.booking.id, SYSTEM, NOW, BookingStatus.CANCELLED
            )

        return await run_booking_change(
            sessions, settings, work, office_id=office.id, near=FRA_SLOT, now=NOW
        )

    results = await asyncio.gather(
        _confirm(sessions, settings, office, made.booking.id, NOW), cancel(),
        return_exceptions=True,
    )  # fmt: skip
    booking, claims = await _claims(sessions, made.booking.id)
    wins = [r for r in results if isinstance(r, Booking)]
    assert booking.sequence == len(wins)  # every change counted once
    if booking.status is BookingStatus.CONFIRMED:
        assert isinstance(results[1], Conflict)
        assert claims == live_claims(booking)
    else:  # cancelled, before or after the confirmation
        assert booking.status is BookingStatus.CANCELLED
        assert claims == 0
        assert isinstance(results[1], Booking)


# Copies a booking 30 minutes later without claims, as a buggy writer might.
BYPASS_INSERT = """
INSERT INTO bookings (uid, sequence, office_id, company_id, requester_user_id,
  start_at, end_at, time_zone, buffer_before_minutes, buffer_after_minutes,
  span_start, span_end, topic, product_ids, languages, interpreter_need, status,
  request_fingerprint, manage_token_hash, manage_expires_at, video_url,
  video_note, decision_reason, created_at, updated_at)
SELECT 'bypass@test', 0, office_id, company_id, requester_user_id,
  start_at + interval '30 minutes', end_at, time_zone, 0, 0,
  span_start + interval '30 minutes', span_end, 'bypass', '[]', '[]', '',
  'pending', '', 'h', manage_expires_at, '', '', '', created_at, updated_at
FROM bookings WHERE id = :id
"""


@pytest.mark.backend("postgresql")
async def test_postgres_exclusion_constraint_backs_up_the_claims(
    world, sessions, settings, database_url
) -> None:
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    with pytest.raises(IntegrityError, match="ex_bookings_office_id_live"):
        async with sessions.begin() as db:
            await db.execute(
                text(BYPASS_INSERT),
                {"id": made.booking.id},
            )


async def _london(sessions):
    async with sessions.begin() as db:
        return await add_office(
            db, "LON", "Europe/London",
            [{"weekdays": [0, 1, 2, 3, 4], "start": "07:00", "end": "11:00"}],
        )  # fmt: skip


async def test_a_company_is_never_in_two_consultations_at_once(
    web_client, world, sessions
) -> None:
    """The company is a resource too: overlapping requests at two offices."""
    await unlimit(sessions, "FRA")
    london = await _london(sessions)
    fra = world.offices["FRA"]
    headers = await bearer(sessions, world.company_user)
    # Meetings that overlap as meetings (not only through an office's buffer),
    # alternating between two offices.
    bodies = [
        {
            "office_id": (fra.id, london.id)[i % 2],
            "start": FRA_SLOT.isoformat(),
            "minutes": (30, 60)[(i // 2) % 2],
            "topic": f"request {i}",
        }
        for i in range(20)
    ]
    responses = await asyncio.gather(
        *(web_client.post("/api/v1/bookings", json=b, headers=headers) for b in bodies)
    )
    assert sorted(r.status for r in responses) == [201] + [409] * 19
    assert await live_count(sessions) == 1

    # Asked again one at a time, the answer names the reason plainly ...
    winner = next(b for b, r in zip(bodies, responses, strict=True) if r.status == 201)
    elsewhere = winner | {
        "office_id": fra.id if winner["office_id"] == london.id else london.id
    }
    resp = await web_client.post("/api/v1/bookings", json=elsewhere, headers=headers)
    assert resp.status == 409
    body = await resp.json()
    assert "다른 상담이 잡혀 있습니다" in body["error"]["message_ko"]
    assert "already has a consultation" in body["error"]["message_en"]
    # ... and another company may still take that office at that time.
    other = await bearer(sessions, world.other_company_user)
    resp = await web_client.post("/api/v1/bookings", json=elsewhere, headers=other)
    assert resp.status == 201, await resp.text()


async def test_a_loser_is_answered_while_the_winner_is_still_open(
    world, sessions, settings
) -> None:
    """A booking of slot X holds its transaction open; another request for X
    gets its 409 before that transaction ends, instead of waiting for it.

    Ordering, not a clock: the holder ends only after the second answer is
    in (or after that answer's task has been given up on, which fails)."""
    office = await unlimit(sessions, "FRA")
    claimed, release = asyncio.Event(), asyncio.Event()

    async def hold(db):
        booking, _ = await create_booking(
            db,
            settings,
            world.company_user,
            BookingRequest(office.id, FRA_SLOT, 60, "holder"),
            NOW,
        )
        claimed.set()
        await release.wait()
        return booking

    holder = asyncio.create_task(
        run_booking_change(
            sessions, settings, hold, office_id=office.id, near=FRA_SLOT, now=NOW
        )
    )
    await claimed.wait()
    second = asyncio.create_task(
        book(sessions, settings, world.other_company_user, office, FRA_SLOT, 30)
    )
    # The timeout only keeps a regression from hanging the suite.
    done, _ = await asyncio.wait(
        {second, holder}, timeout=60, return_when=asyncio.FIRST_COMPLETED
    )
    release.set()
    assert done == {second}, "the second request waited for the open holder"
    assert not holder.done()
    with pytest.raises(BookingConflict) as conflict:
        await second
    assert conflict.value.slots  # other times, as with every 409
    winner = await holder
    assert winner.status is BookingStatus.PENDING
    assert await live_count(sessions) == 1
