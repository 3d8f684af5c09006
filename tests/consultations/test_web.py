"""The consultation pages for companies, offices and staff."""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar
from sqlalchemy import func, select

from export_hub.consultations.models import (
    AvailabilityRule,
    Booking,
    BookingEvent,
    BookingStatus,
    Buyer,
    Interpreter,
)
from export_hub.mail import OutboxMessage
from tests.conftest import csrf_from
from tests.consultations.conftest import FRA_SLOT, book, logged_in, unlimit

START = FRA_SLOT.isoformat()


async def request_fra_slot(client, csrf: str, **fields) -> object:
    form = {
        "csrf_token": csrf,
        "start": START,
        "minutes": "60",
        "topic": "독일 유통 상담",
        "languages": "ko",
        "idempotency_key": "form-key-123456",
        **fields,
    }
    return await client.post(
        "/consultations/offices/FRA/request", data=form, allow_redirects=False
    )


async def test_company_browses_requests_and_sees_its_booking(
    web_client, world, sessions
):
    csrf = await logged_in(web_client, "kim@hanbit.example")
    offices = await (await web_client.get("/consultations")).text()
    for city in ("Los Angeles", "Frankfurt am Main", "Ho Chi Minh City", "Tokyo"):
        assert city in offices
    week = await (
        await web_client.get("/consultations/offices/FRA?from=2026-12-03")
    ).text()
    assert "16:00 KST" in week
    assert "Frankfurt am Main 2026-12-03 08:00 CET" in week
    form = await web_client.get(
        "/consultations/offices/FRA/request", params={"start": START, "minutes": "60"}
    )
    assert form.status == 200
    assert "2026-12-03 (목) 16:00–17:00 KST" in await form.text()
    empty = await request_fra_slot(web_client, csrf, topic="")
    assert empty.status == 400
    assert "상담 주제를 입력해 주세요" in await empty.text()
    async with sessions() as db:
        assert await db.scalar(select(func.count(Booking.id))) == 0
    made = await request_fra_slot(web_client, csrf)
    assert made.status == 303
    location = made.headers["Location"]
    page = await (await web_client.get(location)).text()
    assert 'id="manage-link"' in page
    assert "pending" in page
    assert 'id="manage-link"' not in await (await web_client.get(location)).text()
    twice = await request_fra_slot(web_client, csrf)  # the same form sent again
    assert twice.headers["Location"] == location
    listing = await (await web_client.get("/consultations/bookings")).text()
    assert location in listing
    english = await (await web_client.get(f"{location}?lang=en")).text()
    assert "2026-12-03 (Thu) 16:00–17:00 KST" in english
    assert "Download the calendar invite" in english


async def test_a_taken_time_answers_409_with_other_times(
    web_client, world, sessions, settings
):
    await unlimit(sessions, "FRA")
    await book(
        sessions, settings, world.other_company_user, world.offices["FRA"], FRA_SLOT
    )
    csrf = await logged_in(web_client, "kim@hanbit.example")
    response = await request_fra_slot(web_client, csrf)
    assert response.status == 409
    text = await response.text()
    assert "다른 예약이 이 시간을 먼저 잡았습니다" in text
    assert "Someone else booked this time" in text
    assert 'class="slot"' in text


async def test_office_confirms_from_its_queue(web_client, world, sessions, settings):
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    csrf = await logged_in(web_client, "fra@office.example")
    queue = await (await web_client.get("/office")).text()
    assert f'data-booking="{made.booking.id}"' in queue
    assert "2026-12-03 (목) 08:00–09:00 CET" in queue
    response = await web_client.post(
        f"/consultations/bookings/{made.booking.id}/confirm",
        data={"csrf_token": csrf, "interpreter_id": str(world.interpreter.id)},
        allow_redirects=False,
    )
    assert response.status == 303
    page = await (await web_client.get(response.headers["Location"])).text()
    assert 'id="video-link"' in page
    assert "Anna Schmidt" in page
    lax = await book(
        sessions,
        settings,
        world.company_user,
        world.offices["LAX"],
        FRA_SLOT.replace(hour=0) + dt.timedelta(days=6),
    )
    assert (
        await web_client.get(f"/consultations/bookings/{lax.booking.id}")
    ).status == 404


