"""The JSON API: offices, slots in any zone, idempotent requests, actions,
the manage link, and the OpenAPI document."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from export_hub.consultations.access import CLOCK
from export_hub.consultations.models import Booking
from tests.consultations.conftest import FRA_SLOT
from tests.consultations.test_concurrency import bearer


async def test_offices_and_slots_in_seoul_office_and_viewer_time(
    web_client, world, sessions
):
    headers = await bearer(sessions, world.company_user)
    offices = (await (await web_client.get("/api/v1/offices", headers=headers)).json())[
        "offices"
    ]
    assert {o["code"] for o in offices} == {"LAX", "FRA", "SGN", "SHA", "JKT", "TYO"}
    lax = next(o for o in offices if o["code"] == "LAX")
    resp = await web_client.get(
        f"/api/v1/offices/{lax['id']}/slots",
        params={"from": "2026-12-08", "to": "2026-12-08", "tz": "Asia/Seoul"},
        headers=headers,
    )
    assert resp.status == 200
    slots = (await resp.json())["slots"]
    # Monday 16:00-19:00 in Los Angeles is Tuesday morning in Seoul.
    assert [s["seoul"]["time"] for s in slots] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
    ]
    first = slots[0]
    assert first["start"] == "2026-12-08T00:00:00Z"
    assert first["seoul"]["date"] == "2026-12-08"
    assert first["office"] == {
        "zone": "America/Los_Angeles",
        "date": "2026-12-07",
        "time": "16:00",
        "offset": "-08:00",
        "abbreviation": "PST",
    }
    resp = await web_client.get(
        f"/api/v1/offices/{lax['id']}/slots",
        params={"from": "2026-12-07", "to": "2026-12-07", "tz": "America/Los_Angeles"},
        headers=headers,
    )
    assert [s["start"] for s in (await resp.json())["slots"]] == [
        s["start"] for s in slots
    ]
    bad = await web_client.get(
        f"/api/v1/offices/{lax['id']}/slots",
        params={"tz": "Mars/Olympus"},
        headers=headers,
    )
    assert bad.status == 400
    assert "tz" in (await bad.json())["error"]["fields"]


async def test_korean_holidays_black_out_by_seoul_date(web_client, world, sessions):
    headers = await bearer(sessions, world.company_user)
    lax = world.offices["LAX"]
    web_client.app[CLOCK].fixed = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    resp = await web_client.get(
        f"/api/v1/offices/{lax.id}/slots",
        params={"from": "2026-12-24", "to": "2026-12-26"},
        headers=headers,
    )
    seoul_dates = {s["seoul"]["date"] for s in (await resp.json())["slots"]}
    # Thursday 12-24 afternoon in Los Angeles is Christmas morning in Seoul;
    # Wednesday 12-23 afternoon there is 12-24 in Seoul, an ordinary day.
    assert seoul_dates == {"2026-12-24"}


async def test_idempotency_key_returns_the_same_booking(web_client, world, sessions):
    headers = await bearer(sessions, world.company_user) | {
        "Idempotency-Key": "req-0001-abc"
    }
    body = {
        "office_id": world.offices["FRA"].id,
        "start": FRA_SLOT.isoformat(),
        "topic": "Kimchi for German retail",
        "languages": ["ko", "de"],
    }
    first = await web_client.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status == 201
    created = await first.json()
    assert created["manage_url"].startswith(
        "http://127.0.0.1:8080/consultations/manage/"
    )
    retries = await asyncio.gather(
        *(
            web_client.post("/api/v1/bookings", json=body, headers=headers)
            for _ in range(5)
        )
    )
    for retry in retries:
        assert retry.status == 200
        again = await retry.json()
        assert again["id"] == created["id"]
        assert "manage_url" not in again
    other = await web_client.post(
        "/api/v1/bookings", json=body | {"topic": "else"}, headers=headers
    )
    assert other.status == 409
    async with sessions() as db:
        assert await db.scalar(select(func.count(Booking.id))) == 1


async def test_actions_and_their_rights(web_client, world, sessions):
    company = await bearer(sessions, world.company_user)
    office = await bearer(sessions, world.office_user)
    other = await bearer(sessions, world.other_company_user)
    body = {
        "office_id": world.offices["FRA"].id,
        "start": FRA_SLOT.isoformat(),
        "topic": "Cosmetics",
        "minutes": 30,
    }
    created = await (
        await web_client.post("/api/v1/bookings", json=body, headers=company)
    ).json()
    url = f"/api/v1/bookings/{created['id']}"
    assert (
        await web_client.post(f"{url}/confirm", json={}, headers=company)
    ).status == 403
    assert (await web_client.get(url, headers=other)).status == 404
    moved = await web_client.post(
        f"{url}/reschedule",
        json={"start": (FRA_SLOT + dt.timedelta(days=1)).isoformat()},
        headers=company,
    )
    assert moved.status == 200
    moved_body = await moved.json()
    assert moved_body["start"] == "2026-12-04T07:00:00Z"
    assert moved_body["minutes"] == 30
    assert moved_body["sequence"] == 1
    confirmed = await web_client.post(f"{url}/confirm", json={}, headers=office)
    assert confirmed.status == 200
    assert (await confirmed.json())["video_url"].startswith(
        "https://teams.microsoft.com/"
    )
    ics = await web_client.get(f"{url}.ics", headers=company)
    assert ics.status == 200
    assert ics.headers["Content-Type"].startswith("text/calendar")
    cancelled = await web_client.post(
        f"{url}/cancel", json={"reason": "plans changed"}, headers=company
    )
    assert (await cancelled.json())["status"] == "cancelled"
    again = await web_client.post(f"{url}/cancel", json={}, headers=company)
    assert again.status == 409
    bad = await web_client.post(
        f"{url}/reschedule", json={"start": "tomorrow"}, headers=office
    )
    assert bad.status == 400


async def test_manage_link_works_without_login_and_expires(web_client, world, sessions):
    company = await bearer(sessions, world.company_user)
    body = {
        "office_id": world.offices["FRA"].id,
        "start": FRA_SLOT.isoformat(),
        "topic": "Tea",
    }
    created = await (
        await web_client.post("/api/v1/bookings", json=body, headers=company)
    ).json()
    path = created["manage_url"].removeprefix("http://127.0.0.1:8080")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits of url-safe base64
    page = await web_client.get(path)
    assert page.status == 200
    text = await page.text()
    assert "2026-12-03 (목) 16:00–17:00 KST" in text  # Seoul
    assert "2026-12-03 (목) 08:00–09:00 CET" in text  # Frankfurt
    wrong = await web_client.get(path[:-4] + "AAAA")
    assert wrong.status == 404
    invite = await web_client.get(f"{path}/invite.ics")
    assert invite.status == 200
    web_client.app[CLOCK].fixed = FRA_SLOT + dt.timedelta(
        hours=1
    )  # the meeting has ended
    assert (await web_client.get(path)).status == 404


async def test_the_openapi_document_lists_the_consultation_api(web_client):
    doc = await (await web_client.get("/api/v1/openapi.json")).json()
    paths = doc["paths"]
    for path in (
        "/api/v1/offices",
        "/api/v1/offices/{office_id}/slots",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}/confirm",
        "/api/v1/bookings/{booking_id}/decline",
        "/api/v1/bookings/{booking_id}/cancel",
        "/api/v1/bookings/{booking_id}/reschedule",
        "/api/v1/bookings/{booking_id}.ics",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/bookings"]["post"]["responses"]
