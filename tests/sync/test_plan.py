"""The planner, pure: what is planned for each situation, and in which order."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig, load_brand
from export_hub.brand.prepare import ExchangeRates
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.listings.models import Listing
from export_hub.listings.sync.plan import (
    Action,
    Candidate,
    PlanRules,
    plan,
    plan_one,
)
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig, load_pricing
from export_hub.pricing.rates import RateInForce

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
URL = "https://hub.example"
USD = RateInForce("KRW", "USD", Decimal("0.00075"), NOW.date(), "test")
RATES = ExchangeRates(NOW.date(), {"USD": USD})


@pytest.fixture(scope="module")
def brand() -> BrandConfig:
    return load_brand(ROOT / "config" / "brand.toml")


@pytest.fixture(scope="module")
def pricing() -> PricingConfig:
    return load_pricing(ROOT / "config" / "pricing.toml")


@pytest.fixture(scope="module")
def rules(brand: BrandConfig) -> PlanRules:
    return PlanRules.from_brand(brand)


def candidate(
    n: int = 1,
    *,
    state: ReviewState = ReviewState.APPROVED,
    quantity: int = 10,
    price: str = "19.99",
    listing: Listing | None = None,
    marketplace: str = "amazon",
    rates: ExchangeRates = RATES,
) -> Candidate:
    """``price`` is the company's explicit USD target price, so it is listed
    as it is (the floor, from ``cost_krw``, stays well below)."""
    company = Company(
        id=1,
        name_ko="한빛",
        name_en="Hanbit Foods",
        brn="3058112341",
        own_brand="Hanbit Farm",
        branding_mode="",
        margin_floor_percent=10,
    )
    product = Product(
        id=n,
        company_id=1,
        sku=f"HB-{n:03d}",
        name_ko="차",
        name_en=f"Green Tea {n}",
        description_en="Tea from Daejeon.",
        bullets_en=["Caffeine free"],
        category="tea",
        amazon_product_type="TEA",
        ebay_category_id="38180",
        brand="Hanbit Farm",
        gtin=None,
        gtin_exempt=True,
        country_of_origin="KR",
        price_krw=20000,
        cost_krw=8000,
        target_price_usd=Decimal(price),
        quantity=quantity,
        state=state,
        condition="new",
        weight_g=100,
        length_mm=0,
        width_mm=0,
        height_mm=0,
    )
    account = SellerAccount(
        id=7 if marketplace == "amazon" else 8,
        company_id=1,
        marketplace=marketplace,
        marketplace_id="ATVPDKIKX0DER" if marketplace == "amazon" else "EBAY_US",
        seller_id="A1",
        approved_brands=[],
        region="na",
        setup={
            "merchant_location_key": "loc",
            "fulfillment_policy_id": "f",
            "payment_policy_id": "p",
            "return_policy_id": "r",
            "opt_in": "opted_in",
        },
    )
    image = ProductImage(id=n, product_id=n, stored_name=f"{n}.jpg", position=0)
    return Candidate(
        product=product,
        company=company,
        account=account,
        images=[image],
        listing=listing,
        quantity=quantity,
        rates=rates,
    )


def sent(
    c: Candidate,
    brand: BrandConfig,
    pricing: PricingConfig,
    rules: PlanRules,
    **changes: object,
) -> Listing:
    """The listing as a successful create would have left it."""
    (work,) = plan_one(c, brand, pricing, rules, now=NOW, public_base_url=URL)  # type: ignore[misc]
    values: dict[str, object] = {
        "id": c.product.id,
        "sku": work.sku,
        "status": "live",
        "marketplace": "amazon",
        "sent_hashes": dict(work.hashes),
        "sent_price": str(work.price),
        "sent_currency": "USD",
        "sent_quantity": work.quantity,
        "last_quantity_assert_at": NOW,
        "last_submitted_at": NOW,
        "in_doubt_operation": None,
        "paused_until": None,
        "pending_since": None,
        "listing_id": "B0TEST",
        "offer_id": None,
    }
    values.update(changes)
    return Listing(**values)


def only(result: object) -> Action:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0].action


def test_new_product_is_created_with_every_part_hash(brand, pricing, rules) -> None:
    (work,) = plan_one(candidate(), brand, pricing, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.CREATE
    assert set(work.hashes) == {"content", "price", "quantity", "images"}
    assert work.payload is not None
    assert "IT's Daejeon" in work.payload.content["attributes"]["item_name"][0]["value"]


def test_in_sync_listing_needs_nothing(brand, pricing, rules) -> None:
    c = candidate()
    listed = candidate(listing=sent(c, brand, pricing, rules))
    assert (
        plan_one(listed, brand, pricing, rules, now=NOW, public_base_url=URL)
        == "in_sync"
    )


def test_price_threshold(brand, pricing, rules) -> None:
    listing = sent(candidate(price="20.00"), brand, pricing, rules)
    small = candidate(price="20.10", listing=listing)  # 0.5 %
    assert (
        plan_one(small, brand, pricing, rules, now=NOW, public_base_url=URL)
        == "in_sync"
    )
    big = candidate(price="20.50", listing=listing)  # 2.5 %
    (work,) = plan_one(big, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.UPDATE_PRICE
    assert work.price == Decimal("20.50")
    assert work.quantity is None
    assert set(work.hashes) == {"price"}


def test_quantity_change_and_periodic_reassert(brand, pricing, rules) -> None:
    listing = sent(candidate(), brand, pricing, rules)
    changed = candidate(quantity=3, listing=listing)
    assert only(
        plan_one(changed, brand, pricing, rules, now=NOW, public_base_url=URL)
    ) is (Action.UPDATE_QUANTITY)
    later = NOW + rules.quantity_reassert + dt.timedelta(minutes=1)
    same = candidate(listing=listing)
    (work,) = plan_one(same, brand, pricing, rules, now=later, public_base_url=URL)
    assert work.action is Action.UPDATE_QUANTITY
    assert work.quantity == 10


def test_content_change_is_a_full_update(brand, pricing, rules) -> None:
    listing = sent(candidate(), brand, pricing, rules)
    c = candidate(listing=listing)
    c.product.name_en = "Green Tea, Organic"
    (work,) = plan_one(c, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.UPDATE_CONTENT


def test_withdrawn_rejected_and_out_of_stock(brand, pricing, rules) -> None:
    listing = sent(candidate(), brand, pricing, rules)
    for state in (ReviewState.WITHDRAWN, ReviewState.REJECTED):
        gone = candidate(state=state, listing=listing)
        assert only(
            plan_one(gone, brand, pricing, rules, now=NOW, public_base_url=URL)
        ) is (Action.END)
    never_listed = candidate(state=ReviewState.WITHDRAWN)
    assert (
        plan_one(never_listed, brand, pricing, rules, now=NOW, public_base_url=URL)
        == "ended"
    )
    # The shipped rules zero an out-of-stock listing rather than end it.
    empty = candidate(quantity=0, listing=listing)
    (work,) = plan_one(empty, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert (work.action, work.quantity) == (Action.UPDATE_QUANTITY, 0)
    ending = PlanRules(
        rules.end_states, True, rules.price_threshold, rules.quantity_reassert
    )
    assert only(
        plan_one(empty, brand, pricing, ending, now=NOW, public_base_url=URL)
    ) is (Action.END)


def test_paused_in_doubt_and_not_approved(brand, pricing, rules) -> None:
    paused = sent(
        candidate(),
        brand,
        pricing,
        rules,
        status="needs_action",
        paused_until=NOW + dt.timedelta(hours=1),
    )
    assert (
        plan_one(
            candidate(listing=paused),
            brand,
            pricing,
            rules,
            now=NOW,
            public_base_url=URL,
        )
        == "paused"
    )
    doubt = sent(candidate(), brand, pricing, rules, in_doubt_operation="create")
    assert (
        only(
            plan_one(
                candidate(listing=doubt),
                brand,
                pricing,
                rules,
                now=NOW,
                public_base_url=URL,
            )
        )
        is Action.CHECK
    )
    draft = candidate(state=ReviewState.SUBMITTED)
    assert (
        plan_one(draft, brand, pricing, rules, now=NOW, public_base_url=URL)
        == "not_approved"
    )


def test_preflight_failure_is_planned_without_a_call(brand, pricing, rules) -> None:
    c = candidate()
    c.account.approved_brands = ["Another Brand"]
    (work,) = plan_one(c, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.PREFLIGHT
    assert [i.code for i in work.issues] == ["PREFLIGHT_BRAND_NOT_APPROVED"]
    no_rate = candidate(rates=ExchangeRates(NOW.date(), {}))
    (work,) = plan_one(no_rate, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.PREFLIGHT
    assert [i.code for i in work.issues] == ["PREFLIGHT_PRICE_MISSING"]
    assert "KRW→USD" in work.issues[0].message


def test_priorities_and_aging(brand, pricing, rules) -> None:
    base = sent(candidate(1), brand, pricing, rules)
    new = candidate(2)
    price = candidate(
        3, price="30.00", listing=sent(candidate(3), brand, pricing, rules)
    )
    quantity = candidate(
        4, quantity=1, listing=sent(candidate(4), brand, pricing, rules)
    )
    ended = candidate(5, state=ReviewState.WITHDRAWN, listing=base)
    order = [
        w.action
        for w in plan(
            [new, price, quantity, ended],
            brand,
            pricing,
            rules,
            now=NOW,
            public_base_url=URL,
        ).work
    ]
    assert order == [
        Action.END,
        Action.UPDATE_QUANTITY,
        Action.UPDATE_PRICE,
        Action.CREATE,
    ]
    # A create waiting three hours overtakes fresh price and quantity work.
    waited = sent(
        candidate(6),
        brand,
        pricing,
        rules,
        sent_hashes={},
        status="pending",
        pending_since=NOW - dt.timedelta(hours=3),
    )
    old = candidate(6, listing=waited)
    order = [
        w.action
        for w in plan(
            [price, quantity, old], brand, pricing, rules, now=NOW, public_base_url=URL
        ).work
    ]
    assert order[0] is Action.CREATE


def test_a_changed_quantity_goes_ahead_of_a_full_replace(brand, pricing, rules) -> None:
    listing = sent(candidate(), brand, pricing, rules)
    both = candidate(quantity=4, listing=listing)
    both.product.name_en = "Green Tea, renamed"
    work = plan_one(both, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert isinstance(work, list)
    assert next((w.action, w.quantity) for w in work) == (Action.UPDATE_QUANTITY, 4)
    assert work[1].action is Action.UPDATE_CONTENT
    result = plan([both], brand, pricing, rules, now=NOW, public_base_url=URL)
    assert [w.action for w in result.work] == [
        Action.UPDATE_QUANTITY,
        Action.UPDATE_CONTENT,
    ]
    # Content alone: one full replace, as before.
    renamed = candidate(listing=sent(candidate(), brand, pricing, rules))
    renamed.product.name_en = "Green Tea, renamed"
    assert (
        only(plan_one(renamed, brand, pricing, rules, now=NOW, public_base_url=URL))
        is Action.UPDATE_CONTENT
    )


def trading(
    quantity: int, *, state: ReviewState = ReviewState.APPROVED, **listing: object
) -> Candidate:
    """A linked legacy eBay listing, as the import left it (5 at 12.00)."""
    base = candidate(quantity=quantity, state=state, marketplace="ebay")
    values: dict[str, object] = {
        "id": 1,
        "sku": base.product.sku,
        "status": "live",
        "marketplace": "ebay",
        "sent_hashes": {},
        "sent_price": "12.00",
        "sent_currency": "USD",
        "sent_quantity": 5,
        "last_quantity_assert_at": None,
        "last_submitted_at": None,
        "in_doubt_operation": None,
        "paused_until": None,
        "pending_since": None,
        "listing_id": "110001",
        "offer_id": None,
    }
    values.update(listing)
    return replace(base, listing=Listing(**values), trading_item="110001")


def test_a_trading_listing_is_never_created_only_revised(brand, pricing, rules) -> None:
    work = plan_one(trading(9), brand, pricing, rules, now=NOW, public_base_url=URL)
    assert isinstance(work, list)
    assert [(w.action, w.quantity, w.price) for w in work] == [
        (Action.UPDATE_QUANTITY, 9, None),
        (Action.UPDATE_PRICE, None, Decimal("19.99")),
    ]
    assert {w.marketplace_listing_id for w in work} == {"110001"}
    assert all(w.payload is None for w in work)
    # In step with eBay: nothing to send until the quantity is due again.
    synced = trading(
        9, sent_quantity=9, sent_price="19.99", last_quantity_assert_at=NOW
    )
    assert plan_one(synced, brand, pricing, rules, now=NOW, public_base_url=URL) == (
        "in_sync"
    )
    # Stock never waits for review: a product not approved yet still gets
    # its quantity (its price stays the company's own).
    pending = trading(3, state=ReviewState.SUBMITTED)
    assert [
        (w.action, w.quantity)
        for w in plan_one(pending, brand, pricing, rules, now=NOW, public_base_url=URL)
    ] == [(Action.UPDATE_QUANTITY, 3)]
    # Out of stock with the default rule: quantity 0, still not ended.
    empty = trading(0)
    assert next(
        (w.action, w.quantity)
        for w in plan_one(empty, brand, pricing, rules, now=NOW, public_base_url=URL)
    ) == (Action.UPDATE_QUANTITY, 0)
