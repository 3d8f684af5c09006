"""Price + render + pre-flight for stored products, and the staff preview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.brand.config import load_brand
from export_hub.brand.prepare import (
    ExchangeRates,
    currencies_of,
    load_product,
    load_rates,
    prepare_listing,
)
from export_hub.catalog.models import ReviewState
from export_hub.db import transaction
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import load_pricing
from export_hub.pricing.rates import RateInForce, record_rate
from tests.brand.factories import brand_config, company, images, product, seller
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 11, 20)


async def _store(sessions, *, rate: bool = True, **product_kw) -> tuple[int, int, int]:
    async with transaction(sessions) as db:
        c = company(id=None)
        db.add(c)
        await db.flush()
        p = product(id=None, company_id=c.id, **product_kw)
        p.images = images(2)
        for image in p.images:
            image.id = None
            image.product_id = None
        db.add(p)
        amazon = seller("amazon", id=None, company_id=c.id, approved_brands=["Hanbit"])
        ebay = seller("ebay", id=None, company_id=c.id)
        db.add_all([amazon, ebay])
        if rate:
            await record_rate(
                db,
                base="USD",
                quote="KRW",
                rate=Decimal("1388.8888"),
                effective_on=DAY,
                source="staff",
            )
        await db.flush()
        return p.id, amazon.id, ebay.id


async def _prepare(sessions, product_id: int, seller_id: int):
    brand = load_brand(ROOT / "config" / "brand.toml")
    pricing = load_pricing(ROOT / "config" / "pricing.toml")
    async with sessions() as db:
        p = await load_product(db, product_id)
        account = await db.get_one(SellerAccount, seller_id)
        rates = await load_rates(db, currencies_of(pricing, [account]), DAY)
    return prepare_listing(
        brand,
        pricing,
        product=p,
        company=p.company,
        seller=account,
        images=p.images,
        quantity=p.quantity,
        rates=rates,
        public_base_url="https://hub.example.org",
    )


async def test_stored_product_is_ready_for_both_marketplaces(sessions) -> None:
    product_id, amazon_id, ebay_id = await _store(sessions)
    amazon = await _prepare(sessions, product_id, amazon_id)
    assert amazon.ok, amazon.result.issues
    assert amazon.action == "list"
    assert amazon.quote.currency == "USD"
    # 1 / 1388.8888 KRW = 0.00072 USD: (39000 + 9000) x 0.00072 / 0.85 -> 40.99
    assert amazon.quote.price == Decimal("40.99")
    attrs = amazon.result.rendered.body["attributes"]
    assert attrs["fulfillment_availability"][0]["quantity"] == 12
    ebay = await _prepare(sessions, product_id, ebay_id)
    assert ebay.ok, ebay.result.issues
    assert (
        ebay.result.rendered.body["offer"]["pricingSummary"]["price"]["value"]
        == "40.99"  # 34.56 / 0.864 = 40.00 -> next .99
    )


async def test_sync_rules_and_missing_rate(sessions) -> None:
    product_id, amazon_id, _ = await _store(
        sessions, rate=False, state=ReviewState.WITHDRAWN, quantity=4
    )
    prepared = await _prepare(sessions, product_id, amazon_id)
    assert prepared.action == "end"
    assert prepared.quote is None
    assert prepared.result.codes == ["PREFLIGHT_PRICE_MISSING"]
    assert "KRW→USD" in prepared.result.issues[0].message


async def test_staff_preview_page(client, sessions) -> None:
    product_id, _, _ = await _store(sessions, description_en="Silver 팔찌 bracelet")
    async with transaction(sessions) as db:
        await create_user(
            db, email="staff@example.kr", password="correct-horse-1", role=Role.STAFF
        )
    await login(client, "staff@example.kr", "correct-horse-1")
    page = await client.get("/staff/brand")
    assert page.status == 200
    assert "IT&#39;s Daejeon" in await page.text()
    resp = await client.get(f"/staff/brand?product_id={product_id}")
    assert resp.status == 200
    body = await resp.text()
    assert "PREFLIGHT_HANGUL_IN_ENGLISH" in body
    assert "영문 내용에 한글이 들어 있습니다" in body
    assert (await client.get("/staff/brand?product_id=999999")).status == 404
    assert (await client.get("/staff/brand?product_id=x")).status == 404


def _pure(available: int, seller_kw: dict | None = None, pricing=None, **product_kw):
    """``prepare_listing`` on unsaved records (the product counts 12 units,
    ``available`` says how many may be sold): no database, no clock."""
    usd = RateInForce("KRW", "USD", Decimal("0.00072"), DAY, "test")
    eur = RateInForce("KRW", "EUR", Decimal("0.00066"), DAY, "test")
    seller_kw = {"marketplace": "amazon", **(seller_kw or {})}
    return prepare_listing(
        brand_config(),
        pricing or load_pricing(ROOT / "config" / "pricing.toml"),
        product=product(**product_kw),
        company=company(),
        seller=seller(approved_brands=["Hanbit"], **seller_kw),
        images=list(reversed(images(2))),
        quantity=available,
        rates=ExchangeRates(DAY, {"USD": usd, "EUR": eur}),
        public_base_url="https://hub.example.org",
    )


def test_the_available_quantity_is_what_is_listed() -> None:
    five = _pure(5)
    assert five.ok, five.result.issues
    assert (five.action, five.payload.quantity) == ("list", 5)
    attrs = five.payload.content["attributes"]
    assert attrs["fulfillment_availability"][0]["quantity"] == 5
    # Images go by position whatever order they come in.
    locators = attrs["main_product_image_locator"][0]["media_location"]
    assert locators.endswith("0.jpg")
    empty = _pure(0)
    assert empty.ok, empty.result.issues
    assert (empty.action, empty.payload.quantity) == ("zero", 0)
    assert _pure(-3).payload.quantity == 0
    withdrawn = _pure(5, state=ReviewState.WITHDRAWN)
    assert (withdrawn.action, withdrawn.payload.quantity) == ("end", 0)


def test_a_site_fee_and_a_site_without_currency() -> None:
    base = load_pricing(ROOT / "config" / "pricing.toml")
    pricing = base.model_copy(update={"fees": {**base.fees, "EBAY_DE": Decimal(11)}})
    germany = _pure(
        5,
        {"marketplace": "ebay", "marketplace_id": "EBAY_DE"},
        pricing,
        # eBay's category trees differ per site: the product names its DE one.
        ebay_categories={"EBAY_US": "137835", "EBAY_DE": "137835"},
    )
    assert germany.ok, germany.result.issues
    assert germany.quote.breakdown["fee_percent"] == Decimal(11)
    assert germany.payload.currency == "EUR"
    assert germany.payload.price == germany.quote.price
    nowhere = _pure(5, {"marketplace": "ebay", "marketplace_id": "EBAY_XX"})
    assert nowhere.quote is None
    # No price comes first; an unknown site has no category either.
    assert nowhere.result.codes == [
        "PREFLIGHT_PRICE_MISSING",
        "PREFLIGHT_ATTRIBUTE_MISSING",
    ]
    assert "EBAY_XX" in nowhere.result.issues[0].message
    no_gbp = _pure(
        5,
        {"marketplace": "ebay", "marketplace_id": "EBAY_GB"},
        ebay_categories={"EBAY_US": "137835", "EBAY_GB": "137835"},
    )
    assert no_gbp.result.codes == ["PREFLIGHT_PRICE_MISSING"]
    assert "KRW→GBP" in no_gbp.result.issues[0].message
