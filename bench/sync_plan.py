"""10,000 approved products already in sync: the sync must decide "nothing to
send" for every listing, without a single marketplace call.

C companies × P products (default 10 × 1,000), each company with an Amazon
and an eBay seller account (brand check passed). The in-sync state comes
from a real first sync against both emulators (a child process, real
sockets, time-compressed by ``--first-scale``; not measured), recorded by
the sync's own recorder. Then one full sync is measured (claims, loading,
fingerprints, planning; rendering only where an input moved) with
connectors that count every call.

Prints one JSON line last: products, listings, api_calls (must be 0),
seconds, cpu_us_per_listing (process CPU time of the measured sync / the
listings planned; the goal is ≤ 25), and the first sync's counts.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet
from sqlalchemy import insert, select, update

from bench.emulated import call_counts, emulator_overrides, emulators
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.db import create_engine, session_factory, transaction, utcnow
from export_hub.listings.models import Listing, ListingIssue
from export_hub.listings.sync.options import SyncOptions, SyncReport
from export_hub.listings.sync.run import run_sync
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
    brand_checked: bool = False,
) -> list[int]:
    """``companies`` × ``products`` approved products (bulk inserts) with
    seller accounts; ``accounts`` maps marketplace -> [(seller id, refresh
    token)] per company (default: placeholders). ``brand_checked``: the
    Amazon accounts passed the connection test (their brand check), as a
    connected seller's have; without it their listings stop at pre-flight.
    Returns the account ids."""
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
                    "ebay_categories": {"EBAY_US": "38180"},
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
                    last_check_ok=True if brand_checked else None,
                )
                db.add(account)
                await db.flush()
                account_ids.append(account.id)
    return account_ids


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


async def main(companies: int, products: int, first_scale: float) -> dict[str, Any]:
    with emulators(companies, first_scale) as (conn, info):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            await asyncio.to_thread(upgrade, url)
            settings = bench_settings(url, **emulator_overrides(info, first_scale))
            engine = create_engine(url)
            sessions = session_factory(engine)
            try:
                first = await first_sync(sessions, settings, info, companies, products)
                calls_before = call_counts(conn)
                measured = await measured_sync(sessions, settings)
                calls_after = call_counts(conn)
            finally:
                await engine.dispose()
    report, seconds, cpu = measured
    listings = report.planned + sum(report.as_counts().get("skip", {}).values())
    return {
        "products": companies * products,
        "listings": listings,
        "first_sync": {"create": first},
        "planned": report.planned,
        "skipped": report.as_counts().get("skip", {}),
        "api_calls": report.api_calls
        + sum(
            after - before
            for before, after in zip(calls_before, calls_after, strict=True)
        ),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_listing": round(cpu / listings * 1e6, 1) if listings else 0.0,
    }


#: Products approved per company between first-sync passes: one Amazon feed
#: of more would exceed the emulator's upload limit (aiohttp's 1 MB).
APPROVALS_PER_PASS = 500


async def first_sync(
    sessions: Any,
    settings: Settings,
    info: dict[str, Any],
    companies: int,
    products: int,
) -> dict[str, int]:
    """Seed and list everything on the emulators: the state a real sync
    leaves. Products are approved ``APPROVALS_PER_PASS`` per company at a
    time, each batch listed by a sync (as review approves them over days).
    Returns the listings created."""
    await seed_catalog(
        sessions,
        settings,
        companies,
        products,
        accounts={"amazon": info["amazon_sellers"], "ebay": info["ebay_sellers"]},
        brand_checked=True,
    )
    async with transaction(sessions) as db:
        # The first sync sets up the eBay policies and location itself.
        await db.execute(update(SellerAccount).values(setup={}))
        rows = (await db.execute(select(Product.company_id, Product.id))).all()
        await db.execute(update(Product).values(state=ReviewState.SUBMITTED))
    by_company: dict[int, list[int]] = {}
    for company_id, product_id in sorted(rows):
        by_company.setdefault(company_id, []).append(product_id)
    created: Counter[str] = Counter()
    for start in range(0, products, APPROVALS_PER_PASS):
        batch = [
            i
            for ids in by_company.values()
            for i in ids[start : start + APPROVALS_PER_PASS]
        ]
        async with transaction(sessions) as db:
            await db.execute(
                update(Product)
                .where(Product.id.in_(batch))
                .values(state=ReviewState.APPROVED)
            )
        report = await run_sync(sessions, settings, SyncOptions())
        created.update(report.counts.get("create", {}))
    if created["ok"] != 2 * companies * products:
        async with sessions() as db:
            issues = Counter(
                f"{marketplace}: {code} {message[:160]}"
                for marketplace, code, message in await db.execute(
                    select(
                        Listing.marketplace, ListingIssue.code, ListingIssue.message
                    ).join(Listing, Listing.id == ListingIssue.listing_id)
                )
            )
        raise RuntimeError(
            f"the first sync did not list everything: {dict(created)}; "
            f"issues: {issues.most_common(3)}"
        )
    return dict(created)


async def measured_sync(
    sessions: Any, settings: Settings
) -> tuple[SyncReport, float, float]:
    """The second sync, with connectors that fail (and count) any call:
    (report, wall seconds, process CPU seconds)."""
    counter = [0]
    registry = ConnectorRegistry(
        settings,
        builders={
            m: (lambda s, sh: CountingBuilder(counter)) for m in ("amazon", "ebay")
        },
        shared=SharedState(),
    )
    wall, cpu = time.perf_counter(), time.process_time()
    report = await run_sync(sessions, settings, SyncOptions(), connectors=registry)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report.api_calls += counter[0]
    return report, wall, cpu


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument(
        "--first-scale",
        type=float,
        default=50.0,
        help="time compression of the emulators for the (unmeasured) first sync",
    )
    args = parser.parse_args()
    result = asyncio.run(main(args.companies, args.products, args.first_scale))
    print(json.dumps(result))
