"""Export results: netting, KRW at the purchase day's rate, company
isolation, bad parameters, and page = API = CSV = XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.pricing.rates import rate_on
from export_hub.reports.files import COLUMNS
from export_hub.reports.rates import DayRate, RatePeriod, krw_rates, rate_periods
from export_hub.reports.results import (
    GroupBy,
    ResultsQuery,
    export_results,
    export_results_batch,
)
from tests.conftest import login
from tests.reports.conftest import PASSWORD, World

JAN, MAR = dt.date(2026, 1, 1), dt.date(2026, 3, 1)
RANGE = "from=2026-01-01&to=2026-02-28"


def _by(rows: list[Any]) -> dict[tuple[str, str], Any]:
    return {(r.key, r.currency): r for r in rows}


async def test_month_figures_net_cancellations_and_refunds(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with sessions() as db:
        results = await export_results(
            db, ResultsQuery(JAN, MAR, GroupBy.MONTH, world.company.id)
        )
    rows = _by(results.rows)
    assert set(rows) == {("2026-01", "USD"), ("2026-01", "EUR"), ("2026-02", "EUR")}
    usd = rows["2026-01", "USD"]
    # one of two mugs cancelled (20.00) + cup 10.00; A-2: 20.00 less 5.00.
    assert (usd.orders, usd.units, usd.sales) == (2, 3, Decimal("45.00"))
    # 30 × 1300 (Jan 10) + 15 × 1250 (Jan 20: the newer inverse entry).
    assert usd.sales_krw == Decimal(57750)
    assert (usd.rate_from, usd.rate_to) == (dt.date(2026, 1, 1), dt.date(2026, 1, 15))
    assert (usd.rate_min, usd.rate_max) == (Decimal(1250), Decimal(1300))
    assert not usd.no_rate
    eur_jan = rows["2026-01", "EUR"]
    assert eur_jan.no_rate
    assert eur_jan.unconverted == Decimal("12.00")
    assert eur_jan.sales_krw == 0
    assert eur_jan.rate_label == "no rate"
    eur_feb = rows["2026-02", "EUR"]
    assert (eur_feb.units, eur_feb.sales, eur_feb.sales_krw) == (
        2, Decimal("30.00"), Decimal(45000),
    )  # fmt: skip
    assert eur_feb.rate_label == "1500.00 (2026-02-01)"


async def test_day_rates_agree_with_the_pricing_module(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with sessions() as db:
        calendar = await krw_rates(db, dt.date(2025, 12, 30), dt.date(2026, 2, 5))
        for day_rate in calendar:
            expected = await rate_on(db, day_rate.currency, "KRW", day_rate.day)
            assert (day_rate.rate, day_rate.effective_on) == (
                expected.rate, expected.effective_on,
            )  # fmt: skip
    assert {r.currency for r in calendar} == {"USD", "EUR"}
    assert min(r.day for r in calendar if r.currency == "USD") == dt.date(2026, 1, 1)


async def test_staff_see_every_company_a_company_only_its_own(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with sessions() as db:
        everyone = await export_results(db, ResultsQuery(JAN, MAR, GroupBy.COMPANY))
        own = await export_results(
            db, ResultsQuery(JAN, MAR, GroupBy.COMPANY, world.company.id)
        )
        products = await export_results(
            db, ResultsQuery(JAN, MAR, GroupBy.PRODUCT, world.company.id)
        )
    assert {r.key for r in everyone.rows} == {
        str(world.company.id),
        str(world.other.id),
    }
    assert {r.key for r in own.rows} == {str(world.company.id)}
    mug = _by(products.rows)[str(world.mug.id), "USD"]
    assert (mug.orders, mug.units, mug.sales, mug.sales_krw) == (
        2, 2, Decimal("35.00"), Decimal(44750),
    )  # fmt: skip
    assert "Vase" not in {r.label.split(" ", 1)[1] for r in products.rows}


async def _api(client: Any, query: str) -> Any:
    resp = await client.get(f"/api/v1/reports/export-results?{query}")
    return resp.status, await resp.json()


@pytest.mark.parametrize("group", [g.value for g in GroupBy])
async def test_page_api_csv_and_xlsx_agree(
    client: Any, world: World, group: str
) -> None:
    await login(client, "staff@agency.example", PASSWORD)
    query = f"{RANGE}&group_by={group}"
    status, api = await _api(client, query)
    assert status == 200, api
    expected = [
        [r["key"], r["currency"], r["orders"], r["units"], r["sales"], r["sales_krw"]]
        for r in api["rows"]
    ]
    assert expected, "the fixture has orders in every grouping"

    page = await (await client.get(f"/reports/export-results?{query}")).text()
    found = re.findall(
        r'<tr data-key="([^"]*)" data-currency="(\w+)".*?data-field="orders">(\d+)<'
        r'.*?data-field="units">(\d+)<.*?data-field="sales">([\d.]+)<'
        r'.*?data-field="sales_krw">([\d.]+)<',
        page,
        re.S,
    )
    assert [[k, c, int(o), int(u), s, w] for k, c, o, u, s, w in found] == expected

    text = await (await client.get(f"/reports/export-results.csv?{query}")).text()
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == COLUMNS
    assert [[r[0], r[2], int(r[3]), int(r[4]), r[5], r[6]] for r in table[1:]] == (
        expected
    )

    body = await (await client.get(f"/reports/export-results.xlsx?{query}")).read()
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [
        [str(r[0]), r[2], r[3], r[4], f"{Decimal(str(r[5])):.2f}", f"{r[6]:.0f}"]
        for r in cells
    ] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-01&to=2026-01-01", "to"),
        ("group_by=brand", "group_by"),
        ("from=2020-01-01&to=2026-01-01", "to"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("company_id=abc", "company_id"),
    ],
)
async def test_bad_parameters_get_a_bilingual_400(
    client: Any, world: World, query: str, field: str
) -> None:
    await login(client, "staff@agency.example", PASSWORD)
    status, body = await _api(client, query)
    assert status == 400
    assert field in body["error"]["fields"]
    assert body["error"]["fields"][field]["ko"]
    assert body["error"]["fields"][field]["en"]
    resp = await client.get(f"/reports/export-results.csv?{query}")
    assert resp.status == 400


async def test_a_company_asking_for_another_companys_figures_gets_404(
    client: Any, world: World
) -> None:
    await login(client, "kim@hanbit.example", PASSWORD)
    status, _ = await _api(client, f"{RANGE}&company_id={world.other.id}")
    assert status == 404
    status, own = await _api(client, f"{RANGE}&group_by=company")
    assert status == 200
    assert {r["key"] for r in own["rows"]} == {str(world.company.id)}
    resp = await client.get(f"/reports/export-results.xlsx?company_id={world.other.id}")
    assert resp.status == 404


async def test_the_endpoint_is_in_the_openapi_document(client: Any) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    operation = doc["paths"]["/api/v1/reports/export-results"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "group_by"}
    assert "ExportResults" in doc["components"]["schemas"]


async def test_a_batch_gives_each_query_its_own_figures(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    queries = [
        *(ResultsQuery(JAN, MAR, group) for group in GroupBy),
        ResultsQuery(dt.date(2026, 1, 15), dt.date(2026, 2, 1), GroupBy.MARKETPLACE),
        ResultsQuery(dt.date(2026, 1, 20), dt.date(2026, 1, 21), GroupBy.PRODUCT),
        ResultsQuery(MAR, dt.date(2026, 4, 1), GroupBy.COUNTRY),
    ]
    async with sessions() as db:
        batch = await export_results_batch(db, queries)
        alone = [await export_results(db, query) for query in queries]
        with pytest.raises(ValueError, match="company scope"):
            await export_results_batch(
                db, [queries[0], ResultsQuery(JAN, MAR, GroupBy.MONTH, world.other.id)]
            )
    assert batch == alone
    assert [r.query for r in batch] == queries
    # Jan 15-31: A-2 (15.00 after its refund, USD) on Amazon; E-1 on eBay.
    marketplaces = _by(batch[5].rows)
    assert marketplaces["amazon", "USD"].sales == Decimal("15.00")
    assert marketplaces["ebay", "EUR"].sales == Decimal("12.00")
    assert [(r.key, r.sales) for r in batch[6].rows] == [
        (str(world.mug.id), Decimal("15.00"))
    ]
    assert batch[7].rows == []


def test_rate_periods_collapse_days_with_one_rate() -> None:
    day = dt.date(2026, 1, 1)
    calendar = [
        DayRate("EUR", day, Decimal(1500), day),
        DayRate("USD", day, Decimal(1300), day),
        DayRate("USD", day + dt.timedelta(1), Decimal(1300), day),
        DayRate("USD", day + dt.timedelta(2), Decimal(1250), day + dt.timedelta(2)),
    ]
    assert rate_periods(calendar) == [
        RatePeriod("EUR", day, day + dt.timedelta(1), Decimal(1500), day),
        RatePeriod("USD", day, day + dt.timedelta(2), Decimal(1300), day),
        RatePeriod(
            "USD",
            day + dt.timedelta(2),
            day + dt.timedelta(3),
            Decimal(1250),
            day + dt.timedelta(2),
        ),
    ]
