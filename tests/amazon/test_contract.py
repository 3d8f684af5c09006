"""The connector and the emulator against Amazon's official models
(``../shared/specs/amazon``): paths, methods, required parameters, enums,
request and response bodies, feed documents, and the product type validator
against a real product type schema. The models are found by :mod:`tests.specs`
(skipped when absent, failed when absent in CI)."""

from __future__ import annotations

import copy
import gzip
import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator, Draft201909Validator

from connectors.amazon.bulk import feed_document
from connectors.amazon.client import GET_INCLUDED, AmazonListingsClient
from connectors.amazon.schema import attribute_issues, compile_schema
from connectors.amazon.transport import OPERATION_RATES
from emulators.amazon import AmazonEmulator
from emulators.amazon.app import SP_API_PREFIXES
from emulators.amazon.product_types import PRODUCT_TYPES, build_schema
from tests.amazon.conftest import SELLER, US, attributes, payload
from tests.specs import SPECS as ALL_SPECS
from tests.specs import require_specs

SPECS = ALL_SPECS / "amazon"
LISTINGS = "listingsItems_2021-08-01.json"
FEEDS = "feeds_2021-06-30.json"
DEFINITIONS = "definitionsProductTypes_2020-09-01.json"
FEED_SCHEMA = "listings-feed-schema-v2.json"
FEED_REPORT = "listings-feed-processing-report-schema-v2.json"
BRACELET = SPECS / "example-product-type-schema-BRACELET.json"


@pytest.fixture(autouse=True)
def _official_models() -> None:
    names = (LISTINGS, FEEDS, DEFINITIONS, FEED_SCHEMA, FEED_REPORT)
    require_specs(*(SPECS / name for name in names), BRACELET)


