"""The connector and the emulator against Amazon's official models
(``../shared/specs/amazon``): paths, methods, required parameters, enums,
request and response bodies, feed documents, and the product type validator
against a real product type schema. Skips when the models are absent."""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator, Draft201909Validator

from connectors.amazon.bulk import feed_document
from connectors.amazon.client import GET_INCLUDED, AmazonListingsClient
from connectors.amazon.product_types import SchemaChecksumMismatch, checksum_matches
from connectors.amazon.schema import attribute_issues, compile_schema
from connectors.amazon.transport import OPERATION_RATES
from emulators.amazon import AmazonEmulator, EmulatorConfig
from emulators.amazon.common import SP_API_PREFIXES
from emulators.amazon.product_types import PRODUCT_TYPES, build_schema
from tests.amazon.conftest import SELLER, US, attributes, payload
from tests.amazon.test_schema_keywords import (
    bracelet,
    bracelet_attributes,
    require_bracelet,
)
from tests.specs import SPECS as ALL_SPECS
from tests.specs import require_specs

SPECS = ALL_SPECS / "amazon"
LISTINGS = "listingsItems_2021-08-01.json"
FEEDS = "feeds_2021-06-30.json"
DEFINITIONS = "definitionsProductTypes_2020-09-01.json"
ORDERS_V0 = "ordersV0.json"
ORDERS = "orders_2026-01-01.json"
RESTRICTIONS = "listingsRestrictions_2021-08-01.json"


@pytest.fixture(autouse=True)
def _official_models() -> None:
    names = (LISTINGS, FEEDS, DEFINITIONS, ORDERS_V0, ORDERS, RESTRICTIONS)
    require_specs(*(SPECS / name for name in names))


