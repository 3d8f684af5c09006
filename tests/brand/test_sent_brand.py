"""The brand a listing is sent under is the brand every check looks at, and a
seller whose brand approval is not known yet gets nothing sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from export_hub.brand.preflight import PriceBounds, preflight
from export_hub.brand.sent import BRAND_RESTRICTED, brand_approval, listing_brand
from export_hub.listings.explain import explain
from tests.brand.factories import BASE_URL, brand_config, listing_input

BOUNDS = PriceBounds(floor=Decimal("20.00"), cap=Decimal("500.00"))


@pytest.mark.parametrize("mode", ["co-brand", "dual", ""])
def test_the_rendered_brand_is_the_listing_brand(mode: str) -> None:
    config = brand_config()
    listing = listing_input("amazon", company_kw={"branding_mode": mode})
    result = preflight(config, listing, public_base_url=BASE_URL, bounds=BOUNDS)
    assert result.rendered is not None
    assert result.rendered.brand == listing_brand(config, listing.company)
    assert result.rendered.body["attributes"]["brand"][0]["value"] == (
        listing_brand(config, listing.company)
    )


def test_listing_brand_follows_the_branding_mode() -> None:
    config = brand_config()
    co = listing_input(company_kw={"branding_mode": "co-brand"}).company
    dual = listing_input(company_kw={"branding_mode": "dual"}).company
    nameless = listing_input(
        company_kw={"branding_mode": "dual", "own_brand": ""}
    ).company
    assert listing_brand(config, co) == config.name
    assert listing_brand(config, dual) == "Hanbit"
    assert listing_brand(config, nameless) == "Hanbit Craft"


def test_an_unchecked_seller_gets_a_needs_action_issue_not_a_send() -> None:
    unchecked = {"last_check_ok": None, "setup": {}}
    result = preflight(
        brand_config(),
        listing_input("amazon", seller_kw=unchecked),
        public_base_url=BASE_URL,
        bounds=BOUNDS,
    )
    assert not result.ok
    assert result.codes == ["PREFLIGHT_BRAND_UNCHECKED"]
    explained = explain("amazon", "PREFLIGHT_BRAND_UNCHECKED")
    assert explained.owner == "staff"
    assert explained.needs_human
    assert "테스트 호출" in explained.action.ko
    assert "connection test" in explained.action.en
    assert explained.staff_url(7) == "/staff/companies/7/marketplaces"
    # eBay has no such gate.
    ebay = listing_input("ebay", seller_kw={"last_check_ok": None})
    assert preflight(brand_config(), ebay, public_base_url=BASE_URL).ok


@pytest.mark.parametrize(
    ("setup", "approved", "ok"),
    [
        ({BRAND_RESTRICTED: False}, [], True),  # Amazon lists no restriction
        ({BRAND_RESTRICTED: True}, [], False),  # restricted, nothing approved
        ({BRAND_RESTRICTED: True}, ["HANBIT"], True),  # case-insensitive
        ({BRAND_RESTRICTED: True}, ["Other"], False),
        ({}, ["Other"], False),  # tested before the flag was recorded
    ],
)
def test_brand_gate(setup: dict[str, bool], approved: list[str], ok: bool) -> None:
    kw = {"setup": setup, "approved_brands": approved, "last_check_ok": True}
    listing = listing_input(
        "amazon", seller_kw=kw, company_kw={"branding_mode": "dual"}
    )
    result = preflight(brand_config(), listing, public_base_url=BASE_URL, bounds=BOUNDS)
    assert result.ok is ok, result.issues
    assert brand_approval(listing.seller).allows("Hanbit") is ok
    if not ok:
        assert result.codes == ["PREFLIGHT_BRAND_NOT_APPROVED"]


def test_brand_issues_link_staff_to_the_branding_mode() -> None:
    for code in ("5665", "PREFLIGHT_BRAND_NOT_APPROVED"):
        explained = explain("amazon", code)
        assert explained.staff_url(12) == "/staff/companies/12#branding"
        assert "branding mode" in explained.action.en
        assert "브랜딩 방식" in explained.action.ko
    assert explain("ebay", "5665").staff_url(12) == ""