@cache
def model(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPECS / name).read_text())
    return loaded


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation) across the three models."""
    found = {}
    for name in (LISTINGS, FEEDS, DEFINITIONS):
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
        return (await client.transport.call(operation, session, fn)).payload

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
    found["pagination"] = found.get("pagination", {})
    check(LISTINGS, "ItemSearchResults", found)
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
    feed_schema = json.loads((SPECS / FEED_SCHEMA).read_text())
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
    report_schema = json.loads((SPECS / FEED_REPORT).read_text())
    assert list(Draft7Validator(report_schema).iter_errors(report)) == []
    assert [i["messageId"] for i in report["issues"]] == [2]


# --- the product type validator against a real schema ------------------------


@cache
def bracelet() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BRACELET.read_text())
    return loaded


def bracelet_attributes(**changes: Any) -> dict[str, Any]:
    def text(value: str) -> list[dict[str, Any]]:
        return [{"value": value, "language_tag": "en_US", "marketplace_id": US}]

    attrs: dict[str, Any] = {
        "brand": text("Hanbit Craft"),
        "item_name": text("Hanbit Craft Silver Link Bracelet"),
        "bullet_point": text("Handmade in Daejeon"),
        "product_description": text("A silver link bracelet made in Daejeon."),
        "country_of_origin": [{"value": "KR", "marketplace_id": US}],
        "item_type_keyword": [{"value": "link-bracelets", "marketplace_id": US}],
        "supplier_declared_dg_hz_regulation": [
            {"value": "not_applicable", "marketplace_id": US}
        ],
        "externally_assigned_product_identifier": [
            {"type": "ean", "value": "8806001234015", "marketplace_id": US}
        ],
        "supplier_declared_has_product_identifier_exemption": [
            {"value": False, "marketplace_id": US}
        ],
        # Required by BRACELET's conditional rules for this kind of item.
        "department": text("Womens"),
        "cpsia_cautionary_statement": [
            {"value": "no_warning_applicable", "marketplace_id": US}
        ],
        "jewelry_material_categorization": [{"value": "fashion", "marketplace_id": US}],
        "material": text("Silver"),
        "color": text("Silver"),
        "size": text("One Size"),
        "gem_type": text("None"),
        "stones": [
            {
                "id": 1,
                "type": {"value": "None", "language_tag": "en_US"},
                "creation_method": {"value": "Natural", "language_tag": "en_US"},
                "treatment_method": {"value": "Not Treated", "language_tag": "en_US"},
                "marketplace_id": US,
            }
        ],
        "part_number": [{"value": "HC-BR-001", "marketplace_id": US}],
        "clasp_type": text("Lobster Claw"),
        "item_length": [{"value": 7.5, "unit": "inches", "marketplace_id": US}],
        "fulfillment_availability": [
            {"fulfillment_channel_code": "DEFAULT", "quantity": 5}
        ],
        "condition_type": [{"value": "new_new", "marketplace_id": US}],
        "list_price": [{"value": 39.0, "currency": "USD", "marketplace_id": US}],
        "item_package_dimensions": [
            {
                "length": {"value": 10, "unit": "centimeters"},
                "width": {"value": 8, "unit": "centimeters"},
                "height": {"value": 3, "unit": "centimeters"},
                "marketplace_id": US,
            }
        ],
        "item_package_weight": [{"value": 80, "unit": "grams", "marketplace_id": US}],
        "batteries_required": [{"value": False, "marketplace_id": US}],
        "merchant_shipping_group": [
            {"value": "legacy-template-id", "marketplace_id": US}
        ],
    }
    for name, value in changes.items():
        if value is None:
            attrs.pop(name, None)
        else:
            attrs[name] = value
    return attrs


BRACELET_CASES: dict[str, dict[str, Any]] = {
    "complete": {},
    "no brand": {"brand": None},
    "no GTIN, exemption false": {"externally_assigned_product_identifier": None},
    "no GTIN, exemption true": {
        "externally_assigned_product_identifier": None,
        "supplier_declared_has_product_identifier_exemption": [
            {"value": True, "marketplace_id": US}
        ],
    },
    "unknown attribute": {"not_an_attribute": [{"value": "x"}]},
    "wrong enum": {"country_of_origin": [{"value": "XX", "marketplace_id": US}]},
    "brand twice for the same selectors": {
        "brand": [
            {"value": "A", "language_tag": "en_US", "marketplace_id": US},
            {"value": "B", "language_tag": "en_US", "marketplace_id": US},
        ]
    },
    "value not an array": {"brand": {"value": "Hanbit Craft"}},
}


@pytest.mark.parametrize("case", list(BRACELET_CASES))
def test_validator_agrees_with_the_real_schema(case: str) -> None:
    attrs = bracelet_attributes(**BRACELET_CASES[case])
    # Reference: plain 2019-09 on Amazon's real schema (standard keywords).
    reference = Draft201909Validator(bracelet()).is_valid(attrs)
    ours = attribute_issues(compile_schema(bracelet()), attrs)
    assert (not ours) == reference, ours
    expected_valid = case in (
        "complete",
        "no GTIN, exemption true",
        "brand twice for the same selectors",  # one unique item by its selectors
    )
    assert reference == expected_valid


def test_validator_enforces_amazons_byte_length_keyword() -> None:
    # 20 Hangul characters are 60 UTF-8 bytes: within maxLength, over 40 bytes.
    long_model = [{"value": "가" * 20, "marketplace_id": US}]
    attrs = bracelet_attributes(model_number=long_model)
    assert Draft201909Validator(bracelet()).is_valid(attrs)  # plain 2019-09 misses it
    issues = attribute_issues(compile_schema(bracelet()), attrs)
    assert [i.attribute_names for i in issues] == [("model_number",)]
    assert "UTF-8 bytes" in issues[0].message


def test_validator_enforces_unique_items_by_selectors() -> None:
    two = [
        {"value": "A", "language_tag": "en_US", "marketplace_id": US},
        {"value": "B", "language_tag": "en_GB", "marketplace_id": US},
    ]
    attrs = bracelet_attributes(brand=two)
    assert Draft201909Validator(bracelet()).is_valid(attrs)  # plain 2019-09 misses it
    issues = attribute_issues(compile_schema(bracelet()), attrs)
    assert [i.attribute_names for i in issues] == [("brand",)]


def test_shipped_schemas_follow_the_real_gtin_rule() -> None:
    """Our product types and BRACELET agree on the GTIN/exemption rule."""
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
        real = Draft201909Validator(bracelet()).is_valid(bracelet_attributes(**changes))
        assert (not attribute_issues(ours, tea)) == real, (gtin, exempt)


def test_shipped_schemas_are_valid_2019_09() -> None:
    meta = Draft201909Validator(Draft201909Validator.META_SCHEMA)
    for name, spec in PRODUCT_TYPES.items():
        schema = copy.deepcopy(build_schema(spec, US, approved_brands=["X"]))
        assert [error.message for error in meta.iter_errors(schema)] == [], name
        # ... and each one constrains something: an empty listing is refused.
        assert not Draft201909Validator(schema).is_valid({}), name
