"""Every request the Amazon connectors send carries exactly what Amazon's
official models define: each one is captured on the emulator's socket and
validated against its operation in ``../shared/specs/amazon`` (path, query
and body, with properties the model does not declare treated as errors).

python-amazon-sp-api adds fields of its own (marketplace ids under four
names, its ``path`` routing key); these tests fail if any reaches the wire.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import pytest
from aiohttp import web

from connectors.amazon.client import AmazonListingsClient
from connectors.amazon.product_types import ProductTypeCache
from connectors.amazon.transport import AmazonTransport
from connectors.base import Marketplace, PriceQuantityUpdate, SellerAccount
from emulators.amazon import AmazonEmulator, EmulatorConfig, EmulatorTLS
from tests.amazon.conftest import REFRESH, SELLER, US, amazon_settings, payload


def _specs() -> Path:
    root = next(
        p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()
    )
    return root.parent / "shared" / "specs" / "amazon"


SPECS = _specs()
MODELS = (
    "listingsItems_2021-08-01.json",
    "feeds_2021-06-30.json",
    "definitionsProductTypes_2020-09-01.json",
    "listingsRestrictions_2021-08-01.json",
)
if not all((SPECS / name).exists() for name in MODELS):
    if os.environ.get("CI"):
        pytest.fail(f"the official SP-API models are missing from {SPECS}")
    pytestmark = pytest.mark.skip(reason=f"no SP-API models in {SPECS}")

#: Login with Amazon's token request fields per grant (LWA documentation).
LWA_FIELDS = {
    "refresh_token": (
        {"grant_type", "refresh_token", "client_id", "client_secret"},
        set(),
    ),
    "authorization_code": (
        {"grant_type", "code", "client_id", "client_secret"},
        {"redirect_uri"},
    ),
}


@dataclass(frozen=True)
class Captured:
    method: str
    path: str
    query: list[tuple[str, str]]
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Operation:
    model: dict[str, Any]
    operation_id: str
    template: str
    spec: dict[str, Any]


@cache
def _operations() -> list[tuple[re.Pattern[str], str, Operation]]:
    found = []
    for name in MODELS:
        model = json.loads((SPECS / name).read_text())
        for template, item in model["paths"].items():
            shared = item.get("parameters", [])
            for method, spec in item.items():
                if method == "parameters":
                    continue
                spec = {**spec, "parameters": shared + spec.get("parameters", [])}
                pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
                found.append(
                    (
                        re.compile(pattern),
                        method.upper(),
                        Operation(model, spec["operationId"], template, spec),
                    )
                )
    return found


def operation_of(request: Captured) -> Operation | None:
    for pattern, method, operation in _operations():
        if method == request.method and pattern.fullmatch(request.path):
            return operation
    return None


def _closed(schema: Any) -> Any:
    """``schema`` with undeclared properties refused wherever the model does
    not say what extra properties may be."""
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


def _validate(schema: dict[str, Any], model: dict[str, Any], value: Any) -> list[str]:
    root = {
        **_closed(copy.deepcopy(schema)),
        "definitions": _closed(model["definitions"]),
    }
    validator = jsonschema.Draft4Validator(root)
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)
    ]


def _query_value(parameter: dict[str, Any], raw: str) -> Any:
    if parameter.get("type") == "array":
        return [_scalar(parameter["items"], item) for item in raw.split(",")]
    return _scalar(parameter, raw)


def _scalar(schema: dict[str, Any], raw: str) -> Any:
    if schema.get("type") == "integer":
        return int(raw) if raw.lstrip("-").isdigit() else raw
    if schema.get("type") == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _param_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    keys = ("type", "items", "enum", "maxItems", "minItems", "maximum", "minimum")
    keys += ("maxLength", "minLength", "pattern")
    return {k: parameter[k] for k in keys if k in parameter}


def violations(request: Captured) -> list[str]:
    """What in ``request`` its operation's model does not allow."""
    operation = operation_of(request)
    if operation is None:
        return [f"{request.method} {request.path} is no operation of the models"]
    parameters = operation.spec["parameters"]
    name = operation.operation_id
    found: list[str] = []
    query = {p["name"]: p for p in parameters if p["in"] == "query"}
    names = [key for key, _ in request.query]
    for key in sorted(set(names)):
        if key not in query:
            found.append(f"{name}: unknown query parameter {key!r}")
        elif names.count(key) > 1:
            found.append(f"{name}: {key!r} repeated (the model wants one csv value)")
    for key, raw in request.query:
        if key in query:
            value = _query_value(query[key], raw)
            for error in _validate(_param_schema(query[key]), operation.model, value):
                found.append(f"{name}: query {key!r}: {error}")
    for key, parameter in query.items():
        if parameter.get("required") and key not in names:
            found.append(f"{name}: required query parameter {key!r} missing")
    body = [p for p in parameters if p["in"] == "body"]
    if not body:
        if request.body:
            found.append(f"{name}: a body the model does not define")
        return found
    if "application/json" not in request.content_type:
        found.append(f"{name}: body sent as {request.content_type!r}")
    try:
        document = json.loads(request.body)
    except json.JSONDecodeError:
        return [*found, f"{name}: the body is not JSON"]
    for error in _validate(body[0]["schema"], operation.model, document):
        found.append(f"{name}: body {error}")
    return found


