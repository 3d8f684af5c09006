from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from export_hub.brand.base import HASH_PARTS, RenderError
from export_hub.brand.config import BrandingMode
from export_hub.brand.render import render_listing
from export_hub.brand.text import utf8_len
from tests.brand.factories import BASE_URL, brand_config, listing_input


def render(marketplace: str = "amazon", **kw):
    return render_listing(
        brand_config(), listing_input(marketplace, **kw), public_base_url=BASE_URL
    )


def attr(body: dict, name: str) -> object:
    return body["attributes"][name][0]["value"]


def test_amazon_dual_mode_keeps_company_brand() -> None:
    out = render("amazon")
    body = out.body
    assert body["productType"] == "BRACELET"
    assert body["requirements"] == "LISTING"
    a = body["attributes"]
    assert out.mode is BrandingMode.DUAL
    assert attr(body, "brand") == "Hanbit"
    assert attr(body, "manufacturer") == "Hanbit Craft"
    assert attr(body, "item_name") == (
        "Hanbit Handmade Sterling Silver Bracelet - IT's Daejeon"
    )
    for name in ("item_name", "brand", "manufacturer", "product_description"):
        assert a[name][0]["language_tag"] == "en_US"
        assert a[name][0]["marketplace_id"] == "ATVPDKIKX0DER"
    bullets = [b["value"] for b in a["bullet_point"]]
    assert bullets[:2] == ["925 sterling silver", "Adjustable length 16-19 cm"]
    assert "IT's Daejeon" in bullets[-1]
    assert a["externally_assigned_product_identifier"][0] == {
        "type": "ean",
        "value": "8801234567893",
        "marketplace_id": "ATVPDKIKX0DER",
    }
    assert attr(body, "supplier_declared_has_product_identifier_exemption") is False
    assert attr(body, "country_of_origin") == "KR"
    assert attr(body, "condition_type") == "new_new"
    assert a["item_weight"][0]["value"] == 120
    assert a["item_package_dimensions"][0]["length"] == {
        "value": 15,
        "unit": "centimeters",
    }
    assert (
        a["purchasable_offer"][0]["our_price"][0]["schedule"][0]["value_with_tax"]
        == 29.99
    )
    assert a["purchasable_offer"][0]["currency"] == "USD"
    assert a["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 12}
    ]
    assert a["main_product_image_locator"][0]["media_location"] == (
        f"{BASE_URL}/media/{'ab' * 16}0.jpg"
    )
    assert a["other_product_image_locator_1"][0]["media_location"].endswith("1.jpg")
    assert "other_product_image_locator_2" not in a
    assert attr(body, "item_type_keyword") == "bracelets"
    assert out.payload().content is body
    assert out.payload().price == Decimal("29.99")


def test_amazon_co_brand_mode_uses_shared_brand() -> None:
    out = render("amazon", company_kw={"branding_mode": "co-brand"})
    assert out.mode is BrandingMode.CO_BRAND
    assert attr(out.body, "brand") == "IT's Daejeon"
    assert attr(out.body, "manufacturer") == "Hanbit Craft"
    assert (
        attr(out.body, "item_name") == "IT's Daejeon Handmade Sterling Silver Bracelet"
    )


def test_gtin_exempt_product() -> None:
    out = render("amazon", product_kw={"gtin": None, "gtin_exempt": True})
    a = out.body["attributes"]
    assert "externally_assigned_product_identifier" not in a
    assert a["supplier_declared_has_product_identifier_exemption"][0]["value"] is True


def test_ebay_body() -> None:
    out = render("ebay", price="31.5")
    item, offer = out.body["inventory_item"], out.body["offer"]
    assert (
        item["product"]["title"]
        == "Hanbit Handmade Sterling Silver Bracelet IT's Daejeon"
    )
    assert item["product"]["aspects"]["Brand"] == ["Hanbit"]
    assert item["product"]["aspects"]["MPN"] == ["Does not apply"]
    assert item["product"]["ean"] == ["8801234567893"]
    assert len(item["product"]["imageUrls"]) == 2
    assert item["availability"] == {"shipToLocationAvailability": {"quantity": 12}}
    assert item["packageWeightAndSize"]["weight"] == {"value": 120, "unit": "GRAM"}
    assert item["condition"] == "NEW"
    assert "<li>925 sterling silver</li>" in item["product"]["description"]
    assert offer["pricingSummary"]["price"] == {"value": "31.50", "currency": "USD"}
    assert offer["format"] == "FIXED_PRICE"
    assert offer["marketplaceId"] == "EBAY_US"
    assert offer["categoryId"] == "137835"
    assert offer["availableQuantity"] == 12
    assert offer["merchantLocationKey"] == "daejeon-1"
    assert offer["listingPolicies"] == {
        "fulfillmentPolicyId": "6196932000",
        "paymentPolicyId": "6196935000",
        "returnPolicyId": "6196938000",
    }


