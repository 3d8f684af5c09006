"""The sync console in a real browser: staff start a dry run and watch its
progress (the same-origin poller under the CSP); the company sees its listing
needing action, explained in Korean."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.listings.sync.run import run_sync
from export_hub.settings import Settings
from tests.browser import browser, log_in, serve_app  # noqa: F401
from tests.sync.conftest import COMPANIES, seed
from tests.sync.test_console import PASSWORD, unapproved_brand, users


@pytest.mark.browser
async def test_staff_dry_run_progress_and_company_sees_action_in_korean(
    browser: Any,  # noqa: F811
    sessions,
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    world = await seed(sessions, settings, ebay)
    await unapproved_brand(sessions, world.accounts[(COMPANIES[0].brn, "amazon")])
    await users(sessions, COMPANIES[0].brn)
    await run_sync(sessions, settings)
    calls = len(amazon.state.calls)
    embedded = settings.model_copy(
        update={"jobs": settings.jobs.model_copy(update={"embedded": True})}
    )
    async with serve_app(embedded) as server:
        staff = await browser.new_context(base_url=server.url, locale="ko-KR")
        staff.set_default_timeout(15_000)
        page = await staff.new_page()
        await log_in(page, "staff@example.com", PASSWORD)
        await page.goto("/staff/listings")
        await page.check("#start-sync input[name=dry_run]")
        await page.click("#start-sync button[type=submit]")
        await page.wait_for_url("**/staff/sync/*")
        await page.wait_for_selector('#sync-progress[data-finished="1"]')
        assert await page.text_content('[data-field="status"]') == "성공"
        counts = await page.text_content('[data-field="counts"]')
        assert "계획됨" in counts
        assert await page.get_attribute("progress", "value") == "100"
        await staff.close()
        assert len(amazon.state.calls) == calls  # a dry run sends nothing

        company = await browser.new_context(base_url=server.url, locale="ko-KR")
        company.set_default_timeout(15_000)
        page = await company.new_page()
        await log_in(page, "company@example.com", PASSWORD)
        await page.goto("/company/listings")
        asked = await page.text_content("main")
        assert "요청드리는 조치" in asked
        assert "브랜드" in asked
        assert "조치 필요" in asked
        await company.close()
