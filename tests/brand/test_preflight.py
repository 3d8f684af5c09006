from __future__ import annotations

import dataclasses
from decimal import Decimal

from export_hub.brand.config import parse_brand
from export_hub.brand.preflight import PriceBounds, preflight
from export_hub.errors import MarketplaceIssue
from tests.brand.factories import BASE_URL, brand_config, listing_input
from tests.brand.test_config import _shipped

BOUNDS = PriceBounds(floor=Decimal("20.00"), cap=Decimal("500.00"))


def check(marketplace: str = "amazon", config=None, **kw):
    return preflight(
        config or brand_config(),
        listing_input(marketplace, **kw),
        public_base_url=BASE_URL,
        bounds=BOUNDS,
    )


def test_clean_listings_pass() -> None:
    for marketplace in ("amazon", "ebay"):
        result = check(marketplace)
        assert result.ok, result.issues
        assert result.issues == ()
        assert result.rendered is not None


def test_brand_not_approved_for_seller() -> None:
    result = check("amazon", seller_kw={"approved_brands": ["Other Brand"]})
    assert not result.ok
    assert result.codes == ["PREFLIGHT_BRAND_NOT_APPROVED"]
    assert check(
        "amazon", seller_kw={"approved_brands": ["hanbit"]}
    ).ok  # case-insensitive
    co = {"branding_mode": "co-brand"}
    result = check(
        "amazon",
        company_kw=co,
        product_kw={"gtin": None, "gtin_exempt": True},
        seller_kw={"approved_brands": ["Hanbit"]},
    )
    assert result.codes == ["PREFLIGHT_BRAND_NOT_APPROVED"]
    assert check(
        "amazon",
        company_kw=co,
        product_kw={"gtin": None, "gtin_exempt": True},
        seller_kw={"approved_brands": ["IT's Daejeon"]},
    ).ok


def test_gtin_rules() -> None:
    assert check(product_kw={"gtin": None, "gtin_exempt": False}).codes == [
        "PREFLIGHT_GTIN_MISSING"
    ]
    assert check(product_kw={"gtin": "8801234567890"}).codes == [
        "PREFLIGHT_GTIN_INVALID"
    ]
    # Co-brand: the company's own GTIN does not belong to the shared brand.
    assert check(company_kw={"branding_mode": "co-brand"}).codes == [
        "PREFLIGHT_GTIN_OWNER_MISMATCH"
    ]
    data = _shipped()
    data["brand"]["gs1_company_prefixes"] = ["880123456"]
    licensed = parse_brand(data)
    assert check(config=licensed, company_kw={"branding_mode": "co-brand"}).ok


def test_price_bounds_and_quantity() -> None:
    assert check(price="19.99").codes == ["PREFLIGHT_PRICE_BELOW_FLOOR"]
    assert check(price="500.01").codes == ["PREFLIGHT_PRICE_ABOVE_CAP"]
    assert check(price="0").codes == ["PREFLIGHT_PRICE_MISSING"]
    assert check(price="20.00").ok
    assert check(quantity=-1).codes == ["PREFLIGHT_QUANTITY_INVALID"]


def test_content_problems_are_issues_not_exceptions() -> None:
    result = check(product_kw={"name_en": "팔찌"})
    assert result.rendered is None
    assert result.codes == ["PREFLIGHT_HANGUL_IN_ENGLISH"]
    result = check(company_kw={"own_brand": "", "name_en": ""})
    assert "PREFLIGHT_ATTRIBUTE_MISSING" in result.codes
    assert check(n_images=0).codes == ["PREFLIGHT_IMAGE_MISSING"]
    assert check(product_kw={"sku": "X" * 41}).codes == ["PREFLIGHT_SKU_INVALID"]
    assert check("ebay", product_kw={"sku": "X" * 41}).ok


def test_marketplace_setup() -> None:
    assert check("ebay", product_kw={"ebay_categories": {}}).codes == [
        "PREFLIGHT_ATTRIBUTE_MISSING"
    ]
    result = check("ebay", seller_kw={"setup": {"payment_policy_id": "1"}})
    assert result.codes == ["PREFLIGHT_EBAY_SETUP_MISSING"]
    assert "merchant_location_key" in result.issues[0].attribute_names
    assert check("amazon", product_kw={"amazon_product_type": ""}).codes == [
        "PREFLIGHT_ATTRIBUTE_MISSING"
    ]


def test_schema_required_and_injected_validator() -> None:
    schema = {"required": ["brand", "item_name", "color"], "properties": {}}
    seen: list[tuple] = []

    def validator(schema_arg, attributes):
        seen.append((schema_arg, sorted(attributes)))
        yield MarketplaceIssue(code="SCHEMA_INVALID", message="color: bad")

    result = preflight(
        brand_config(),
        listing_input("amazon"),
        public_base_url=BASE_URL,
        schema=schema,
        validator=validator,
    )
    assert result.codes == ["PREFLIGHT_ATTRIBUTE_MISSING", "SCHEMA_INVALID"]
    assert result.issues[0].attribute_names == ("color",)
    assert seen
    assert seen[0][0] is schema
    assert "item_name" in seen[0][1]
    listing = dataclasses.replace(
        listing_input("amazon"), extra_attributes={"color": [{"value": "Silver"}]}
    )
    ok = preflight(brand_config(), listing, public_base_url=BASE_URL, schema=schema)
    assert ok.ok