async def test_office_edits_rules_and_overrides(web_client, world, sessions):
    csrf = await logged_in(web_client, "fra@office.example")
    settings_page = await (await web_client.get("/office/settings")).text()
    assert "Mon 08:00-12:00" in settings_page
    # Germany's coming public holidays, and the office's own extra closed day.
    assert "공휴일 (DE): 2026-12-25 Christmas Day" in settings_page
    assert "2026-12-24 Heiligabend" in settings_page
    bad = await web_client.post(
        "/office/rules",
        data={"csrf_token": csrf, "rules": "Mon 09:00-12:00\nFun 25:00-1"},
    )
    assert bad.status == 400
    assert "2번째 줄" in await bad.text()
    async with sessions() as db:
        count = await db.scalar(
            select(func.count(AvailabilityRule.id)).where(
                AvailabilityRule.office_id == world.offices["FRA"].id
            )
        )
    assert count == 5  # nothing half-saved
    good = await web_client.post(
        "/office/rules",
        data={"csrf_token": csrf, "rules": "Thu 13:00-15:00\n금 09:00-10:00"},
        allow_redirects=False,
    )
    assert good.status == 303
    week = await (
        await web_client.get("/consultations/offices/FRA?from=2026-12-03")
    ).text()
    assert "2026-12-03 13:00 CET" in week
    assert "2026-12-03 08:00 CET" not in week
    closed = await web_client.post(
        "/office/overrides",
        data={
            "csrf_token": csrf,
            "date": "2026-12-03",
            "kind": "closed",
            "note": "offsite",
        },
        allow_redirects=False,
    )
    assert closed.status == 303
    week = await (
        await web_client.get("/consultations/offices/FRA?from=2026-12-03")
    ).text()
    assert "2026-12-03 13:00 CET" not in week
    assert "2026-12-04 09:00 CET" in week


async def test_office_calendar_feed_with_a_secret_url(
    web_client, world, sessions, settings
):
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    csrf = await logged_in(web_client, "fra@office.example")
    page = await (
        await web_client.post("/office/feed", data={"csrf_token": csrf})
    ).text()
    url = re.search(r"<code>(http[^<]+\.ics)</code>", page).group(1)
    path = url.removeprefix("http://127.0.0.1:8080")
    feed = await web_client.get(path)
    assert feed.status == 200
    calendar = Calendar.from_ical(await feed.read())
    uids = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    assert made.booking.uid in uids
    assert (await web_client.get(path.replace(".ics", "x.ics"))).status == 404


async def test_staff_report_chart_and_outbox(web_client, world, sessions, settings):
    await book(sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT)
    await logged_in(web_client, "staff@agency.example")
    report = await (await web_client.get("/staff/consultations")).text()
    assert "<svg" in report
    assert "FRA" in report
    assert "한빛식품" in report
    outbox = await (await web_client.get("/staff/outbox")).text()
    assert "kim@hanbit.example" in outbox
    async with sessions() as db:
        first = await db.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id))
    message = await (await web_client.get(f"/staff/outbox/{first}")).text()
    assert "invite.ics" in message
    await csrf_from(web_client, "/consultations")


async def test_company_cancels_through_the_page(web_client, world, sessions, settings):
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    csrf = await logged_in(web_client, "kim@hanbit.example")
    response = await web_client.post(
        f"/consultations/bookings/{made.booking.id}/cancel",
        data={"csrf_token": csrf, "reason": "다른 일정"},
        allow_redirects=False,
    )
    assert response.status == 303
    async with sessions() as db:
        booking = await db.get_one(Booking, made.booking.id)
    assert booking.status is BookingStatus.CANCELLED
    assert booking.decision_reason == "다른 일정"
    confirm = await web_client.post(
        f"/consultations/bookings/{made.booking.id}/confirm", data={"csrf_token": csrf}
    )
    assert confirm.status == 403


