"""The printable programme report: staff only, a year of figures, a clear 400
for a bad year, linked from the staff dashboard, and a print stylesheet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from export_hub.reports.programme import parse_year
from export_hub.reports.web import months_between
from export_hub.web.app import TEMPLATES
from tests.conftest import login
from tests.reports.conftest import PASSWORD, World


def test_months_between_spans_the_period() -> None:
    assert months_between(dt.date(2025, 12, 1), dt.date(2026, 3, 1)) == [
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert months_between(dt.date(2026, 1, 15), dt.date(2026, 1, 16)) == ["2026-01"]


def test_parse_year() -> None:
    today = dt.date(2026, 12, 2)
    assert parse_year(None, today) == 2026
    assert parse_year("2024", today) == 2024


async def test_staff_print_a_year(client: Any, world: World) -> None:
    await login(client, "staff@agency.example", PASSWORD)
    home = await (await client.get("/")).text()
    assert 'href="/staff/reports/programme"' in home
    resp = await client.get("/staff/reports/programme?year=2026")
    body = await resp.text()
    assert resp.status == 200, body
    assert body.count('role="img"') == 5
    assert body.count('class="report-section"') == 4
    for bad in ("1999", "3000", "20x6", "-1"):
        resp = await client.get(
            f"/staff/reports/programme?year={bad}",
            headers={"Accept": "application/json"},
        )
        assert resp.status == 400, bad
        fields = (await resp.json())["error"]["fields"]
        assert fields["year"]["en"].startswith("year must be between 2000 and ")


async def test_a_company_cannot_open_it(client: Any, world: World) -> None:
    await login(client, "kim@hanbit.example", PASSWORD)
    resp = await client.get("/staff/reports/programme", allow_redirects=False)
    assert resp.status in (403, 404)


def test_print_stylesheet_hides_navigation_and_breaks_sections() -> None:
    css = (TEMPLATES.parent / "static" / "app.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert "nav" in print_rules.split("{")[0] + print_rules.split("{")[1]
    assert ".report-section + .report-section { break-before: page; }" in print_rules
    assert "@page { size: A4" in css
