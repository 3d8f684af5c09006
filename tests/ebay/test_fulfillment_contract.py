"""Contract: every Fulfillment API request EbayFulfillmentClient sends and
every answer the eBay emulator gives, against ``sell_fulfillment_v1_oas3.json``
in ``<repo>/../shared/specs/ebay``. Unknown query parameters and body
properties are errors; answers are validated as served, never edited to fit.

Skipped when the document is absent locally; fails when ``CI`` is set.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from functools import cache
from typing import Any

import jsonschema
import pytest

from connectors.base import OrderStatus, ShipmentLine, ShipmentRequest
from connectors.ebay.fulfillment import (
    FULFILLMENT_STATUSES,
    PAGE_SIZE,
    EbayFulfillmentClient,
)
from emulators.ebay import EbayEmulator
from export_hub.errors import NeedsHumanError
from tests.ebay.conftest import SELLER, MakeTransport
from tests.ebay.test_fulfillment import AFTER, BEFORE, EARLIER, SKU, live_offer
from tests.specs import SPECS, require_specs

SPEC = SPECS / "ebay" / "sell_fulfillment_v1_oas3.json"
BASE = "/sell/fulfillment/v1"


@pytest.fixture(autouse=True)
def _official_model() -> None:
    require_specs(SPEC)


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC.read_text())
    return loaded


def strict(schema: Any) -> Any:
    """``additionalProperties: false`` wherever the document lists properties."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def validate(schema: dict[str, Any], instance: Any) -> None:
    root = {**schema, "components": strict(copy.deepcopy(spec()["components"]))}
    errors = [e.message for e in jsonschema.Draft7Validator(root).iter_errors(instance)]
    assert errors == [], errors


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def op(operation_id: str) -> dict[str, Any]:
    for methods in spec()["paths"].values():
        for found in methods.values():
            if isinstance(found, dict) and found.get("operationId") == operation_id:
                return found
    raise AssertionError(operation_id)


ERRORS = {
    "type": "object",
    "properties": {"errors": {"type": "array", "items": ref("Error")}},
    "additionalProperties": False,
}


def check_query(operation_id: str, query: dict[str, str]) -> None:
    params = {
        p["name"] for p in op(operation_id).get("parameters", []) if p["in"] == "query"
    }
    unknown = set(query) - params
    assert not unknown, f"{operation_id}: parameters eBay does not define: {unknown}"
    if "limit" in query:
        assert 1 <= int(query["limit"]) <= 200
    if "filter" in query:
        for criterion in query["filter"].split(","):
            assert re.match(r"^lastmodifieddate:\[[^\]]+\.\.[^\]]+\]$", criterion), (
                criterion
            )


def test_the_connector_uses_the_documented_limits_and_enums() -> None:
    limit = next(p for p in op("getOrders")["parameters"] if p["name"] == "limit")
    assert "<b>Maximum:</b> <code>200</code>" in limit["description"]
    assert PAGE_SIZE == 200
    status = spec()["components"]["schemas"]["Order"]["properties"][
        "orderFulfillmentStatus"
    ]
    assert "OrderFulfillmentStatus" in status["description"]
    assert set(FULFILLMENT_STATUSES) == {"NOT_STARTED", "IN_PROGRESS", "FULFILLED"}
    assert "Location" in op("createShippingFulfillment")["responses"]["201"]["headers"]


async def test_connector_requests_and_emulator_answers_follow_the_document(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    live_offer(emulator)
    book = emulator.state.orders
    placed = [book.place_order(SELLER, SKU, 2, at=EARLIER) for _ in range(3)]
    book.cancel(placed[2].order_id, at=EARLIER)
    emulator.state.record_exchanges = True
    client = EbayFulfillmentClient(make_transport())

    found = [o async for o in client.orders_updated(after=AFTER, before=BEFORE)]
    assert {o.status for o in found} == {OrderStatus.UNSHIPPED, OrderStatus.CANCELLED}
    shipment = ShipmentRequest(
        order_id=placed[0].order_id,
        lines=(ShipmentLine(placed[0].lines[0].line_item_id, 2),),
        carrier_code="KoreaPost",
        tracking_number="RR123456789KR",
        shipped_at=EARLIER + dt.timedelta(minutes=1),
    )
    result = await client.confirm_shipment(shipment)
    assert result.shipment_id
    with pytest.raises(NeedsHumanError):
        await client.confirm_shipment(
            ShipmentRequest(
                placed[2].order_id,
                (ShipmentLine(placed[2].lines[0].line_item_id, 1),),
                "DHL",
                "1234567890",
                EARLIER + dt.timedelta(minutes=1),
            )
        )

    for operation_id, query, body in book.requests:
        check_query(operation_id, query)
        if body is not None:
            validate(ref("ShippingFulfillmentDetails"), body)
    assert {name for name, _, _ in book.requests} == {
        "getOrders",
        "createShippingFulfillment",
    }

    answers = [e for e in emulator.state.exchanges if e[1].startswith(BASE)]
    assert {status for _, _, status, _ in answers} == {200, 201, 400}
    for method, _path, status, body in answers:
        if status >= 400:
            validate(ERRORS, body)
        elif method == "GET":
            validate(ref("OrderSearchPagedCollection"), body)
        else:
            validate({"type": "object"}, body)
