"""Contract: every Orders API request AmazonOrdersClient sends and every answer
the emulator gives, against Amazon's models in ``<repo>/../shared/specs/amazon``
(``ordersV0.json``, ``orders_2026-01-01.json``). Unknown request parameters and
properties are errors (the library adds some of its own on some operations);
answers are validated as served, never edited to fit.

Skipped when the models are absent locally; fails when ``CI`` is set.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import ssl
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator

from connectors.amazon.orders import INCLUDED_DATA, STATUSES
from connectors.amazon.transport import OPERATION_RATES
from connectors.base import ShipmentLine, ShipmentRequest
from emulators.amazon import AmazonEmulator
from emulators.amazon.orders import V0_STATUS
from export_hub.errors import NeedsHumanError
from tests.amazon.conftest import SELLER, US
from tests.amazon.test_orders import EARLIER, MakeOrders, live_listing, make_orders
from tests.specs import SPECS as ALL_SPECS
from tests.specs import require_specs

__all__ = ["make_orders"]  # the fixture, shared with test_orders

SPECS = ALL_SPECS / "amazon"
V0 = "ordersV0.json"
V2026 = "orders_2026-01-01.json"


@pytest.fixture(autouse=True)
def _official_models() -> None:
    require_specs(SPECS / V0, SPECS / V2026)


@cache
def model(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPECS / name).read_text())
    return loaded


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that
    lists its properties: a property the model does not define is an error."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def check(name: str, definition: str, instance: Any) -> None:
    schema = {
        "definitions": strict(copy.deepcopy(model(name)["definitions"])),
        "$ref": f"#/definitions/{definition}",
    }
    errors = [e.message for e in Draft4Validator(schema).iter_errors(instance)]
    assert errors == [], f"{definition}: {errors}"


def operation(name: str) -> tuple[str, dict[str, Any]]:
    for document in (V0, V2026):
        for methods in model(document)["paths"].values():
            for op in methods.values():
                if isinstance(op, dict) and op.get("operationId") == name:
                    return document, op
    raise AssertionError(f"{name} is in no model")


def check_query(name: str, pairs: list[tuple[str, str]]) -> None:
    """Every query parameter is the operation's, with a value of its type."""
    _, op = operation(name)
    params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    names = [key for key, _ in pairs]
    assert len(names) == len(set(names)), f"{name}: repeated parameters {names}"
    unknown = set(names) - set(params)
    assert not unknown, f"{name}: parameters the model does not define: {unknown}"
    missing = {n for n, p in params.items() if p.get("required")} - set(names)
    assert not missing, f"{name}: required parameters missing: {missing}"
    for key, value in pairs:
        spec = params[key]
        if spec["type"] == "array":
            values = value.split(",")
            enum = spec["items"].get("enum")
            assert not enum or set(values) <= set(enum), (key, values)
            assert len(values) <= spec.get("maxItems", len(values))
        elif spec["type"] == "integer":
            assert value.isdigit(), (key, value)
        elif spec.get("format") == "date-time":
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_connector_paces_every_orders_operation_at_its_documented_rate() -> None:
    for name, rate, burst in (
        ("searchOrders", "0.0056", 20),
        ("getOrders", "0.0167", 20),
        ("getOrderItems", "0.5", 30),
        ("confirmShipment", "2", 10),
    ):
        _, op = operation(name)
        assert f"| {rate} | {burst} |" in op["description"], name
        rate = float(rate)
        assert OPERATION_RATES[name].per_second == rate
        assert OPERATION_RATES[name].burst == burst


def test_the_enums_the_connector_relies_on() -> None:
    definitions = model(V2026)["definitions"]
    assert set(STATUSES) == set(definitions["FulfillmentStatus"]["enum"])
    _, search = operation("searchOrders")
    included = next(p for p in search["parameters"] if p["name"] == "includedData")
    assert set(INCLUDED_DATA) <= set(included["items"]["enum"])
    assert "BUYER" not in INCLUDED_DATA
    v0_statuses = model(V0)["definitions"]["Order"]["properties"]["OrderStatus"]["enum"]
    assert set(V0_STATUS.values()) <= set(v0_statuses)