def test_ebay_co_brand() -> None:
    out = render("ebay", company_kw={"branding_mode": "co-brand"})
    assert out.body["inventory_item"]["product"]["aspects"]["Brand"] == ["IT's Daejeon"]
    assert out.body["inventory_item"]["product"]["title"].startswith("IT's Daejeon ")


LONG_NAME = (
    "Handmade Sterling Silver Bracelet with Hand-Engraved Magnolia Pattern "
    "and Adjustable Sliding Clasp for Everyday Wear"
)


def test_ebay_title_shortens_the_name_and_keeps_the_brand() -> None:
    title = render("ebay", product_kw={"name_en": LONG_NAME}).body["inventory_item"][
        "product"
    ]["title"]
    assert len(title) <= 80
    assert title.startswith("Hanbit Handmade Sterling Silver")
    assert title.endswith(" IT's Daejeon")
    name_part = title.removeprefix("Hanbit ").removesuffix(" IT's Daejeon")
    assert LONG_NAME.startswith(name_part)
    assert LONG_NAME[len(name_part)] == " "  # cut at a word boundary


def test_multibyte_title_is_cut_on_whole_words() -> None:
    name = "Café crème brûlée naïve façade " * 6
    out = render("ebay", product_kw={"name_en": name})
    title = out.body["inventory_item"]["product"]["title"]
    assert len(title) <= 80
    words = set(name.split()) | {"Hanbit", "IT's", "Daejeon"}
    assert all(w in words for w in title.split())


def test_amazon_bullet_limits() -> None:
    config = brand_config()
    bullets = [f"Feature {i} " + "word " * 150 for i in range(8)]
    listing = listing_input("amazon", product_kw={"bullets_en": bullets})
    out = render_listing(config, listing, public_base_url=BASE_URL)
    values = [b["value"] for b in out.body["attributes"]["bullet_point"]]
    limits = config.limits["amazon"]
    assert len(values) == limits.bullet_count
    assert "IT's Daejeon" in values[-1]  # the brand bullet survives
    for value in values:
        assert len(value) <= limits.bullet_chars
        assert utf8_len(value) <= limits.bullet_bytes
        assert value.endswith("word") or "Daejeon" in value


def test_hangul_in_english_content_is_rejected() -> None:
    with pytest.raises(RenderError) as info:
        render("amazon", product_kw={"description_en": "Silver bracelet 은팔찌"})
    issue = info.value.issues[0]
    assert issue.code == "PREFLIGHT_HANGUL_IN_ENGLISH"
    assert any("product_description" in a for a in issue.attribute_names)
    with pytest.raises(RenderError, match="HANGUL"):
        render("ebay", company_kw={"own_brand": "한빛"})


def test_missing_english_name_is_an_issue() -> None:
    with pytest.raises(RenderError, match="PREFLIGHT_ATTRIBUTE_MISSING"):
        render("amazon", product_kw={"name_en": "  "})


def test_hashes_are_stable_and_part_sensitive() -> None:
    base = render("amazon")
    again = render("amazon")
    assert base.hashes == again.hashes
    assert set(base.hashes) == set(HASH_PARTS)

    def changed(**kw) -> list[str]:
        return render("amazon", **kw).changed_parts(base.hashes)

    assert changed(price="30.99") == ["price"]
    assert changed(quantity=0) == ["quantity"]
    assert changed(n_images=3) == ["images"]
    assert changed(product_kw={"description_en": "Another text."}) == ["content"]
    assert base.changed_parts({}) == list(HASH_PARTS)

    ebay = render("ebay")
    assert render("ebay", price="30.99").changed_parts(ebay.hashes) == ["price"]
    assert render("ebay", quantity=3).changed_parts(ebay.hashes) == ["quantity"]
    assert render("ebay", n_images=1).changed_parts(ebay.hashes) == ["images"]


def test_listing_input_is_not_mutated() -> None:
    listing = listing_input("ebay")
    before = dataclasses.replace(listing)
    render_listing(brand_config(), listing, public_base_url=BASE_URL)
    assert listing.product.bullets_en == before.product.bullets_en


def test_brand_is_not_repeated_when_the_name_starts_with_it() -> None:
    out = render("amazon", product_kw={"name_en": "HANBIT Silver Bracelet"})
    assert attr(out.body, "item_name") == "Hanbit Silver Bracelet - IT's Daejeon"
    co = render(
        "ebay",
        company_kw={"branding_mode": "co-brand"},
        product_kw={"name_en": "IT's Daejeon Silver Bracelet"},
    )
    assert (
        co.body["inventory_item"]["product"]["title"] == "IT's Daejeon Silver Bracelet"
    )
    # A brand that is only a prefix of a word is left alone.
    other = render("amazon", product_kw={"name_en": "Hanbitware Bowl"})
    assert attr(other.body, "item_name") == "Hanbit Hanbitware Bowl - IT's Daejeon"