async def test_manage_link_reschedules_and_cancels_without_login(
    web_client, world, sessions, settings
):
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    base = f"/consultations/manage/{made.manage_token}"
    csrf = await csrf_from(web_client, base)
    picker = await (await web_client.get(f"{base}/reschedule?from=2026-12-04")).text()
    moved_to = (FRA_SLOT + dt.timedelta(days=1)).isoformat()
    assert f'value="{moved_to}"' in picker
    response = await web_client.post(
        f"{base}/reschedule",
        allow_redirects=False,
        data={"csrf_token": csrf, "start": moved_to, "minutes": "60"},
    )
    assert response.status == 303
    assert response.headers["Location"] == base
    response = await web_client.post(
        f"{base}/cancel",
        allow_redirects=False,
        data={"csrf_token": csrf, "reason": "no longer needed"},
    )
    assert response.status == 303
    async with sessions() as db:
        booking = await db.get_one(Booking, made.booking.id)
        actors = list(
            await db.scalars(
                select(BookingEvent.actor)
                .where(BookingEvent.booking_id == booking.id)
                .order_by(BookingEvent.id)
            )
        )
    assert booking.status is BookingStatus.CANCELLED
    assert booking.start_at == FRA_SLOT + dt.timedelta(days=1)
    assert booking.sequence == 2
    assert actors == ["company", "manage_link", "manage_link"]
    confirm = await web_client.post(f"{base}/confirm", data={"csrf_token": csrf})
    assert confirm.status == 404  # the link may only reschedule or cancel


async def test_offices_add_buyers_and_staff_add_interpreters(
    web_client, world, sessions
):
    csrf = await logged_in(web_client, "fra@office.example")
    bad = await web_client.post(
        "/office/buyers",
        data={
            "csrf_token": csrf,
            "name": "Klara",
            "email": "nope",
            "country": "Germany",
        },
    )
    assert bad.status == 400
    text = await bad.text()
    assert "올바른 이메일 주소" in text
    assert "Two-letter country code" in text
    good = await web_client.post(
        "/office/buyers",
        allow_redirects=False,
        data={
            "csrf_token": csrf,
            "name": "Klara Vogel",
            "company": "Vogel GmbH",
            "email": "klara@vogel.example",
            "country": "de",
            "time_zone": "Europe/Berlin",
            "language": "en",
        },
    )
    assert good.status == 303
    assert "Klara Vogel" in await (await web_client.get("/office/settings")).text()
    assert (await web_client.get("/staff/interpreters")).status == 403

    await web_client.post("/logout", data={"csrf_token": csrf})
    csrf = await logged_in(web_client, "staff@agency.example")
    bad = await web_client.post(
        "/staff/interpreters",
        data={
            "csrf_token": csrf,
            "name": "Lee",
            "email": "lee@interp.example",
            "pairs": "korean-german",
            "time_zone": "Europe/Berlin",
            "hours": "Mon 9-5",
        },
    )
    assert bad.status == 400
    good = await web_client.post(
        "/staff/interpreters",
        allow_redirects=False,
        data={
            "csrf_token": csrf,
            "name": "Lee Jiwoo",
            "email": "lee@interp.example",
            "pairs": "ko-de, ko-en",
            "time_zone": "Europe/Berlin",
            "hours": "Mon 09:00-17:00\nThu 08:00-12:00",
        },
    )
    assert good.status == 303
    async with sessions() as db:
        lee = await db.scalar(
            select(Interpreter).where(Interpreter.name == "Lee Jiwoo")
        )
    assert lee.language_pairs == ["ko-de", "ko-en"]
    assert lee.availability == [
        {"weekday": 0, "start": "09:00", "end": "17:00"},
        {"weekday": 3, "start": "08:00", "end": "12:00"},
    ]


