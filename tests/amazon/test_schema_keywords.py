"""Amazon's schema keywords as Amazon means them, pinned on the real BRACELET
product type schema (``<repo root>/../shared/specs/amazon``).

Meanings (Amazon's meta-schema documentation and its sample validators):
``maxUniqueItems`` N with ``selectors``: each combination of selector values
occurs at most N times; ``minUniqueItems``: each combination present occurs at
least N times; ``maxUtf8ByteLength``/``minUtf8ByteLength``: UTF-8 bytes;
``selectors``, ``editable``, ``hidden``, ``enumNames`` and ``$lifecycle``
refuse nothing on their own; ``allOf``/``if``/``then`` are 2019-09's.
``multipleOf`` is exact on the number as written (19.99 is a multiple of 0.01).

:data:`CASES` is the body of cases the emulator's validator must agree on too
(``test_validators_agree.py``). Skips when the schema is absent, except in CI.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from connectors.amazon.schema import attribute_issues, compile_schema
from tests.specs import SPECS as ALL_SPECS
from tests.specs import require_specs

SPECS = ALL_SPECS / "amazon"
BRACELET = SPECS / "example-product-type-schema-BRACELET.json"
US = "ATVPDKIKX0DER"


def require_bracelet() -> None:
    """Skip without the schema locally; in CI its absence is a failure."""
    require_specs(BRACELET)


@cache
def bracelet() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BRACELET.read_text())
    return loaded


def text(value: str, language: str = "en_US") -> dict[str, Any]:
    return {"value": value, "language_tag": language, "marketplace_id": US}


def price(value: Any) -> list[dict[str, Any]]:
    return [{"value": value, "currency": "USD", "marketplace_id": US}]


def bracelet_attributes(**changes: Any) -> dict[str, Any]:
    """A complete BRACELET listing; ``name=None`` drops an attribute."""
    attrs: dict[str, Any] = {
        "brand": [text("Hanbit Craft")],
        "item_name": [text("Hanbit Craft Silver Link Bracelet")],
        "bullet_point": [text("Handmade in Daejeon")],
        "product_description": [text("A silver link bracelet made in Daejeon.")],
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
        "department": [text("Womens")],
        "cpsia_cautionary_statement": [
            {"value": "no_warning_applicable", "marketplace_id": US}
        ],
        "jewelry_material_categorization": [{"value": "fashion", "marketplace_id": US}],
        "material": [text("Silver")],
        "color": [text("Silver")],
        "size": [text("One Size")],
        "gem_type": [text("None")],
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
        "clasp_type": [text("Lobster Claw")],
        "item_length": [{"value": 7.5, "unit": "inches", "marketplace_id": US}],
        "fulfillment_availability": [
            {"fulfillment_channel_code": "DEFAULT", "quantity": 5}
        ],
        "condition_type": [{"value": "new_new", "marketplace_id": US}],
        "list_price": price(39.0),
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


def child(parent_sku: str | None, theme: bool = True) -> dict[str, Any]:
    """A variation child's attributes (parentage rules of BRACELET's allOf)."""
    relation: dict[str, Any] = {"child_relationship_type": "variation"}
    if parent_sku is not None:
        relation["parent_sku"] = parent_sku
    relation["marketplace_id"] = US
    changes: dict[str, Any] = {
        "parentage_level": [{"value": "child", "marketplace_id": US}],
        "child_parent_sku_relationship": [relation],
    }
    if theme:
        changes["variation_theme"] = [{"name": "COLOR"}]
    return changes


#: name -> (changes to the complete listing, attributes refused; () = valid).
CASES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "complete": ({}, ()),
    # maxUniqueItems 1, selectors marketplace_id + language_tag.
    "item_name in en_US and en_GB": (
        {"item_name": [text("Bracelet"), text("Bracelet", "en_GB")]},
        (),
    ),
    "item_name twice in en_US": (
        {"item_name": [text("Bracelet"), text("Bangle")]},
        ("item_name",),
    ),
    "brand twice for the same selectors": (
        {"brand": [text("A"), text("B")]},
        ("brand",),
    ),
    # maxUniqueItems 10 for bullet_point.
    "10 bullet points in en_US": (
        {"bullet_point": [text(f"Point {i}") for i in range(10)]},
        (),
    ),
    "11 bullet points in en_US": (
        {"bullet_point": [text(f"Point {i}") for i in range(11)]},
        ("bullet_point",),
    ),
    "10 bullet points in each of en_US and en_GB": (
        {
            "bullet_point": [text(f"P{i}") for i in range(10)]
            + [text(f"P{i}", "en_GB") for i in range(10)]
        },
        (),
    ),
    # minUniqueItems 1 with minItems 1: an empty array is refused.
    "no bullet points at all": ({"bullet_point": []}, ("bullet_point",)),
    # multipleOf 0.01 on list_price, decimal-exact.
    "price 19.99": ({"list_price": price(19.99)}, ()),
    "price 0.07": ({"list_price": price(0.07)}, ()),
    "price 4.35": ({"list_price": price(4.35)}, ()),
    "price 1234567.89": ({"list_price": price(1234567.89)}, ()),
    "price as Decimal 19.99": ({"list_price": price(Decimal("19.99"))}, ()),
    "price 19.995": ({"list_price": price(19.995)}, ("list_price",)),
    "price 0.001": ({"list_price": price(0.001)}, ("list_price",)),
    # multipleOf 1e-05 on an optional attribute.
    "battery energy 0.00003": (
        {
            "non_lithium_battery_energy_content": [
                {"value": 0.00003, "unit": "watt_hours", "marketplace_id": US}
            ]
        },
        (),
    ),
    # maxUtf8ByteLength 40 (maxLength 40) on model_number.
    "model number of 40 ASCII characters": (
        {"model_number": [{"value": "M" * 40, "marketplace_id": US}]},
        (),
    ),
    "model number of 13 Hangul (39 bytes)": (
        {"model_number": [{"value": "가" * 13, "marketplace_id": US}]},
        (),
    ),
    "model number of 14 Hangul (42 bytes)": (
        {"model_number": [{"value": "가" * 14, "marketplace_id": US}]},
        ("model_number",),
    ),
    # minUtf8ByteLength 1 on parent_sku (and the parentage conditionals).
    "child with its parent SKU": (child("HC-BR-PARENT"), ()),
    "child with an empty parent SKU": (
        child(""),
        ("child_parent_sku_relationship",),
    ),
    "child without a parent SKU": (child(None), ("child_parent_sku_relationship",)),
    "child without a variation theme": (
        child("HC-BR-PARENT", theme=False),
        ("variation_theme",),
    ),
    # enumNames are labels, not values; editable/hidden refuse nothing.
    "condition as its enum value": (
        {"condition_type": [{"value": "new_new", "marketplace_id": US}]},
        (),
    ),
    "condition as its enumNames label": (
        {"condition_type": [{"value": "New", "marketplace_id": US}]},
        ("condition_type",),
    ),
    "hidden, non-editable currency given": ({"list_price": price(10)}, ()),
    # $lifecycle.enumDeprecated is informational: the deprecated theme is still
    # a valid value (only the theme's own attribute, band, is then required).
    "deprecated variation theme": (
        {**child("HC-BR-PARENT"), "variation_theme": [{"name": "BAND_COLOR"}]},
        ("band",),
    ),
    # The GTIN rule (allOf/if/then).
    "no GTIN, exemption false": (
        {"externally_assigned_product_identifier": None},
        ("externally_assigned_product_identifier", "merchant_suggested_asin"),
    ),
    "no GTIN, exemption true": (
        {
            "externally_assigned_product_identifier": None,
            "supplier_declared_has_product_identifier_exemption": [
                {"value": True, "marketplace_id": US}
            ],
        },
        (),
    ),
    "no brand": ({"brand": None}, ("brand",)),
    "unknown attribute": (
        {"not_an_attribute": [{"value": "x"}]},
        ("not_an_attribute",),
    ),
    "wrong enum": (
        {"country_of_origin": [{"value": "XX", "marketplace_id": US}]},
        ("country_of_origin",),
    ),
    "value not an array": ({"brand": {"value": "Hanbit Craft"}}, ("brand",)),
}


def refused(issues: list[Any]) -> set[str]:
    return {name for issue in issues for name in issue.attribute_names}


@pytest.mark.parametrize("case", list(CASES))
def test_preflight_reads_the_keywords_as_amazon_does(case: str) -> None:
    require_bracelet()
    changes, expected = CASES[case]
    issues = attribute_issues(
        compile_schema(bracelet()), bracelet_attributes(**changes)
    )
    assert refused(issues) == set(expected), issues


def test_the_byte_limit_is_reported_in_bytes() -> None:
    require_bracelet()
    long_model = [{"value": "가" * 20, "marketplace_id": US}]
    attrs = bracelet_attributes(model_number=long_model)
    assert Draft201909Validator(bracelet()).is_valid(attrs)  # plain 2019-09 misses it
    issues = attribute_issues(compile_schema(bracelet()), attrs)
    assert [i.attribute_names for i in issues] == [("model_number",)]
    assert "UTF-8 bytes" in issues[0].message


def test_plain_floats_would_refuse_valid_prices() -> None:
    """The reason multipleOf is ours: 2019-09 on floats refuses 19.99."""
    require_bracelet()
    attrs = bracelet_attributes(list_price=price(19.99))
    assert not Draft201909Validator(bracelet()).is_valid(attrs)
    assert attribute_issues(compile_schema(bracelet()), attrs) == []


def test_the_real_schema_uses_the_keywords_pinned_here() -> None:
    require_bracelet()
    brand = bracelet()["properties"]["brand"]
    assert brand["selectors"] == ["marketplace_id", "language_tag"]
    assert brand["maxUniqueItems"] == brand["minUniqueItems"] == 1
    assert bracelet()["properties"]["bullet_point"]["maxUniqueItems"] == 10
    value = bracelet()["properties"]["list_price"]["items"]["properties"]["value"]
    assert value["multipleOf"] == 0.01
    currency = bracelet()["properties"]["list_price"]["items"]["properties"]
    assert currency["currency"]["hidden"] is True
    assert currency["currency"]["editable"] is False
    condition = bracelet()["properties"]["condition_type"]["items"]["properties"]
    assert "New" in condition["value"]["enumNames"]
    assert "New" not in condition["value"]["enum"]


# --- keywords the real schema uses only with N = 1 ---------------------------

SELECTED = {
    "type": "array",
    "selectors": ["marketplace_id"],
    "items": {"type": "object"},
}


@pytest.mark.parametrize(
    ("keyword", "items", "valid"),
    [
        ("minUniqueItems", [{"marketplace_id": "A"}] * 2, True),
        (
            "minUniqueItems",
            [{"marketplace_id": "A"}] * 2 + [{"marketplace_id": "B"}],
            False,
        ),
        ("maxUniqueItems", [{"marketplace_id": "A", "v": i} for i in range(2)], True),
        ("maxUniqueItems", [{"marketplace_id": "A", "v": i} for i in range(3)], False),
        ("maxUniqueItems", [{"v": 1}, {"v": 2}, {"v": 3}], False),
        ("selectors", [{"marketplace_id": "A"}] * 5, True),
    ],
)
def test_unique_counts_per_combination(keyword: str, items: Any, valid: bool) -> None:
    schema: dict[str, Any] = {"properties": {"x": dict(SELECTED)}}
    if keyword != "selectors":
        schema["properties"]["x"][keyword] = 2
    issues = attribute_issues(compile_schema(schema), {"x": items})
    assert (issues == []) is valid, issues
