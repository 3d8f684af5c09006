"""10,000 approved products already in sync: the sync must decide "nothing to
send" for every listing, without a single marketplace call.

C companies × P products (default 10 × 1,000), each company with an Amazon
and an eBay seller account, every listing live with the hashes of what the
brand renderer produces today (as a previous sync would have left them).
Then one full sync runs (claims, loading, pricing, rendering, pre-flight,
planning) with connectors that count every call.

Prints one JSON line last: products, listings, api_calls (must be 0), seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet
from sqlalchemy import insert

from export_hub.accounts.models import Company
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.db import create_engine, session_factory, transaction, utcnow
from export_hub.listings.models import Listing
from export_hub.listings.sync.load import RateBook, load_candidates
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.plan import PlanRules, plan
from export_hub.listings.sync.run import load_configs, run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry, SharedState
from export_hub.migrations import upgrade
from export_hub.pricing.models import ExchangeRate
from export_hub.security import SecretBox
from export_hub.settings import Settings, load_settings

EBAY_SETUP = {
    "opt_in": "opted_in",
    "merchant_location_key": "daejeon-export-hub",
    "fulfillment_policy_id": "F1",
    "payment_policy_id": "P1",
    "return_policy_id": "R1",
}


def bench_settings(database_url: str, **overrides: Any) -> Settings:
    return load_settings(
        environment="test",
        database={"url": database_url},
        web={"session_key": Fernet.generate_key().decode()},
        security={"secret_keys": [Fernet.generate_key().decode()]},
        **overrides,
    )


async def seed_catalog(
    sessions: Any,
    settings: Settings,
    companies: int,
    products: int,
    *,
    accounts: dict[str, list[tuple[str, str]]] | None = None,
) -> list[int]:
    """``companies`` × ``products`` approved products (bulk inserts) with
    seller accounts; ``accounts`` maps marketplace -> [(seller id, refresh
    token)] per company (default: placeholders). Returns the account ids."""
    box = SecretBox.from_settings(settings)
    account_ids = []
    async with transaction(sessions) as db:
        db.add(
            ExchangeRate(
                base_currency="KRW",
                quote_currency="USD",
                rate=Decimal("0.00075"),
                effective_on=dt.date(2026, 1, 1),
                source="bench",
            )
        )
        for c in range(companies):
            company = Company(
                name_ko=f"벤치 기업 {c}",
                name_en=f"Bench Maker {c}",
                brn=f"{1000000000 + c}",
                own_brand=f"Bench Brand {c}",
                margin_floor_percent=10.0,
            )
            db.add(company)
            await db.flush()
            now = utcnow()
            rows = [
                {
                    "company_id": company.id,
                    "sku": f"B{c}-{n:05d}",
                    "name_ko": f"제품 {n}",
                    "name_en": f"Daejeon Made Item Number {n}",
                    "description_en": "A well made product from Daejeon, Korea.",
                    "bullets_en": ["Made in Daejeon"],
                    "category": "bench",
                    "amazon_product_type": "TEA",
                    "ebay_category_id": "38180",
                    "brand": f"Bench Brand {c}",
                    "gtin": None,
                    "gtin_exempt": True,
                    "price_krw": 20000 + n,
                    "cost_krw": 8000,
                    "weight_g": 300,
                    "quantity": 10 + n % 5,
                    "state": ReviewState.APPROVED,
                    "reviewed_at": now,
                    "condition": "new",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(products)
            ]
            ids = list(await db.scalars(insert(Product).returning(Product.id), rows))
            await db.execute(
                insert(ProductImage),
                [
                    {
                        "product_id": pid,
                        "stored_name": f"b{c}-{i}.jpg",
                        "content_type": "image/jpeg",
                        "width": 1000,
                        "height": 1000,
                        "size_bytes": 1000,
                        "sha256": "0" * 64,
                        "position": 0,
                        "created_at": now,
                    }
                    for i, pid in enumerate(ids)
                ],
            )
            for marketplace, marketplace_id in (
                ("amazon", "ATVPDKIKX0DER"),
                ("ebay", "EBAY_US"),
            ):
                seller, token = (accounts or {}).get(
                    marketplace, [(f"S{c}{marketplace}", "demo-only")] * companies
                )[c]
                account = SellerAccount(
                    company_id=company.id,
                    marketplace=marketplace,
                    marketplace_id=marketplace_id,
                    region="na" if marketplace == "amazon" else "",
                    seller_id=seller,
                    refresh_token_encrypted=box.encrypt(token),
                    status="connected",
                    approved_brands=[],
                    setup=dict(EBAY_SETUP) if marketplace == "ebay" else {},
                )
                db.add(account)
                await db.flush()
                account_ids.append(account.id)
    return account_ids


async def mark_in_sync(
    sessions: Any, settings: Settings, account_ids: list[int]
) -> int:
    """Listings live with exactly what the renderer produces now."""
    brand, pricing = load_configs(settings)
    rules = PlanRules.from_brand(brand)
    now = utcnow()
    count = 0
    for account_id in account_ids:
        async with transaction(sessions) as db:
            account = await db.get_one(SellerAccount, account_id)
            candidates = await load_candidates(
                db,
                account,
                RateBook(pricing, now.date()),
                safety_buffer=brand.sync.safety_buffer,
            )
            work = plan(
                candidates,
                brand,
                pricing,
                rules,
                now=now,
                public_base_url=settings.web.public_base_url,
            ).work
            await db.execute(
                insert(Listing),
                [
                    {
                        "product_id": w.product_id,
                        "seller_account_id": account_id,
                        "marketplace": account.marketplace,
                        "sku": w.sku,
                        "status": "live",
                        "sent_hashes": dict(w.hashes),
                        "sent_price": str(w.price),
                        "sent_currency": w.currency,
                        "sent_quantity": w.quantity,
                        "last_quantity_assert_at": now,
                        "last_submitted_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for w in work
                ],
            )
            count += len(work)
    return count


class CountingConnector:
    """Counts every marketplace call (there must be none)."""

    def __init__(self, counter: list[int], account: Any):
        self._counter = counter
        self.account = account
        self.marketplace = account.marketplace

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self._counter[0] += 1
            raise RuntimeError(f"unexpected marketplace call {name}")

        return call

    async def aclose(self) -> None:
        return None


class CountingBuilder:
    price_quantity_batch = 25
    content_batch = 25
    feed_threshold = None

    def __init__(self, counter: list[int]):
        self.counter = counter

    def build(self, account: Any, refresh_token: str) -> Any:
        return CountingConnector(self.counter, account)

    async def prepare(self, connector: Any) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def main(companies: int, products: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await asyncio.to_thread(upgrade, url)
        settings = bench_settings(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            account_ids = await seed_catalog(sessions, settings, companies, products)
            listings = await mark_in_sync(sessions, settings, account_ids)
            counter = [0]
            registry = ConnectorRegistry(
                settings,
                builders={
                    m: (lambda s, sh: CountingBuilder(counter))
                    for m in ("amazon", "ebay")
                },
                shared=SharedState(),
            )
            started = time.perf_counter()
            report = await run_sync(
                sessions, settings, SyncOptions(), connectors=registry
            )
            seconds = time.perf_counter() - started
        finally:
            await engine.dispose()
    return {
        "products": companies * products,
        "listings": listings,
        "planned": report.planned,
        "skipped": report.as_counts().get("skip", {}),
        "api_calls": counter[0] + report.api_calls,
        "seconds": round(seconds, 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    result = asyncio.run(main(args.companies, args.products))
    print(json.dumps(result))
