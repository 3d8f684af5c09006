"""Pages (Korean and English, CSRF on the shipment form) and /api/v1/orders
(own orders, another company's → 404, staff filters, shipments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import OrderStatus
from export_hub.orders.models import Order, OrderLine
from export_hub.orders.runtime import ORDERS
from export_hub.web.auth import issue_api_token
from tests.conftest import CSRF_RE, login
from tests.orders.conftest import NOW, PASSWORD, pull
from tests.orders.fakes import line, order


@pytest.fixture
async def app_client(aiohttp_client: Any, settings, market, world) -> Any:
    from export_hub.web.app import create_app

    app = create_app(settings)
    app[ORDERS].fixed = NOW
    return await aiohttp_client(app)


async def bearer(sessions, user) -> dict[str, str]:
    async with sessions.begin() as db:
        return {"Authorization": f"Bearer {await issue_api_token(db, user, 't')}"}


async def orders(sessions, settings, world, market) -> dict[str, int]:
    late = NOW - dt.timedelta(minutes=10)
    market.put(
        "A1HANBIT",
        order(
            "113-LATE",
            line("L1", "AMZ-MUG-1", 1),
            updated=late,
            ship_by=NOW - dt.timedelta(hours=2),
        ),
    )
    market.put(
        "A1HANBIT",
        order(
            "113-RISK",
            line("L1", "ZZZ-9", 1),
            updated=late,
            ship_by=NOW + dt.timedelta(hours=5),
        ),
    )
    market.put(
        "A1HANBIT",
        order(
            "113-DONE",
            line("L1", "CUP-1", 1),
            updated=late,
            status=OrderStatus.CANCELLED,
        ),
    )
    market.put("A2DAEDEOK", order("113-OTHER", line("L1", "VASE-1", 1), updated=late))
    await pull(sessions, settings, world.amazon, market)
    await pull(sessions, settings, world.other_amazon, market)
    async with sessions() as db:
        rows = await db.execute(select(Order.marketplace_order_id, Order.id))
        return {row[0]: row[1] for row in rows}


async def test_company_pages_in_korean_and_english(
    app_client, sessions, settings, world, market
):
    ids = await orders(sessions, settings, world, market)
    await login(app_client, "kim@hanbit.example", PASSWORD)
    body = await (await app_client.get("/company/orders")).text()
    assert "주문과 발송" in body
    assert "발송 기한 지남" in body
    assert "기한 임박" in body
    assert "113-OTHER" not in body
    assert body.index("113-LATE") < body.index("113-RISK") < body.index("113-DONE")
    assert "관리하지 않는 SKU" in body
    # Ship-by 2026-11-30 23:00 UTC is the next morning in Seoul.
    assert "2026-12-01 08:00 KST" in body
    detail = await (await app_client.get(f"/company/orders/{ids['113-LATE']}")).text()
    assert "https://sellercentral.amazon.com/orders-v3/order/113-LATE" in detail
    assert CSRF_RE.search(detail)
    assert 'name="tracking_number"' in detail
    assert '<option value="USPS"' in detail
    english = await (await app_client.get("/company/orders?lang=en")).text()
    assert "Orders and shipping" in english
    assert "Late" in english
    other = await app_client.get(f"/company/orders/{ids['113-OTHER']}")
    assert other.status == 404


async def test_shipment_form_needs_csrf_and_confirms(
    app_client, sessions, settings, world, market
):
    ids = await orders(sessions, settings, world, market)
    token = await login(app_client, "kim@hanbit.example", PASSWORD)
    path = f"/company/orders/{ids['113-LATE']}"
    async with sessions() as db:
        line_row = await db.scalar(
            select(OrderLine.id).where(OrderLine.order_id == ids["113-LATE"])
        )
    form = {
        "carrier": "USPS",
        "tracking_number": "EZ99887766",
        "shipped_date": "2026-12-01",
        f"qty_{line_row}": "1",
    }
    denied = await app_client.post(
        f"{path}/shipments", data=form, allow_redirects=False
    )
    assert denied.status == 400
    assert market.confirmed == []
    bad = await app_client.post(
        f"{path}/shipments",
        data=form | {"csrf_token": token, "carrier": "Pigeon"},
        allow_redirects=False,
    )
    assert bad.status == 400
    assert "운송사" in await bad.text()
    assert market.confirmed == []
    ok = await app_client.post(
        f"{path}/shipments", data=form | {"csrf_token": token}, allow_redirects=False
    )
    assert ok.status == 303, await ok.text()
    assert [s.tracking_number for s in market.confirmed] == ["EZ99887766"]
    page = await (await app_client.get(ok.headers["Location"])).text()
    assert "발송 확인을 마켓플레이스에 보냈습니다" in page


async def test_api_company_sees_its_own_and_staff_filter(
    app_client, sessions, settings, world, market
):
    ids = await orders(sessions, settings, world, market)
    mine = await bearer(sessions, world.user)
    data = await (await app_client.get("/api/v1/orders", headers=mine)).json()
    assert {o["marketplace_order_id"] for o in data["items"]} == {
        "113-LATE",
        "113-RISK",
        "113-DONE",
    }
    first = data["items"][0]
    assert first["urgency"] == "late"
    assert first["ship_to_country"] == "US"
    assert not {"buyer", "name", "address", "email", "phone"} & set(first)
    resp = await app_client.get(f"/api/v1/orders/{ids['113-OTHER']}", headers=mine)
    assert resp.status == 404
    # A company cannot widen its view with filters.
    data = await (
        await app_client.get(
            f"/api/v1/orders?company_id={world.other.id}", headers=mine
        )
    ).json()
    assert "113-OTHER" not in {o["marketplace_order_id"] for o in data["items"]}
    staff = await bearer(sessions, world.staff)
    data = await (await app_client.get("/api/v1/orders", headers=staff)).json()
    assert data["total"] == 4
    for query, expected in (
        ("late=late", {"113-LATE"}),
        ("late=at_risk", {"113-RISK"}),
        ("status=cancelled", {"113-DONE"}),
        (f"company_id={world.other.id}", {"113-OTHER"}),
        ("company=대덕", {"113-OTHER"}),
        ("marketplace=ebay", set()),
        ("from=2026-12-02T00:00:00Z", set()),
    ):
        data = await (
            await app_client.get(f"/api/v1/orders?{query}", headers=staff)
        ).json()
        assert {o["marketplace_order_id"] for o in data["items"]} == expected, query
    bad = await app_client.get("/api/v1/orders?status=lost", headers=staff)
    assert bad.status == 400


async def test_api_shipment_and_openapi(app_client, sessions, settings, world, market):
    ids = await orders(sessions, settings, world, market)
    mine = await bearer(sessions, world.user)
    url = f"/api/v1/orders/{ids['113-LATE']}/shipments"
    refused = await app_client.post(
        f"/api/v1/orders/{ids['113-DONE']}/shipments",
        headers=mine,
        json={"carrier": "USPS", "tracking_number": "EZ12345"},
    )
    assert refused.status == 409
    error = (await refused.json())["error"]
    assert error["message_ko"]
    assert error["message_en"]
    other = await app_client.post(
        f"/api/v1/orders/{ids['113-OTHER']}/shipments",
        headers=mine,
        json={"carrier": "USPS", "tracking_number": "EZ12345"},
    )
    assert other.status == 404
    made = await app_client.post(
        url,
        headers=mine,
        json={
            "carrier": "UPS",
            "tracking_number": "1Z999",
            "lines": [{"line_id": "L1", "quantity": 1}],
        },
    )
    assert made.status == 201, await made.text()
    assert (await made.json())["status"] == "confirmed"
    doc = await (await app_client.get("/api/v1/openapi.json")).json()
    assert {
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/shipments",
    } <= set(doc["paths"])


async def test_staff_page_filters(app_client, sessions, settings, world, market):
    await orders(sessions, settings, world, market)
    await login(app_client, "staff@agency.example", PASSWORD)
    body = await (await app_client.get("/staff/orders?late=urgent")).text()
    assert "113-LATE" in body
    assert "113-RISK" in body
    assert "113-DONE" not in body
    assert "대덕공예" not in body
    body = await (await app_client.get("/staff/orders?company=1234567892")).text()
    assert "113-OTHER" in body
    assert "113-LATE" not in body
    company = await app_client.get("/staff/orders", allow_redirects=False)
    assert company.status == 200
