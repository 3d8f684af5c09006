"""In Chromium: an admin creates an office user who sets a password from the
e-mailed link; staff pick a company in the search box by its dashed number."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from export_hub.accounts.models import Company, Role
from export_hub.consultations.models import Office
from export_hub.mail import OutboxMessage
from tests.browser import browser, live_server, log_in, log_out, page  # noqa: F401
from tests.foundation.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser
LINK = re.compile(r"http://[^/\s]+(/invite/[A-Za-z0-9_-]+)")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_admin_creates_an_office_user_in_a_browser(page, sessions) -> None:  # noqa: F811
    async with sessions.begin() as db:
        db.add(
            Office(
                code="FRA",
                name_ko="프랑크푸르트",
                name_en="Frankfurt",
                city="Frankfurt",
                country="DE",
                time_zone="Europe/Berlin",
            )
        )
    await make_user(sessions, Role.ADMIN, "admin@example.kr")
    await log_in(page, "admin@example.kr", PASSWORD)
    await page.click("nav a[href='/admin/users']")
    await page.fill("#new-user #f-email", "fra.new@example.kr")
    await page.fill("#new-user #f-name", "Anna")
    await page.select_option("#new-user #f-role", "office")
    await page.select_option("#new-user #f-office_code", "FRA")
    await page.select_option("#new-user #f-language", "en")
    await page.click("#new-user button[type=submit]")
    await page.wait_for_url("**/admin/users?done=created")
    assert "메일로 보냈습니다" in await page.text_content("p.notice")
    row = page.locator("#users tr[data-email='fra.new@example.kr']")
    assert "FRA" in await row.inner_text()
    await log_out(page)

    async with sessions() as db:
        mail = await db.scalar(
            select(OutboxMessage).where(
                OutboxMessage.to_address == "fra.new@example.kr"
            )
        )
    body = mail.parsed().get_body(preferencelist=("plain",)).get_content()
    await page.goto(LINK.search(body).group(1))
    await page.fill("#f-new_password", "frankfurt-office-2026")
    await page.fill("#f-new_password_confirm", "frankfurt-office-2026")
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/login?reset=1")
    await log_in(page, "fra.new@example.kr", "frankfurt-office-2026")
    assert await page.locator("nav a[href='/office']").count() == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_staff_pick_a_company_by_its_dashed_number(page, sessions) -> None:  # noqa: F811
    async with sessions.begin() as db:
        db.add(
            Company(name_ko="대덕정밀", name_en="Daedeok Precision", brn="3148107352")
        )
    await make_user(sessions, Role.STAFF, "staff@example.kr")
    await log_in(page, "staff@example.kr", PASSWORD)
    await page.goto("/staff/listings")
    box = page.locator("form.filters input#cp-company")
    await box.press_sequentially("314-81-07352")
    option = page.locator("#cp-company-list option").first
    await option.wait_for(state="attached")  # filled from the search endpoint
    suggestion = await option.get_attribute("value")
    assert "대덕정밀" in suggestion
    await box.fill(suggestion)  # what choosing the suggestion puts in the box
    async with page.expect_navigation():
        await box.press("Enter")
    assert page.url.split("?", 1)[1].startswith(("status=", "company=", "marketplace="))
    assert await page.locator("h1").count() == 1
    assert await page.locator("section.error").count() == 0
    assert await page.input_value("form.filters input#cp-company") == suggestion
