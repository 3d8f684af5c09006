"""S companies × M products through the whole sync, against both emulators
(in a child process, on real sockets) at their documented limits, optionally
time-compressed by ``--scale``: a first sync (everything new) and then a sync
after 10 % of the prices changed.

``bound_seconds`` is what the marketplaces' limits need at best for the work
done, by the FEWEST calls their APIs allow for it, whatever calls the sync
chose to make. The work is what was accepted (listings created or replaced,
price/quantity updates, ends), per seller account. Sellers run in parallel
(their limits are their own), so a phase's bound is the largest over
accounts of:

* eBay: the Inventory API takes 25 listings a call (bulk create-or-replace
  item, bulk create offer, bulk publish: 3 calls per 25 new listings; bulk
  price/quantity: 1 call per 25 listings) and each END is one call; with
  the account API calls made to set the seller up. Calls beyond the burst
  are paced at the per-user rate.
* Amazon: the faster of one JSON_LISTINGS_FEED carrying all the work (its
  four calls fit in the bursts; it needs the feed's processing time) and
  single calls (PUT per new listing, PATCH per price/quantity update,
  DELETE per end: each operation's own bucket, beyond its burst at its rate).

A sync that makes more calls than needed takes longer than the bound and
scores a lower ``efficiency`` (bound / measured; target ≥ 0.9).
``cpu_us_per_listing_sent`` is this process's CPU time for the phase (load,
render, validate, plan, send, record; the emulators run in another process)
over the listings sent (goal ≤ 1,000 µs).

Compression shrinks only the rate-limited time, not the fixed CPU work, so
efficiency falls as ``--scale`` grows: measure at 1 (the documented limits,
the default) for the real figure.

Prints one JSON line last: efficiency, api_calls, failed, seconds,
cpu_us_per_listing_sent (and the per-phase figures).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update

from bench.emulated import emulator_overrides, emulators
from bench.sync_plan import bench_settings, seed_catalog
from emulators.amazon.config import DOCUMENTED_RATES
from export_hub.catalog.models import Product
from export_hub.db import create_engine, session_factory, transaction, utcnow
from export_hub.listings.models import Listing, ListingEvent
from export_hub.listings.sync.options import SyncOptions, SyncReport
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from export_hub.migrations import upgrade

OK = {"ok", "planned"}
FULL = {"create", "update_content"}
OFFER = {"update_price", "update_quantity"}
EBAY_BATCH = 25


def failures(report: SyncReport) -> int:
    return sum(
        n
        for action, outcomes in report.counts.items()
        if action != "skip"
        for outcome, n in outcomes.items()
        if outcome not in OK
    )


def paced(calls: int, rate: float, burst: int) -> float:
    """Seconds until the last of ``calls`` may be made (a full bucket)."""
    return max(0, calls - burst) / rate


def amazon_bound(work: dict[str, int], scale: float, feed_seconds: float) -> float:
    """Fewest-calls time for one Amazon account's work (module docstring)."""
    if not any(work.values()):
        return 0.0

    def single(operation: str, n: int) -> float:
        rate, burst = DOCUMENTED_RATES[operation]
        return paced(n, rate * scale, burst)

    singles = max(
        single("putListingsItem", work["full"]),
        single("patchListingsItem", work["offer"]),
        single("deleteListingsItem", work["end"]),
    )
    return min(singles, feed_seconds)


def ebay_bound(
    work: dict[str, int], account_calls: int, rate: float, burst: int
) -> float:
    """Fewest-calls time for one eBay account's work (module docstring)."""
    inventory = (
        3 * math.ceil(work["full"] / EBAY_BATCH)
        + math.ceil(work["offer"] / EBAY_BATCH)
        + work["end"]
    )
    return max(paced(inventory, rate, burst), paced(account_calls, rate, burst))


async def accepted_work(
    sessions: Any, since: dt.datetime
) -> dict[tuple[str, str], dict[str, int]]:
    """Per (marketplace, seller id): listings accepted since ``since`` by kind
    (``full``, ``offer``: price and/or quantity, ``end``)."""
    async with sessions() as db:
        rows = await db.execute(
            select(
                SellerAccount.marketplace,
                SellerAccount.seller_id,
                ListingEvent.listing_id,
                ListingEvent.action,
            )
            .join(Listing, Listing.id == ListingEvent.listing_id)
            .join(SellerAccount, SellerAccount.id == Listing.seller_account_id)
            .where(ListingEvent.at >= since, ListingEvent.outcome == "ok")
        )
        kinds: dict[tuple[str, str], dict[str, set[int]]] = defaultdict(
            lambda: {"full": set(), "offer": set(), "end": set()}
        )
        for marketplace, seller, listing_id, action in rows:
            kind = "full" if action in FULL else "offer" if action in OFFER else None
            if action == "end":
                kind = "end"
            if kind is not None:
                kinds[(marketplace, seller)][kind].add(listing_id)
    return {
        key: {kind: len(ids) for kind, ids in found.items()}
        for key, found in kinds.items()
    }


