"""Dashboards per role (Korean and English) and the chart component."""

from __future__ import annotations

import re
from typing import Any

import pytest

from export_hub.reports.charts import Series, chart
from tests.conftest import login
from tests.reports.conftest import PASSWORD, World


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_staff_land_on_the_programme_dashboard(
    client: Any, world: World, lang: str
) -> None:
    await login(client, "staff@agency.example", PASSWORD)
    resp = await client.get(f"/?lang={lang}")
    body = await resp.text()
    assert resp.status == 200, body
    assert ("Programme dashboard" if lang == "en" else "프로그램 대시보드") in body
    for link in ("/staff/review", "/staff/listings?status=needs_action", "/office"):
        assert f'href="{link}' in body
    assert body.count('role="img"') == 4
    assert not re.search(r'(src|href)="(https?:)?//', body)


async def test_a_company_lands_on_its_own_dashboard(client: Any, world: World) -> None:
    await login(client, "kim@hanbit.example", PASSWORD)
    body = await (await client.get("/")).text()
    assert "우리 회사 현황" in body
    assert "/company/orders" in body
    assert "Vase" not in body


def test_equal_series_stay_visible_and_labels_are_present() -> None:
    view = chart(
        "lines",
        title="Sales",
        desc="two equal series",
        categories=["2026-01", "2026-02", "2026-03"],
        series=[Series("Amazon", [5, 5, 5]), Series("eBay", [5, 5, 5])],
        unit="KRW",
    )
    first, second = view.shapes
    assert first.points == second.points
    # Same line, different dash and width: both stay visible.
    assert (first.dash, first.w) != (second.dash, second.w)
    assert [t.label for t in view.category_ticks] == ["2026-01", "2026-02", "2026-03"]
    assert view.value_ticks[-1].label == "10"  # headroom above the largest value
    assert view.plot[0] > max(len(t.label) for t in view.value_ticks) * 7


def test_a_flat_zero_series_keeps_a_sensible_range() -> None:
    view = chart(
        "columns", title="t", desc="d", categories=["a"], series=[Series("s", [0])],
        unit="KRW",
    )  # fmt: skip
    assert view.empty
    assert view.value_ticks[-1].label == "1"