async def test_connector_requests_follow_the_models(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    placed = [book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER) for _ in range(3)]
    book.authorise_payments(at=EARLIER)
    book.cancel(placed[2].order_id, at=EARLIER)
    # Bought in the window, paid after it: found by creation, with its items.
    book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    book.authorise_payments(at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    client = make_orders()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    after = EARLIER - dt.timedelta(minutes=1)
    assert (
        len([o async for o in client.orders_updated(after=after, before=before)]) == 4
    )
    request = ShipmentRequest(
        order_id=placed[0].order_id,
        lines=(ShipmentLine(placed[0].items[0].order_item_id, 1),),
        carrier_code="Korea Post",
        tracking_number="EK123456789KR",
        shipped_at=EARLIER + dt.timedelta(minutes=1),
        shipping_method="EMS",
    )
    await client.confirm_shipment(request)
    cancelled = ShipmentRequest(
        placed[2].order_id,
        (ShipmentLine(placed[2].items[0].order_item_id, 1),),
        "DHL",
        "1234567890",
        EARLIER + dt.timedelta(minutes=1),
    )
    with pytest.raises(NeedsHumanError):
        await client.confirm_shipment(cancelled)

    sent = book.requests
    assert {name for name, _, _ in sent} == {
        "searchOrders",
        "getOrders",
        "getOrderItems",
        "confirmShipment",
    }
    for name, query, body in sent:
        check_query(name, query)
        if body is not None:
            check(V0, "ConfirmShipmentRequest", body)


@pytest.fixture
async def http(emulator: AmazonEmulator, ca_file: Path) -> Any:
    token = emulator.state.issue_access_token(SELLER)
    async with httpx.AsyncClient(
        base_url=emulator.base_url,
        verify=ssl.create_default_context(cafile=str(ca_file)),
        headers={"x-amz-access-token": token},
    ) as client:
        yield client


async def test_emulator_answers_follow_the_models(
    emulator: AmazonEmulator, http: httpx.AsyncClient
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    orders = [book.place_order(SELLER, "HB-TEA-001", 2, at=EARLIER) for _ in range(3)]
    book.authorise_payments(at=EARLIER)
    book.cancel(orders[1].order_id, at=EARLIER)
    after = (EARLIER - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    all_data = ",".join(
        next(
            p
            for p in operation("searchOrders")[1]["parameters"]
            if p["name"] == "includedData"
        )["items"]["enum"]
    )

    search = await http.get(
        "/orders/2026-01-01/orders",
        params={
            "lastUpdatedAfter": after,
            "marketplaceIds": US,
            "maxResultsPerPage": "2",
            "includedData": all_data,
        },
    )
    assert search.status_code == 200
    check(V2026, "SearchOrdersResponse", search.json())
    token = search.json()["pagination"]["nextToken"]
    second = await http.get(
        "/orders/2026-01-01/orders",
        params={
            "lastUpdatedAfter": after,
            "marketplaceIds": US,
            "maxResultsPerPage": "2",
            "includedData": all_data,
            "paginationToken": token,
        },
    )
    check(V2026, "SearchOrdersResponse", second.json())
    assert "pagination" not in second.json()

    v0 = await http.get(
        "/orders/v0/orders",
        params={
            "LastUpdatedAfter": after,
            "MarketplaceIds": US,
            "MaxResultsPerPage": "2",
        },
    )
    check(V0, "GetOrdersResponse", v0.json())
    assert v0.json()["payload"]["NextToken"]
    items = await http.get(f"/orders/v0/orders/{orders[0].order_id}/orderItems")
    check(V0, "GetOrderItemsResponse", items.json())

    confirmed = await http.post(
        f"/orders/v0/orders/{orders[1].order_id}/shipmentConfirmation",
        json={
            "marketplaceId": US,
            "packageDetail": {
                "packageReferenceId": "1",
                "carrierCode": "UPS",
                "trackingNumber": "1Z999AA10123456784",
                "shipDate": after,
                "orderItems": [
                    {"orderItemId": orders[1].items[0].order_item_id, "quantity": 1}
                ],
            },
        },
    )
    assert confirmed.status_code == 400
    check(V0, "ConfirmShipmentErrorResponse", confirmed.json())
    too_recent = await http.get(
        "/orders/2026-01-01/orders",
        params={
            "lastUpdatedAfter": after,
            "lastUpdatedBefore": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "marketplaceIds": US,
        },
    )
    assert too_recent.status_code == 400
    check(V2026, "ErrorList", too_recent.json())
    unknown = await http.get(
        f"/orders/v0/orders/{orders[0].order_id}/orderItems",
        params={"MarketplaceIds": US},  # what the library adds on its own
    )
    assert unknown.status_code == 400
    check(V0, "GetOrderItemsResponse", unknown.json())


async def test_emulator_filters_by_fulfillment_status_and_prices_no_pending_item(
    emulator: AmazonEmulator, http: httpx.AsyncClient
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    paid = book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    book.authorise_payments(at=EARLIER)
    pending = book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    query = {
        "lastUpdatedAfter": (EARLIER - dt.timedelta(minutes=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "marketplaceIds": US,
        "includedData": "FULFILLMENT",
    }

    answers = {
        statuses: await http.get(
            "/orders/2026-01-01/orders",
            params={**query, "fulfillmentStatuses": statuses} if statuses else query,
        )
        for statuses in ("", "PENDING", "UNSHIPPED,SHIPPED")
    }
    wrong = await http.get(
        "/orders/2026-01-01/orders", params={**query, "fulfillmentStatuses": "Pending"}
    )
    items = await http.get(f"/orders/v0/orders/{pending.order_id}/orderItems")

    found = {
        statuses: {o["orderId"] for o in answer.json()["orders"]}
        for statuses, answer in answers.items()
    }
    assert found == {
        "": {paid.order_id, pending.order_id},
        "PENDING": {pending.order_id},
        "UNSHIPPED,SHIPPED": {paid.order_id},
    }
    assert wrong.status_code == 400
    check(V2026, "ErrorList", wrong.json())
    check(V0, "GetOrderItemsResponse", items.json())
    assert "ItemPrice" not in items.json()["payload"]["OrderItems"][0]
