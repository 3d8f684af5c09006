"""The staff's preview is the sync: the same product, rendered through the
preview (the brand page and the function behind it) and through the sync
planner (loader + planner, as a sync run does), gives byte for byte the same
payload on Amazon and on eBay.

No emulator: the planner's work items are the payloads a connector would be
sent, and a dry run checks the engine plans exactly those items.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import ListingPayload
from export_hub.accounts.models import Company, Role
from export_hub.accounts.service import create_user
from export_hub.brand.prepare import load_product
from export_hub.brand.web import preview
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.db import transaction, utcnow
from export_hub.listings.sync.load import RateBook, load_candidates, seller_accounts
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.plan import Action, PlanRules, Work, plan
from export_hub.listings.sync.run import load_configs, run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.rates import record_rate
from export_hub.settings import Settings
from tests.conftest import login, make_settings

EBAY_SETUP = {
    "opt_in": "opted_in",
    "merchant_location_key": "daejeon-export-hub",
    "fulfillment_policy_id": "F1",
    "payment_policy_id": "P1",
    "return_policy_id": "R1",
}
PRE_RE = re.compile(r'<pre lang="en">(.*?)</pre>', re.S)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Plain settings: nothing here talks to a marketplace."""
    return make_settings(database_url, tmp_path)


def canonical(payload: ListingPayload) -> bytes:
    """Everything the connector receives, as bytes."""
    return json.dumps(
        {
            "sku": payload.sku,
            "content": payload.content,
            "price": str(payload.price),
            "currency": payload.currency,
            "quantity": payload.quantity,
        },
        sort_keys=True,
        ensure_ascii=False,
    ).encode()


async def store(
    sessions: async_sessionmaker[AsyncSession], on: dt.date
) -> dict[str, int]:
    """One company with an Amazon and an eBay account, a product in stock
    (images stored out of display order), one out of stock, and one with
    units reserved by open orders and a safety buffer of its own."""
    async with transaction(sessions) as db:
        company = Company(
            name_ko="한빛공방",
            name_en="Hanbit Craft",
            brn="2208162517",
            own_brand="Hanbit",
            margin_floor_percent=12.5,
        )
        db.add(company)
        await db.flush()
        ids = {}
        for sku, quantity, reserved, buffer in (
            ("HB-IN", 7, 0, None),
            ("HB-OUT", 0, 0, None),
            ("HB-RES", 9, 3, 2),
        ):
            product = Product(
                company_id=company.id,
                sku=sku,
                name_ko="은 팔찌",
                name_en=f"Handmade Sterling Silver Bracelet {sku}",
                description_en="A sterling silver bracelet, hand-finished in Daejeon.",
                bullets_en=["925 sterling silver", "Adjustable length 16-19 cm"],
                category="Jewelry",
                amazon_product_type="BRACELET",
                ebay_category_id="137835",
                brand="Hanbit",
                gtin=None,
                gtin_exempt=True,
                country_of_origin="KR",
                price_krw=39000,
                cost_krw=20000,
                weight_g=120,
                quantity=quantity,
                reserved=reserved,
                stock_buffer=buffer,
                state=ReviewState.APPROVED,
                reviewed_at=utcnow(),
            )
            db.add(product)
            await db.flush()
            ids[sku] = product.id
            # Inserted second-image-first: both paths must list by position.
            for position in (1, 0):
                db.add(
                    ProductImage(
                        product_id=product.id,
                        stored_name=f"{sku.lower()}-{position}.jpg",
                        content_type="image/jpeg",
                        width=1200,
                        height=1200,
                        size_bytes=1000,
                        sha256="0" * 64,
                        position=position,
                    )
                )
        for marketplace, marketplace_id in (
            ("amazon", "ATVPDKIKX0DER"),
            ("ebay", "EBAY_US"),
        ):
            db.add(
                SellerAccount(
                    company_id=company.id,
                    marketplace=marketplace,
                    marketplace_id=marketplace_id,
                    region="na" if marketplace == "amazon" else "",
                    seller_id=f"S-{marketplace}",
                    status="connected",
                    approved_brands=["Hanbit"] if marketplace == "amazon" else [],
                    setup=dict(EBAY_SETUP) if marketplace == "ebay" else {},
                )
            )
        # Staff enter 1 USD = x KRW; the engine needs 1 KRW = y USD.
        await record_rate(
            db,
            base="USD",
            quote="KRW",
            rate=Decimal("1388.8888"),
            effective_on=on - dt.timedelta(days=3),
            source="staff",
        )
    return ids


