"""The planner, pure: what is planned for each situation, and in which order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig, load_brand
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.listings.models import Listing
from export_hub.listings.sync.plan import (
    Action,
    Candidate,
    PlanRules,
    Quote,
    plan,
    plan_one,
)
from export_hub.marketplaces.models import SellerAccount

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
URL = "https://hub.example"


@pytest.fixture(scope="module")
def brand() -> BrandConfig:
    return load_brand(ROOT / "config" / "brand.toml")


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
) -> Candidate:
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
        last_check_ok=True,  # the brand check has run
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
        product, company, account, [image], listing, Quote(Decimal(price), "USD")
    )


def sent(
    c: Candidate, brand: BrandConfig, rules: PlanRules, **changes: object
) -> Listing:
    """The listing as a successful create would have left it."""
    (work,) = plan_one(c, brand, rules, now=NOW, public_base_url=URL)  # type: ignore[misc]
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


def test_new_product_is_created_with_every_part_hash(brand, rules) -> None:
    (work,) = plan_one(candidate(), brand, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.CREATE
    assert set(work.hashes) == {"content", "price", "quantity", "images"}
    assert work.payload is not None
    assert "IT's Daejeon" in work.payload.content["attributes"]["item_name"][0]["value"]


def test_in_sync_listing_needs_nothing(brand, rules) -> None:
    c = candidate()
    listed = candidate(listing=sent(c, brand, rules))
    assert plan_one(listed, brand, rules, now=NOW, public_base_url=URL) == "in_sync"


def test_price_threshold(brand, rules) -> None:
    listing = sent(candidate(price="20.00"), brand, rules)
    small = candidate(price="20.10", listing=listing)  # 0.5 %
    assert plan_one(small, brand, rules, now=NOW, public_base_url=URL) == "in_sync"
    big = candidate(price="20.50", listing=listing)  # 2.5 %
    (work,) = plan_one(big, brand, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.UPDATE_PRICE
    assert work.price == Decimal("20.50")
    assert work.quantity is None
    assert set(work.hashes) == {"price"}


def test_quantity_change_and_periodic_reassert(brand, rules) -> None:
    listing = sent(candidate(), brand, rules)
    changed = candidate(quantity=3, listing=listing)
    assert only(plan_one(changed, brand, rules, now=NOW, public_base_url=URL)) is (
        Action.UPDATE_QUANTITY
    )
    later = NOW + rules.quantity_reassert + dt.timedelta(minutes=1)
    same = candidate(listing=listing)
    (work,) = plan_one(same, brand, rules, now=later, public_base_url=URL)
    assert work.action is Action.UPDATE_QUANTITY
    assert work.quantity == 10


def test_content_change_is_a_full_update(brand, rules) -> None:
    listing = sent(candidate(), brand, rules)
    c = candidate(listing=listing)
    c.product.name_en = "Green Tea, Organic"
    (work,) = plan_one(c, brand, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.UPDATE_CONTENT


def test_withdrawn_rejected_and_out_of_stock(brand, rules) -> None:
    listing = sent(candidate(), brand, rules)
    for state in (ReviewState.WITHDRAWN, ReviewState.REJECTED):
        gone = candidate(state=state, listing=listing)
        assert only(plan_one(gone, brand, rules, now=NOW, public_base_url=URL)) is (
            Action.END
        )
    never_listed = candidate(state=ReviewState.WITHDRAWN)
    assert plan_one(never_listed, brand, rules, now=NOW, public_base_url=URL) == "ended"
    # The shipped rules zero an out-of-stock listing rather than end it.
    empty = candidate(quantity=0, listing=listing)
    (work,) = plan_one(empty, brand, rules, now=NOW, public_base_url=URL)
    assert (work.action, work.quantity) == (Action.UPDATE_QUANTITY, 0)
    ending = PlanRules(
        rules.end_states, True, rules.price_threshold, rules.quantity_reassert
    )
    assert only(plan_one(empty, brand, ending, now=NOW, public_base_url=URL)) is (
        Action.END
    )


def test_paused_in_doubt_and_not_approved(brand, rules) -> None:
    paused = sent(
        candidate(),
        brand,
        rules,
        status="needs_action",
        paused_until=NOW + dt.timedelta(hours=1),
    )
    assert (
        plan_one(candidate(listing=paused), brand, rules, now=NOW, public_base_url=URL)
        == "paused"
    )
    doubt = sent(candidate(), brand, rules, in_doubt_operation="create")
    assert (
        only(
            plan_one(
                candidate(listing=doubt), brand, rules, now=NOW, public_base_url=URL
            )
        )
        is Action.CHECK
    )
    draft = candidate(state=ReviewState.SUBMITTED)
    assert plan_one(draft, brand, rules, now=NOW, public_base_url=URL) == "not_approved"


def test_preflight_failure_is_planned_without_a_call(brand, rules) -> None:
    c = candidate()
    c.account.approved_brands = ["Another Brand"]
    (work,) = plan_one(c, brand, rules, now=NOW, public_base_url=URL)
    assert work.action is Action.PREFLIGHT
    assert [i.code for i in work.issues] == ["PREFLIGHT_BRAND_NOT_APPROVED"]
    no_price = Candidate(
        c.product,
        c.company,
        c.account,
        c.images,
        None,
        Quote(None, "USD", problem="No KRW→USD rate"),
    )
    (work,) = plan_one(no_price, brand, rules, now=NOW, public_base_url=URL)
    assert work.issues[0].code == "PREFLIGHT_PRICE_MISSING"


def test_priorities_and_aging(brand, rules) -> None:
    base = sent(candidate(1), brand, rules)
    new = candidate(2)
    price = candidate(3, price="30.00", listing=sent(candidate(3), brand, rules))
    quantity = candidate(4, quantity=1, listing=sent(candidate(4), brand, rules))
    ended = candidate(5, state=ReviewState.WITHDRAWN, listing=base)
    order = [
        w.action
        for w in plan(
            [new, price, quantity, ended], brand, rules, now=NOW, public_base_url=URL
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
        rules,
        sent_hashes={},
        status="pending",
        pending_since=NOW - dt.timedelta(hours=3),
    )
    old = candidate(6, listing=waited)
    order = [
        w.action
        for w in plan(
            [price, quantity, old], brand, rules, now=NOW, public_base_url=URL
        ).work
    ]
    assert order[0] is Action.CREATE