def ebay_account_calls(log: list[tuple[str, str]]) -> Counter[str]:
    """Account API calls per eBay user (setting the seller up)."""
    return Counter(user or "" for path, user in log if "/sell/account/" in path)


async def phase(
    sessions: Any,
    settings: Any,
    registry: ConnectorRegistry,
    conn: Connection,
    info: dict[str, Any],
    scale: float,
) -> dict[str, Any]:
    conn.send("stats")
    a0, e0 = (len(x) for x in conn.recv())
    since = utcnow()
    started, cpu = time.perf_counter(), time.process_time()
    report = await run_sync(sessions, settings, SyncOptions(), connectors=registry)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.send("stats")
    amazon_calls, ebay_calls = conn.recv()
    amazon_calls, ebay_calls = amazon_calls[a0:], ebay_calls[e0:]
    rate, burst = info["ebay_rate"]
    setup = ebay_account_calls(ebay_calls)
    work = await accepted_work(sessions, since)
    bounds = [
        amazon_bound(w, scale, info["amazon_feed_seconds"])
        if marketplace == "amazon"
        else ebay_bound(w, setup[seller], rate * scale, burst)
        for (marketplace, seller), w in work.items()
    ]
    bound = max(bounds, default=0.0)
    sent = sum(sum(w.values()) for w in work.values())
    return {
        "seconds": round(seconds, 3),
        "bound_seconds": round(bound, 3),
        "efficiency": round(bound / seconds, 3) if seconds else 0.0,
        "api_calls": len(amazon_calls) + len(ebay_calls),
        "calls": dict(
            Counter(op for op, _ in amazon_calls)
            + Counter(path.rsplit("/", 1)[-1] for path, _ in ebay_calls)
        ),
        "listings_sent": sent,
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_listing_sent": round(cpu / sent * 1e6, 1) if sent else 0.0,
        "failed": failures(report),
        "counts": report.as_counts(),
    }


async def main(companies: int, products: int, scale: float) -> dict[str, Any]:
    with emulators(companies, scale) as (conn, info):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            await asyncio.to_thread(upgrade, url)
            settings = bench_settings(url, **emulator_overrides(info, scale))
            first, second = await two_phases(
                settings, url, conn, info, companies, products, scale
            )
    seconds = first["seconds"] + second["seconds"]
    bound = first["bound_seconds"] + second["bound_seconds"]
    cpu = first["cpu_seconds"] + second["cpu_seconds"]
    sent = first["listings_sent"] + second["listings_sent"]
    return {
        "companies": companies,
        "products": companies * products,
        "scale": scale,
        "first": first,
        "price_changes": second,
        "bound_seconds": round(bound, 3),
        "efficiency": round(bound / seconds, 3) if seconds else 0.0,
        "api_calls": first["api_calls"] + second["api_calls"],
        "failed": first["failed"] + second["failed"],
        "seconds": round(seconds, 3),
        "cpu_us_per_listing_sent": round(cpu / sent * 1e6, 1) if sent else 0.0,
    }


async def two_phases(
    settings: Any,
    url: str,
    conn: Connection,
    info: dict[str, Any],
    companies: int,
    products: int,
    scale: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seed, first sync, change 10 % of the prices, sync again."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await seed_catalog(
            sessions,
            settings,
            companies,
            products,
            accounts={"amazon": info["amazon_sellers"], "ebay": info["ebay_sellers"]},
            brand_checked=True,
        )
        async with transaction(sessions) as db:
            await db.execute(update(SellerAccount).values(setup={}))
        async with ConnectorRegistry(settings) as registry:
            # Load the marketplace packages before timing (a worker does once).
            registry.builder("amazon")
            registry.builder("ebay")
            first = await phase(sessions, settings, registry, conn, info, scale)
            async with transaction(sessions) as db:
                ids = list(await db.scalars(select(Product.id).order_by(Product.id)))
                await db.execute(
                    update(Product)
                    .where(Product.id.in_(ids[::10]))
                    .values(price_krw=Product.price_krw + 5000)
                )
            second = await phase(sessions, settings, registry, conn, info, scale)
    finally:
        await engine.dispose()
    return first, second


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=4)
    parser.add_argument("--products", type=int, default=150)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    result = asyncio.run(main(args.companies, args.products, args.scale))
    print(json.dumps(result))
