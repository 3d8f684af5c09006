"""Rendered bodies validate against the marketplaces' own published schemas
(read from ../shared/specs through :mod:`tests.specs`; skipped when absent,
failed when absent in CI)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from export_hub.brand.render import render_listing
from tests.brand.factories import BASE_URL, brand_config, listing_input
from tests.specs import SPECS, require_specs

EBAY_SPEC = SPECS / "ebay" / "sell_inventory_v1_oas3.json"
BRACELET = SPECS / "amazon" / "example-product-type-schema-BRACELET.json"


def _errors(schema: dict[str, Any], instance: Any) -> list[str]:
    # Unknown keywords (Amazon's maxUtf8ByteLength, selectors, ...) are ignored.
    validator = Draft201909Validator(schema)
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)
    ]


@pytest.fixture(scope="module")
def ebay_components() -> dict[str, Any]:
    require_specs(EBAY_SPEC)
    components = copy.deepcopy(json.loads(EBAY_SPEC.read_text("utf-8"))["components"])
    # The published OAS types Product.aspects as "string" although the API
    # takes (and its own example shows) an object of name -> [values].
    components["schemas"]["Product"]["properties"]["aspects"] = {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
    return components


def _ebay_schema(components: dict[str, Any], name: str) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    # OAS 3.0 has no additionalProperties: false on these; also reject unknown keys.
    target = components["schemas"][name]
    return (
        {**schema, "unevaluatedProperties": False} if "properties" in target else schema
    )


@pytest.mark.parametrize("mode", ["dual", "co-brand"])
def test_ebay_bodies_match_the_inventory_api(ebay_components, mode: str) -> None:
    listing = listing_input("ebay", company_kw={"branding_mode": mode})
    body = render_listing(brand_config(), listing, public_base_url=BASE_URL).body
    item_schema = _ebay_schema(ebay_components, "InventoryItem")
    offer_schema = _ebay_schema(ebay_components, "EbayOfferDetailsWithKeys")
    assert _errors(item_schema, body["inventory_item"]) == []
    assert _errors(offer_schema, body["offer"]) == []
    # The check can fail: a misspelt field is caught.
    assert _errors(offer_schema, {**body["offer"], "pricingSumary": {}}) != []
    assert _errors(item_schema, {**body["inventory_item"], "availability": 3}) != []


def _en(value: str) -> list[dict[str, str]]:
    return [{"value": value, "language_tag": "en_US"}]


#: What the catalog knows about this particular bracelet (product-specific,
#: not brand-level): the BRACELET schema requires these conditionally.
BRACELET_FACTS: dict[str, list[dict[str, Any]]] = {
    "department": _en("womens"),
    "material": _en("Sterling Silver"),
    "color": _en("Silver"),
    "size": _en("Adjustable"),
    "clasp_type": _en("Lobster Claw"),
    "gem_type": _en("No Gemstone"),
    "jewelry_material_categorization": [{"value": "fine"}],
    "cpsia_cautionary_statement": [{"value": "no_warning_applicable"}],
    "part_number": [{"value": "HB-BR-001"}],
    "item_length": [{"value": 7.5, "unit": "inches"}],
    "list_price": [{"value": 34.99, "currency": "USD"}],
    "merchant_shipping_group": [{"value": "legacy-template-id"}],
    "stones": [
        {
            "id": 1,
            "type": {"value": "No Gemstone", "language_tag": "en_US"},
            "creation_method": {"value": "natural", "language_tag": "en_US"},
            "treatment_method": {"value": "not treated", "language_tag": "en_US"},
        }
    ],
}


@pytest.mark.parametrize("mode", ["dual", "co-brand"])
@pytest.mark.parametrize("identifier", ["gtin", "exempt"])
def test_amazon_attributes_match_the_bracelet_schema(
    mode: str, identifier: str
) -> None:
    require_specs(BRACELET)
    schema = json.loads(BRACELET.read_text("utf-8"))
    product_kw = {} if identifier == "gtin" else {"gtin": None, "gtin_exempt": True}
    listing = dataclasses.replace(
        listing_input(
            "amazon", company_kw={"branding_mode": mode}, product_kw=product_kw
        ),
        extra_attributes=BRACELET_FACTS,
    )
    body = render_listing(brand_config(), listing, public_base_url=BASE_URL).body
    assert _errors(schema, body["attributes"]) == []
    broken = dict(body["attributes"])
    del broken["brand"]
    assert any("brand" in e for e in _errors(schema, broken))


def test_preflight_with_the_amazon_connectors_validator() -> None:
    """The brand-level pre-flight calls the Amazon connector's schema validator."""
    schema_module = pytest.importorskip("connectors.amazon.schema")
    require_specs(BRACELET)
    from export_hub.brand.preflight import preflight

    schema = json.loads(BRACELET.read_text("utf-8"))

    def validator(schema_arg, attributes):
        return schema_module.attribute_issues(
            schema_module.compile_schema(schema_arg), attributes
        )

    bare = preflight(
        brand_config(),
        listing_input("amazon"),
        public_base_url=BASE_URL,
        schema=schema,
        validator=validator,
    )
    assert not bare.ok
    assert schema_module.MISSING_ATTRIBUTE_CODE in bare.codes  # e.g. material missing
    complete = preflight(
        brand_config(),
        dataclasses.replace(listing_input("amazon"), extra_attributes=BRACELET_FACTS),
        public_base_url=BASE_URL,
        schema=schema,
        validator=validator,
    )
    assert complete.ok, complete.issues
