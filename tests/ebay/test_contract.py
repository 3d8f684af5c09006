"""Contract: the connector and the emulator against eBay's own OpenAPI
documents in ``<repo>/../shared/specs/ebay`` (found by :mod:`tests.specs`;
skipped when absent, failed when absent in CI).

Every REST path and method the emulator serves and the connector calls must
exist in ``sell_inventory_v1_oas3.json`` / ``sell_account_v1_oas3.json``; the
request bodies the connector sends and the bodies the emulator answers must
validate against the operation's component schemas ($refs resolved).
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from functools import cache
from typing import Any

import jsonschema
import pytest

from connectors.base import PriceQuantityUpdate
from connectors.ebay.inventory import EbayInventoryClient
from connectors.ebay.legacy import MIGRATE_BATCH
from emulators.ebay import EbayEmulator, EmulatorConfig, create_emulator_app
from emulators.ebay.state import EmulatorState
from tests.ebay.conftest import SELLER, MakeTransport, listing
from tests.specs import SPECS as ALL_SPECS
from tests.specs import require_specs

SPECS = ALL_SPECS / "ebay"
APIS = {
    "/sell/inventory/v1": "sell_inventory_v1_oas3.json",
    "/sell/account/v1": "sell_account_v1_oas3.json",
    "/sell/fulfillment/v1": "sell_fulfillment_v1_oas3.json",
}
METHODS = ("get", "post", "put", "delete")


@pytest.fixture(autouse=True)
def _official_models() -> None:
    require_specs(*(SPECS / name for name in APIS.values()))


@cache
def spec(base: str) -> dict[str, Any]:
    document = json.loads((SPECS / APIS[base]).read_text())
    schemas = document["components"]["schemas"]
    if "Product" in schemas:
        # eBay's document types ``aspects`` as a string, but the API takes
        # (and its own examples send) an object of name -> list of values.
        aspects = schemas["Product"]["properties"]["aspects"]
        schemas["Product"]["properties"]["aspects"] = {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": aspects.get("description", ""),
        }
    return document


def operation(method: str, path: str) -> tuple[str, str, dict[str, Any]] | None:
    """The spec operation for a concrete request path, literal paths first."""
    for base in APIS:
        if not path.startswith(base + "/"):
            continue
        rest = path[len(base) :]
        candidates = sorted(
            spec(base)["paths"].items(), key=lambda kv: kv[0].count("{")
        )
        for template, ops in candidates:
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, rest) and method.lower() in ops:
                return base, template, ops[method.lower()]
    return None


def validate(base: str, schema: dict[str, Any], body: Any) -> None:
    root = {**copy.deepcopy(schema), "components": spec(base)["components"]}
    jsonschema.Draft7Validator(root).validate(body)


def body_schema(content: dict[str, Any]) -> dict[str, Any] | None:
    for media in content.values():
        if media.get("schema"):
            return dict(media["schema"])
    return None


ERRORS = {
    "type": "object",
    "properties": {
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}
    },
}


def test_every_emulator_route_is_in_ebays_documents() -> None:
    app = create_emulator_app(EmulatorState(EmulatorConfig()))
    checked = 0
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method == "HEAD" or not path.startswith("/sell/"):
            continue  # OAuth, Identity and Trading are other documents
        concrete = re.sub(r"\{[^}]+\}", "X", path)
        assert operation(route.method, concrete), (
            f"{route.method} {path} not in eBay's spec"
        )
        checked += 1
    assert checked >= 25


async def exercise(client: EbayInventoryClient, emulator: EbayEmulator) -> None:
    """Every connector operation, including failures, against the emulator."""
    await client.check_connection()
    first = await client.put_listing(listing("C-1"))
    await client.put_listing(listing("C-1", price="21.00"))
    await client.put_listing(listing("C-2"), validate_only=True)
    await client.put_listing(listing("C-3", aspects={}))
    results = await client.bulk_put_listings(
        [listing(f"C-B{i}") for i in range(4)] + [listing("C-BAD", title="x" * 90)]
    )
    await client.update_price_quantity(
        [
            PriceQuantityUpdate(
                r.sku, Decimal("9.99"), quantity=2, listing_id=r.submission_id
            )
            for r in results[:3]
        ]
        + [PriceQuantityUpdate("C-1", quantity=1, listing_id=first.submission_id)]
    )
    await client.get_listing("C-1")
    await client.get_listing("missing")
    await client.delete_listing("C-1")
    await client.setup.ensure_location()  # 409: exists
    ids = [
        emulator.state.add_legacy_item(
            SELLER,
            sku=f"C-L{i}",
            title="Legacy",
            price="5.00",
            currency="USD",
            quantity=1,
            category_id="183440",
        ).item_id
        for i in range(2)
    ]
    await client._t.request(
        "POST",
        "/sell/inventory/v1/bulk_migrate_listing",
        api="inventory",
        operation="inventory.bulk_migrate_listing",
        json={"requests": [{"listingId": i} for i in [*ids, "404"][:MIGRATE_BATCH]]},
    )


async def test_connector_requests_and_emulator_answers_follow_the_schemas(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    emulator.state.record_exchanges = True
    await exercise(EbayInventoryClient(make_transport()), emulator)
    seen: set[tuple[str, str]] = set()
    for method, path, _, body in emulator.state.log:
        found = operation(method, path)
        assert found, f"the connector called {method} {path}, not in eBay's spec"
        base, template, op = found
        seen.add((method, template))
        if body is not None:
            schema = body_schema(op.get("requestBody", {}).get("content", {}))
            assert schema, f"{method} {template} takes no body"
            validate(base, schema, body)
    for method, path, status, body in emulator.state.exchanges:
        found = operation(method, path)
        assert found
        base, template, op = found
        responses = op["responses"]
        assert str(status) in responses, f"{method} {template} answered {status}"
        if body is None:
            continue
        if status >= 400:
            validate(base, ERRORS, body)
            continue
        content = responses[str(status)].get("content") or responses["200"].get(
            "content", {}
        )
        schema = body_schema(content)
        if schema is not None:
            validate(base, schema, body)
    # publishOffer and withdrawOffer define no requestBody: nothing is sent,
    # not even a Content-Type.
    sent = emulator.state.bodyless_calls
    assert {path.rsplit("/", 1)[1] for path, *_ in sent} == {"publish", "withdraw"}
    for path, content_type, size in sent:
        found = operation("POST", path)
        assert found
        assert "requestBody" not in found[2], path
        assert (content_type, size) == (None, 0), path
    assert len(seen) >= 20
    assert {
        ("POST", "/bulk_create_offer"),
        ("POST", "/bulk_update_price_quantity"),
        ("POST", "/offer/get_listing_fees"),
        ("POST", "/fulfillment_policy/"),
        ("POST", "/bulk_migrate_listing"),
    } <= seen