def test_the_checker_refuses_what_the_library_used_to_add() -> None:
    """The checker itself: each field the library added is an error."""
    put = Captured(
        "PUT",
        f"/listings/2021-08-01/items/{SELLER}/SKU-1",
        [("marketplaceIds", US)],
        "application/json",
        json.dumps(
            {
                "productType": "TEA",
                "attributes": {},
                "MarketplaceId": US,
                "marketplace_ids": [US],
            }
        ).encode(),
    )
    assert [v.split(": ", 1)[1] for v in violations(put)] == [
        "body []: Additional properties are not allowed "
        "('MarketplaceId', 'marketplace_ids' were unexpected)"
    ]
    feed = Captured(
        "POST",
        "/feeds/2021-06-30/documents",
        [],
        "application/json",
        b'{"contentType": "text/tsv", "path": "/feeds/2021-06-30/documents"}',
    )
    assert len(violations(feed)) == 1
    delete = Captured(
        "DELETE",
        f"/listings/2021-08-01/items/{SELLER}/SKU-1",
        [("marketplaceIds", US), ("MarketplaceId", US), ("marketplaceIds", US)],
        "",
        b"",
    )
    assert sorted(violations(delete)) == [
        "deleteListingsItem: 'marketplaceIds' repeated (the model wants one csv value)",
        "deleteListingsItem: unknown query parameter 'MarketplaceId'",
    ]
    bad_type = Captured(
        "GET", f"/listings/2021-08-01/items/{SELLER}", [("pageSize", "many")], "", b""
    )
    assert "searchListingsItems: required query parameter 'marketplaceIds' missing" in (
        violations(bad_type)
    )


@pytest.fixture
async def recorded(
    emulator_config: EmulatorConfig, tls: EmulatorTLS
) -> AsyncIterator[tuple[AmazonEmulator, list[Captured]]]:
    captured: list[Captured] = []

    @web.middleware
    async def record(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        captured.append(
            Captured(
                request.method,
                request.path,
                parse_qsl(request.query_string, keep_blank_values=True),
                request.headers.get("Content-Type", ""),
                await request.read(),
            )
        )
        return await handler(request)

    emulator = AmazonEmulator(emulator_config, tls=tls)
    emulator.app.middlewares.insert(0, record)
    async with emulator:
        yield emulator, captured


async def test_every_request_matches_its_model(
    recorded: tuple[AmazonEmulator, list[Captured]], ca_file: Path
) -> None:
    emulator, captured = recorded
    transport = AmazonTransport(amazon_settings(emulator, ca_file))
    account = SellerAccount(Marketplace.AMAZON, SELLER, US, "na")
    async with AmazonListingsClient(
        transport, account, REFRESH, ProductTypeCache()
    ) as client:
        await client.check_connection()
        await client.definition("TEA", seller_specific=True)
        await client.put_listing(payload(sku="REQ-1"))
        await client.put_listing(payload(sku="REQ-2"), validate_only=True)
        await client.update_price_quantity(
            [PriceQuantityUpdate("REQ-1", price=None, quantity=3)]
        )
        await client.get_listing("REQ-1")
        await client.delete_listing("REQ-1")
        await client.bulk_put_listings([payload(sku="REQ-3")])
        live = await client.get_listing("REQ-2")
        await client.listing_restrictions(live.listing_id if live else "B000000000")
        session = client.session
        await transport.call(
            "searchDefinitionsProductTypes",
            session,
            lambda: session.definitions.search_definitions_product_types(
                marketplaceIds=[US], keywords="tea"
            ),
        )
    code = emulator.state.issue_auth_code(SELLER)
    await transport.exchange_code(code)

    sp_api = [r for r in captured if operation_of(r) is not None]
    seen = {operation_of(r).operation_id for r in sp_api}  # type: ignore[union-attr]
    assert seen >= {
        "searchListingsItems",
        "getDefinitionsProductType",
        "putListingsItem",
        "patchListingsItem",
        "getListingsItem",
        "deleteListingsItem",
        "createFeedDocument",
        "createFeed",
        "getFeed",
        "getFeedDocument",
        "searchDefinitionsProductTypes",
        "getListingsRestrictions",
    }
    assert [v for r in sp_api for v in violations(r)] == []

    tokens = [r for r in captured if r.path == "/auth/o2/token"]
    assert {dict(parse_qsl(r.body.decode()))["grant_type"] for r in tokens} == set(
        LWA_FIELDS
    )
    for request in tokens:
        assert request.content_type.startswith("application/x-www-form-urlencoded")
        form = dict(parse_qsl(request.body.decode()))
        required, optional = LWA_FIELDS[form["grant_type"]]
        assert required <= set(form) <= required | optional

    assert_upload_matches_feed_document(captured)


def assert_upload_matches_feed_document(captured: list[Captured]) -> None:
    """The feed upload is a PUT of a listings feed (v2) document under the
    content type declared at createFeedDocument."""
    (document,) = [
        r for r in captured if r.method == "POST" and r.path.endswith("/documents")
    ]
    declared = json.loads(document.body)["contentType"]
    others = [r for r in captured if operation_of(r) is None]
    uploads = [r for r in others if r.method == "PUT"]
    assert len(uploads) == 1
    assert uploads[0].content_type == declared
    feed_schema = json.loads((SPECS / "listings-feed-schema-v2.json").read_text())
    errors = jsonschema.Draft7Validator(feed_schema).iter_errors(
        json.loads(uploads[0].body)
    )
    assert [e.message for e in errors] == []