@cache
def model(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPECS / name).read_text())
    return loaded


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation) across the models."""
    found = {}
    for name in (LISTINGS, FEEDS, DEFINITIONS, ORDERS_V0, ORDERS, RESTRICTIONS):
        for path, methods in model(name)["paths"].items():
            for method, op in methods.items():
                if method != "parameters":
                    found[op["operationId"]] = (method.upper(), path, op)
    return found


def definition_validator(name: str, definition: str) -> Draft4Validator:
    """A validator for one Swagger 2.0 definition (draft-4 semantics)."""
    schema = {
        "definitions": model(name)["definitions"],
        "$ref": f"#/definitions/{definition}",
    }
    return Draft4Validator(schema)


def check(name: str, definition: str, instance: Any) -> None:
    errors = [
        e.message for e in definition_validator(name, definition).iter_errors(instance)
    ]
    assert errors == [], f"{definition}: {errors}"


def param(op: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in op["parameters"] if p.get("name") == name)


def test_every_operation_the_connector_paces_exists() -> None:
    known = operations()
    sp_api_operations = {
        op
        for op in OPERATION_RATES
        if op not in ("uploadFeedDocument", "downloadSchema", "lwaToken")
    }
    assert sp_api_operations <= set(known)


def test_emulator_routes_are_the_models_paths(emulator: AmazonEmulator) -> None:
    known = {(method, path) for method, path, _ in operations().values()}
    for route in emulator.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method == "HEAD" or not path.startswith(SP_API_PREFIXES):
            continue
        assert (route.method, path) in known, (route.method, path)


def test_required_parameters_and_enums_used() -> None:
    ops = operations()
    for name in (
        "getListingsItem",
        "putListingsItem",
        "patchListingsItem",
        "deleteListingsItem",
        "searchListingsItems",
        "searchDefinitionsProductTypes",
        "getDefinitionsProductType",
    ):
        assert param(ops[name][2], "marketplaceIds")["required"] is True
    for name in ("putListingsItem", "deleteListingsItem"):
        assert param(ops[name][2], "marketplaceIds")["maxItems"] == 1
    included = param(ops["getListingsItem"][2], "includedData")["items"]["enum"]
    assert set(GET_INCLUDED) <= set(included)
    assert param(ops["putListingsItem"][2], "mode")["enum"] == ["VALIDATION_PREVIEW"]
    definitions = model(LISTINGS)["definitions"]
    assert set(
        definitions["ListingsItemPutRequest"]["properties"]["requirements"]["enum"]
    ) >= {"LISTING"}
    assert set(definitions["PatchOperation"]["properties"]["op"]["enum"]) >= {"replace"}
    statuses = model(FEEDS)["definitions"]["Feed"]["properties"]["processingStatus"][
        "enum"
    ]
    assert {"DONE", "FATAL", "CANCELLED"} <= set(statuses)
    summary = definitions["ItemSummaryByMarketplace"]["properties"]["status"]["items"]
    assert set(summary["enum"]) == {"BUYABLE", "DISCOVERABLE"}
    requirements = param(ops["getDefinitionsProductType"][2], "requirements")["enum"]
    assert "LISTING" in requirements


async def test_request_and_response_bodies_match_the_models(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    from connectors.base import PriceQuantityUpdate

    put = await client.put_listing(payload())
    await client.update_price_quantity([PriceQuantityUpdate("HB-TEA-001", quantity=3)])
    session = client.session

    async def raw(operation: str, fn: Any) -> Any:
        """The body the emulator sent. python-amazon-sp-api lifts ``pagination``
        out of the body into ``ApiResponse.pagination``: put it back."""
        response = await client.transport.call(operation, session, fn)
        if response.pagination is None:
            return response.payload
        return {**response.payload, "pagination": response.pagination}

    listings = session.listings
    all_data = [
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "productTypes",
    ]
    item = await raw(
        "getListingsItem",
        lambda: listings.get_listings_item(
            SELLER, "HB-TEA-001", marketplaceIds=[US], includedData=all_data
        ),
    )
    check(LISTINGS, "Item", item)
    found = await raw(
        "searchListingsItems",
        lambda: listings.search_listings_items(
            SELLER, marketplaceIds=[US], includedData=all_data, pageSize=5
        ),
    )
    check(LISTINGS, "ItemSearchResults", found)
    await client.put_listing(payload(sku="HB-TEA-002"))
    pages = []
    for token in (None, "1"):
        pages.append(
            await raw(
                "searchListingsItems",
                lambda token=token: listings.search_listings_items(
                    SELLER,
                    marketplaceIds=[US],
                    pageSize=1,
                    **({"pageToken": token} if token else {}),
                ),
            )
        )
    for page in pages:
        check(LISTINGS, "ItemSearchResults", page)
    assert pages[0]["numberOfResults"] == 2, pages
    assert pages[0]["pagination"] == {"nextToken": "1"}
    assert pages[1]["pagination"] == {"previousToken": "0"}
    submission = await raw(
        "putListingsItem",
        lambda: listings.put_listings_item(
            SELLER,
            "HB-TEA-001",
            marketplaceIds=[US],
            body={"productType": "TEA", "attributes": {}},
        ),
    )
    check(LISTINGS, "ListingsItemSubmissionResponse", submission)
    assert put.submission_id

    definitions = session.definitions
    check(
        DEFINITIONS,
        "ProductTypeList",
        await raw(
            "searchDefinitionsProductTypes",
            lambda: definitions.search_definitions_product_types(marketplaceIds=[US]),
        ),
    )
    check(
        DEFINITIONS,
        "ProductTypeDefinition",
        await raw(
            "getDefinitionsProductType",
            lambda: definitions.get_definitions_product_type(
                "TEA", marketplaceIds=[US]
            ),
        ),
    )

    await client.bulk_put_listings([payload(sku="FEED-1"), payload(sku="FEED-2")])
    feed = emulator.state.feeds[max(emulator.state.feeds, key=int)]
    feeds = session.feeds
    check(FEEDS, "Feed", await raw("getFeed", lambda: feeds.get_feed(feed.feed_id)))

    bodies = emulator.state.bodies
    put_bodies = [
        b for p, b in bodies if p.endswith("/HB-TEA-001") and "attributes" in b
    ]
    patch_bodies = [b for p, b in bodies if "patches" in b]
    check(LISTINGS, "ListingsItemPutRequest", put_bodies[0])
    check(LISTINGS, "ListingsItemPatchRequest", patch_bodies[0])
    created = [b for p, b in bodies if p.endswith("/feeds")]
    check(FEEDS, "CreateFeedSpecification", created[0])
    documents = [b for p, b in bodies if p.endswith("/documents")]
    check(FEEDS, "CreateFeedDocumentSpecification", documents[0])


async def test_error_bodies_match_the_models(client: AmazonListingsClient) -> None:
    import httpx

    async with httpx.AsyncClient(verify=client.transport.verify) as http:
        answer = await http.get(
            client.transport.settings.endpoints["na"]
            + f"/listings/2021-08-01/items/{SELLER}/SKU",
            headers={"x-amz-access-token": "Atza|forged"},
        )
    assert answer.status_code == 403
    assert answer.headers["x-amzn-RequestId"]
    check(LISTINGS, "ErrorList", answer.json())


async def test_feed_document_and_processing_report_match_the_schemas(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    listings = [payload(sku="R-1"), payload(sku="R-2", product_type="NOT_A_TYPE")]
    document = feed_document(SELLER, listings)
    feed_schema = json.loads((SPECS / "listings-feed-schema-v2.json").read_text())
    assert list(Draft7Validator(feed_schema).iter_errors(document)) == []

    definition = await client.definition("TEA")
    client.product_types._definitions[("NOT_A_TYPE", US, "")] = (
        float("inf"),
        definition,
    )
    await client.bulk_put_listings(listings)
    feed = next(iter(emulator.state.feeds.values()))
    assert feed.result_document_id
    raw = emulator.state.documents[feed.result_document_id].content or b""
    report = json.loads(gzip.decompress(raw))
    report_schema = json.loads(
        (SPECS / "listings-feed-processing-report-schema-v2.json").read_text()
    )
    assert list(Draft7Validator(report_schema).iter_errors(report)) == []
    assert [i["messageId"] for i in report["issues"]] == [2]


# --- our product types against a real schema ---------------------------------
# (the keywords themselves: test_schema_keywords.py)


def test_shipped_schemas_follow_the_real_gtin_rule() -> None:
    """Our product types and BRACELET agree on the GTIN/exemption rule."""
    require_bracelet()
    ours = compile_schema(build_schema(PRODUCT_TYPES["TEA"], US))
    for gtin, exempt in [(True, False), (False, False), (False, True), (True, None)]:
        changes: dict[str, Any] = {}
        tea = attributes(gtin="8806001234015" if gtin else None, exempt=exempt)
        if not gtin:
            changes["externally_assigned_product_identifier"] = None
        if exempt is None:
            changes["supplier_declared_has_product_identifier_exemption"] = None
        else:
            changes["supplier_declared_has_product_identifier_exemption"] = [
                {"value": exempt, "marketplace_id": US}
            ]
        real = attribute_issues(
            compile_schema(bracelet()), bracelet_attributes(**changes)
        )
        assert (not attribute_issues(ours, tea)) == (not real), (gtin, exempt)


def test_shipped_schemas_are_valid_2019_09() -> None:
    for spec in PRODUCT_TYPES.values():
        schema = copy.deepcopy(build_schema(spec, US, approved_brands=["X"]))
        Draft201909Validator.check_schema(schema)


# --- the schema checksum: Base64 (the model's text) or hex (its example) -------


def test_checksum_is_accepted_as_base64_or_hex() -> None:
    document = b'{"type": "object"}'
    digest = hashlib.md5(document, usedforsecurity=False).digest()
    assert checksum_matches(document, base64.b64encode(digest).decode())
    assert checksum_matches(document, digest.hex())
    assert checksum_matches(document, digest.hex().upper())
    assert not checksum_matches(document + b" ", digest.hex())
    assert not checksum_matches(document, "")
    example = model(DEFINITIONS)["paths"]
    assert "c7af9479ca7261645cea9db56c5f720d" in json.dumps(example)  # hex


@pytest.mark.parametrize("form", ["base64", "hex"])
async def test_definitions_with_either_checksum_form_are_used(
    form: str, emulator_config: EmulatorConfig, client: AmazonListingsClient
) -> None:
    emulator_config.schema_checksum = form
    definition = await client.definition("TEA")
    assert definition.checksum
    assert (await client.put_listing(payload())).status.value == "ACCEPTED"


async def test_a_checksum_mismatch_holds_only_that_product_type(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    await client.definition("TEA")  # cached while the checksums matched
    emulator.config.schema_checksum = "wrong"
    with pytest.raises(SchemaChecksumMismatch) as caught:
        await client.definition("SNACK_CHIP_AND_CRISP")
    error = caught.value
    assert error.product_type == "SNACK_CHIP_AND_CRISP"
    assert error.seller_id == SELLER
    assert "SNACK_CHIP_AND_CRISP" in str(error)
    assert SELLER in str(error)
    results = await client.bulk_put_listings(
        [
            payload(sku="OK-1"),
            payload(sku="HELD-1", product_type="SNACK_CHIP_AND_CRISP"),
        ]
    )
    assert results[0].status.value != "INVALID"
    assert results[1].status.value == "INVALID"
    assert [i.code for i in results[1].issues] == ["SCHEMA_CHECKSUM_MISMATCH"]