async def test_a_company_at_its_limit_is_told_why_no_times_show(
    web_client, world, sessions, settings
):
    office = world.offices["FRA"]  # two bookings per company at a time
    for day in (0, 1):
        await book(
            sessions,
            settings,
            world.company_user,
            office,
            FRA_SLOT + dt.timedelta(days=day),
        )
    await logged_in(web_client, "kim@hanbit.example")
    week = await (
        await web_client.get("/consultations/offices/FRA?from=2026-12-07")
    ).text()
    assert 'id="at-limit"' in week
    assert 'class="slot"' not in week


async def test_offices_correct_and_remove_buyers(web_client, world, sessions, settings):
    csrf = await logged_in(web_client, "fra@office.example")
    fields = {
        "name": "Klara Vogel",
        "company": "Vogel GmbH",
        "email": "klara@vogel.example",
        "country": "DE",
        "time_zone": "Europe/Berlin",
        "language": "en",
    }
    await web_client.post("/office/buyers", data={"csrf_token": csrf, **fields})
    async with sessions() as db:
        klara = await db.scalar(select(Buyer).where(Buyer.name == "Klara Vogel"))
    form = await (await web_client.get(f"/office/buyers/{klara.id}")).text()
    assert 'value="klara@vogel.example"' in form
    bad = await web_client.post(
        f"/office/buyers/{klara.id}",
        data={"csrf_token": csrf, **fields, "email": "nope"},
    )
    assert bad.status == 400
    assert 'value="nope"' in await bad.text()  # what was typed stays
    async with sessions() as db:
        assert (await db.get(Buyer, klara.id)).email == "klara@vogel.example"
    ok = await web_client.post(
        f"/office/buyers/{klara.id}",
        allow_redirects=False,
        data={"csrf_token": csrf, **fields, "email": "k.vogel@vogel.example"},
    )
    assert ok.status == 303
    async with sessions() as db:
        assert (await db.get(Buyer, klara.id)).email == "k.vogel@vogel.example"

    # A buyer named in a booking is kept (the booking's history needs it).
    await unlimit(sessions, "FRA")
    await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT,
        buyer_id=klara.id,
    )  # fmt: skip
    kept = await web_client.post(
        f"/office/buyers/{klara.id}/delete", data={"csrf_token": csrf}
    )
    assert kept.status == 409
    assert "삭제할 수 없습니다" in await kept.text()
    await web_client.post(
        "/office/buyers", data={"csrf_token": csrf, **fields, "name": "Temp"}
    )
    async with sessions() as db:
        temp = await db.scalar(select(Buyer).where(Buyer.name == "Temp"))
    gone = await web_client.post(
        f"/office/buyers/{temp.id}/delete",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert gone.status == 303
    async with sessions() as db:
        assert await db.get(Buyer, temp.id) is None


async def test_staff_correct_and_stop_offering_interpreters(
    web_client, world, sessions, settings
):
    csrf = await logged_in(web_client, "staff@agency.example")
    person = world.interpreter
    form = await (await web_client.get(f"/staff/interpreters/{person.id}")).text()
    assert person.name in form
    resp = await web_client.post(
        f"/staff/interpreters/{person.id}",
        allow_redirects=False,
        data={
            "csrf_token": csrf,
            "name": person.name,
            "email": "new@interp.example",
            "pairs": "ko-de",
            "time_zone": "Europe/Berlin",
            "hours": "Tue 08:00-16:00",
        },
    )
    assert resp.status == 303
    async with sessions() as db:
        fresh = await db.get(Interpreter, person.id)
    assert fresh.email == "new@interp.example"
    assert fresh.availability == [{"weekday": 1, "start": "08:00", "end": "16:00"}]

    stop = await web_client.post(
        f"/staff/interpreters/{person.id}/active",
        data={"csrf_token": csrf, "active": "0"},
        allow_redirects=False,
    )
    assert stop.status == 303
    async with sessions() as db:
        assert not (await db.get(Interpreter, person.id)).active
    page = await (await web_client.get("/staff/interpreters")).text()
    assert "새 예약에서 빼기" not in page.split(person.name, 1)[1].split("</tr>")[0]
    missing = await web_client.get("/staff/interpreters/999999")
    assert missing.status == 404