async def planned_work(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: dt.datetime
) -> dict[tuple[int, str], Work]:
    """What a sync run plans to send, per (product, marketplace)."""
    brand, pricing = load_configs(settings)
    rates = RateBook(pricing, now.date())
    work: dict[tuple[int, str], Work] = {}
    async with sessions() as db:
        for account in await seller_accounts(db):
            result = plan(
                await load_candidates(
                    db, account, rates, safety_buffer=brand.sync.safety_buffer
                ),
                brand,
                pricing,
                PlanRules.from_brand(brand),
                now=now,
                public_base_url=settings.web.public_base_url,
            )
            assert not result.skipped, result.skipped
            for item in result.work:
                work[(item.product_id, item.marketplace)] = item
    return work


async def test_preview_and_planner_send_the_same_bytes(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    now = utcnow()
    ids = await store(sessions, now.date())
    brand, pricing = load_configs(settings)
    work = await planned_work(sessions, settings, now)
    assert len(work) == 6
    # Offered: on hand - reserved - buffer (the brand's default, 1, unless
    # the product overrides it), never below 0.
    assert brand.sync.safety_buffer == 1
    offered = {"HB-IN": 7 - 0 - 1, "HB-OUT": 0, "HB-RES": 9 - 3 - 2}
    for sku, product_id in ids.items():
        async with sessions() as db:
            product = await load_product(db, product_id)
            assert product is not None
            previews = await preview(
                db,
                brand,
                pricing,
                product,
                public_base_url=settings.web.public_base_url,
                on=now.date(),
            )
        assert sorted(p.seller.marketplace for p in previews) == ["amazon", "ebay"]
        for prepared in previews:
            item = work[(product_id, prepared.seller.marketplace)]
            assert prepared.ok, prepared.result.issues
            assert item.action is Action.CREATE
            assert prepared.payload is not None
            assert item.payload is not None
            assert canonical(prepared.payload) == canonical(item.payload)
            assert (item.price, item.currency, item.quantity) == (
                prepared.payload.price,
                prepared.payload.currency,
                prepared.payload.quantity,
            )
            # What both agree on is the real thing, not two empty answers.
            assert item.payload.sku == sku
            assert item.quantity == offered[sku]
            # 1 KRW = 1 / 1388.8888 = 0.00072 USD; Amazon (39000 + 9000) x
            # 0.00072 / 0.85 = 40.66, eBay / 0.864 = 40.00: both end in .99.
            assert (item.price, item.currency) == (Decimal("40.99"), "USD")
            assert prepared.quote is not None
            assert prepared.quote.floor == Decimal(
                "26.69" if prepared.seller.marketplace == "amazon" else "26.26"
            )
            images = json.dumps(item.payload.content)
            first = images.index(f"{sku.lower()}-0.jpg")
            assert first < images.index(f"{sku.lower()}-1.jpg")


async def test_staff_page_shows_what_is_sent(
    client: Any, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    now = utcnow()
    ids = await store(sessions, now.date())
    work = await planned_work(sessions, settings, now)
    async with transaction(sessions) as db:
        await create_user(
            db, email="staff@example.kr", password="correct-horse-1", role=Role.STAFF
        )
    await login(client, "staff@example.kr", "correct-horse-1")
    resp = await client.get(f"/staff/brand?product_id={ids['HB-IN']}")
    assert resp.status == 200
    shown = [json.loads(html.unescape(m)) for m in PRE_RE.findall(await resp.text())]
    sent = [
        work[(ids["HB-IN"], marketplace)].payload for marketplace in ("amazon", "ebay")
    ]
    assert [json.dumps(s, sort_keys=True) for s in shown] == [
        json.dumps(p.content, sort_keys=True) for p in sent if p is not None
    ]
    assert len(shown) == 2


async def test_dry_run_plans_the_same_items(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    now = utcnow()
    await store(sessions, now.date())
    work = await planned_work(sessions, settings, now)
    report = await run_sync(sessions, settings, SyncOptions(dry_run=True), now=now)
    assert report.as_counts() == {"create": {"planned": len(work)}}
    assert report.planned == 6
