"""In Chromium: staff, a company and an office each land on their dashboard
after logging in; at 1280 px and 390 px no page scrolls sideways, every chart
has an accessible name, and no chart label is clipped by its svg."""

from __future__ import annotations

from pathlib import Path

import pytest

from export_hub.demo.command import load_demo
from tests.browser import browser, log_in, serve_app  # noqa: F401
from tests.conftest import make_settings
from tests.orders.test_demo import demo_settings

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)

#: For every svg chart: its accessible name and the labels outside its box.
CHARTS_JS = """() => [...document.querySelectorAll('svg[role="img"]')].map(svg => {
  const box = svg.getBoundingClientRect();
  const ids = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/);
  const name = ids.map(id => document.getElementById(id)?.textContent || '')
    .join(' ').trim();
  const clipped = [...svg.querySelectorAll('text')].filter(t => {
    const r = t.getBoundingClientRect();
    return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 ||
      r.top < box.top - 1 || r.bottom > box.bottom + 1);
  }).map(t => t.textContent);
  return {name, clipped, width: box.width, texts: svg.querySelectorAll('text').length};
})"""
OVERFLOW_JS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


async def check_page(page, path: str, min_charts: int) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(path)
        await page.wait_for_load_state()
        scroll, inner = await page.evaluate(OVERFLOW_JS)
        assert scroll <= inner, f"{path} at {width}px scrolls sideways: {scroll}"
        charts = await page.evaluate(CHARTS_JS)
        assert len(charts) >= min_charts, f"{path}: {len(charts)} charts"
        for chart in charts:
            assert chart["name"], f"{path}: a chart without a name"
            assert chart["texts"] >= 3, chart
            assert chart["clipped"] == [], f"{path} at {width}px: {chart}"
            assert chart["width"] <= width


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_each_role_lands_on_a_readable_dashboard(
    browser,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    logins = await load_demo(demo_settings(database_url, tmp_path))
    by_role = {x.role: x for x in reversed(logins)}
    async with serve_app(make_settings(database_url, tmp_path)) as server:
        for role, landing, pages in (
            (
                "staff",
                "/",
                [
                    ("/", 4),
                    ("/staff/reports/programme", 5),
                    ("/staff/reports/listings", 1),
                    ("/staff/consultations", 2),
                    ("/reports/export-results", 1),
                ],
            ),
            ("company", "/", [("/", 2), ("/reports/export-results", 1)]),
            ("office", "/office", [("/office", 0)]),
        ):
            context = await browser.new_context(base_url=server.url, locale="ko-KR")
            context.set_default_timeout(15_000)
            page = await context.new_page()
            try:
                who = by_role[role]
                await log_in(page, who.email, who.password)
                assert page.url == server.url + landing, (role, page.url)
                for path, charts in pages:
                    await check_page(page, path, charts)
                # The same landing page in English (the choice sticks).
                await page.goto(landing + "?lang=en")
                await check_page(page, *pages[0])
            finally:
                await context.close()
