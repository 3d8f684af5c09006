"""End to end in Chromium: a company books a Frankfurt slot, the office
confirms it, the company sees the video link and downloads the invite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from export_hub.consultations.access import CLOCK
from export_hub.consultations.models import Booking
from export_hub.web.app import create_app
from tests.browser import LiveServer, browser, log_in, serve_app  # noqa: F401
from tests.consultations.conftest import FRA_SLOT, NOW, PASSWORD


@pytest.fixture
async def pinned_server(settings) -> AsyncIterator[LiveServer]:
    app = create_app(settings)
    app[CLOCK].fixed = NOW
    async with serve_app(settings, app) as server:
        yield server


@pytest.mark.browser
async def test_book_confirm_and_download_the_invite(
    browser,  # noqa: F811 - the fixture imported above
    pinned_server,
    world,
    sessions,
    tmp_path: Path,
) -> None:
    company_context = await browser.new_context(
        base_url=pinned_server.url, accept_downloads=True
    )
    office_context = await browser.new_context(base_url=pinned_server.url)
    for context in (company_context, office_context):
        context.set_default_timeout(15_000)
    company, office = await company_context.new_page(), await office_context.new_page()
    try:
        await log_in(company, "kim@hanbit.example", PASSWORD)
        await company.goto("/consultations")
        await company.click("a[href='/consultations/offices/FRA'].button")
        await company.goto("/consultations/offices/FRA?from=2026-12-03")
        slot = company.locator(f"a.slot[data-start='{FRA_SLOT.isoformat()}']")
        assert "16:00 KST" in await slot.inner_text()
        assert "2026-12-03 08:00 CET" in await slot.inner_text()
        await slot.click()
        await company.fill(
            "textarea[name=topic]", "김치 독일 유통 / Kimchi for German retail"
        )
        await company.check("input[name=languages][value=de]")
        await company.click("form.form button[type=submit]")
        await company.wait_for_selector("#manage-link")
        assert await company.inner_text("#status") == "승인 대기"
        booking_url = company.url

        await log_in(office, "fra@office.example", PASSWORD)
        await office.goto("/office")
        row = office.locator("#queue tr[data-booking]")
        assert "2026-12-03 (목) 08:00–09:00 CET" in await row.inner_text()
        await row.locator("form[action$='/confirm'] button").click()
        await office.wait_for_selector("#video-link")

        await company.goto(booking_url)
        assert await company.inner_text("#status") == "확정"
        link = await company.get_attribute("#video-link", "href")
        assert link.startswith("https://teams.microsoft.com/")
        assert "2026-12-03 (목) 16:00–17:00 KST" in await company.inner_text(
            "#seoul-time"
        )
        async with company.expect_download() as download_info:
            await company.click("#invite")
        download = await download_info.value
        saved = tmp_path / "invite.ics"
        await download.save_as(saved)
        calendar = Calendar.from_ical(saved.read_bytes())
        [event] = calendar.walk("VEVENT")
        async with sessions() as db:
            booking = await db.scalar(select(Booking))
        assert str(event["UID"]) == booking.uid
        assert event.decoded("DTSTART") == FRA_SLOT
        assert int(event["SEQUENCE"]) == 1
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["LOCATION"]) == link
    finally:
        await company_context.close()
        await office_context.close()
