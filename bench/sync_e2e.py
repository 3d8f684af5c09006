"""S companies × M products through the whole sync, against both emulators
(in a child process, on real sockets) at their documented limits, optionally
time-compressed by ``--scale``: a first sync (everything new) and then a sync
after 10 % of the prices changed.

``bound_seconds`` is what the marketplaces' limits allow at best. Each
seller's buckets are independent per operation (Amazon) or API (eBay) and
sellers run in parallel, so for each phase the bound is the largest, over
sellers and operations, of ``max(0, calls - burst) / (rate × scale)`` with
the calls the sync actually made. ``efficiency`` is bound / measured (target
≥ 0.9): how close the sync runs to the limits.

Compression shrinks only the rate-limited time, not the fixed CPU work
(loading, rendering, planning, the Amazon connector's schema validation of
each listing), so efficiency falls as ``--scale`` grows: measure at 1 (the
documented limits, the default) for the real figure.

Prints one JSON line last: efficiency, api_calls, failed, seconds (and the
per-phase figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update

from bench.sync_plan import bench_settings, seed_catalog
from emulators.amazon import (
    AmazonEmulator,
    EmulatorConfig,
    SellerConfig,
    amazon_settings_overrides,
)
from emulators.amazon.config import DOCUMENTED_RATES
from emulators.ebay import EbayEmulator
from emulators.ebay import EmulatorConfig as EbayConfig
from export_hub.catalog.models import Product
from export_hub.db import create_engine, session_factory, transaction
from export_hub.listings.sync.options import SyncOptions, SyncReport
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from export_hub.migrations import upgrade

OK = {"ok", "planned"}


def amazon_bound(calls: list[tuple[str, str]], scale: float) -> float:
    per: Counter[tuple[str, str]] = Counter(calls)
    return max(
        (
            max(0, n - DOCUMENTED_RATES[op][1]) / (DOCUMENTED_RATES[op][0] * scale)
            for (op, _), n in per.items()
            if op in DOCUMENTED_RATES
        ),
        default=0.0,
    )


def failures(report: SyncReport) -> int:
    return sum(
        n
        for action, outcomes in report.counts.items()
        if action != "skip"
        for outcome, n in outcomes.items()
        if outcome not in OK
    )


def serve_emulators(conn: Connection, companies: int, scale: float) -> None:
    """Child process: both emulators on real sockets until told to stop; answers
    ``"stats"`` with the calls they saw (per seller and operation)."""

    async def serve() -> None:
        sellers = [f"A{c:03d}BENCHSELLER" for c in range(companies)]
        amazon_config = EmulatorConfig(
            sellers=[SellerConfig(s, [f"Atzr|bench-{s}"], None, s) for s in sellers],
            processing_delay_seconds=0.5,
            rate_scale=scale,
        )
        ebay_config = EbayConfig(rate_scale=scale)
        async with (
            AmazonEmulator(amazon_config) as amazon,
            EbayEmulator(ebay_config) as ebay,
        ):
            users = [f"bench_user_{c}" for c in range(companies)]
            for user in users:
                ebay.state.add_seller(user, opted_in=True)
            conn.send(
                {
                    "amazon_url": amazon.base_url,
                    "amazon_client_id": amazon_config.client_id,
                    "amazon_client_secret": amazon_config.client_secret,
                    "amazon_sellers": [(s, f"Atzr|bench-{s}") for s in sellers],
                    "ebay": ebay.settings_overrides(),
                    "ebay_sellers": [
                        (u, ebay.state.issue_refresh_token(u)) for u in users
                    ],
                    "ebay_rate": (ebay_config.rate_per_second, ebay_config.rate_burst),
                }
            )
            loop = asyncio.get_running_loop()
            while True:
                message = await loop.run_in_executor(None, conn.recv)
                if message == "stop":
                    return
                conn.send(
                    (
                        list(amazon.state.calls),
                        [(path, user) for _, path, user, _ in ebay.state.log],
                    )
                )

    asyncio.run(serve())


def ebay_bound(log: list[tuple[str, str]], rate: float, burst: int) -> float:
    per: Counter[tuple[str, str]] = Counter()
    for path, user in log:
        api = "inventory" if "/sell/inventory/" in path else "account"
        per[(user or "", api)] += 1
    return max((max(0, n - burst) / rate for n in per.values()), default=0.0)


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
    started = time.perf_counter()
    report = await run_sync(sessions, settings, SyncOptions(), connectors=registry)
    seconds = time.perf_counter() - started
    conn.send("stats")
    amazon_calls, ebay_calls = conn.recv()
    amazon_calls, ebay_calls = amazon_calls[a0:], ebay_calls[e0:]
    rate, burst = info["ebay_rate"]
    bound = max(
        amazon_bound(amazon_calls, scale), ebay_bound(ebay_calls, rate * scale, burst)
    )
    return {
        "seconds": round(seconds, 3),
        "bound_seconds": round(bound, 3),
        "api_calls": len(amazon_calls) + len(ebay_calls),
        "failed": failures(report),
        "counts": report.as_counts(),
    }


async def main(companies: int, products: int, scale: float) -> dict[str, Any]:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    emulators = multiprocessing.get_context("spawn").Process(
        target=serve_emulators, args=(child, companies, scale), daemon=True
    )
    emulators.start()
    info = parent.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            await asyncio.to_thread(upgrade, url)
            settings = bench_settings(
                url,
                amazon={
                    **amazon_settings_overrides(info["amazon_url"]),
                    "lwa_client_id": info["amazon_client_id"],
                    "lwa_client_secret": info["amazon_client_secret"],
                    "rate_scale": scale,
                    "retry_initial_wait_seconds": 0.05,
                },
                ebay={
                    **info["ebay"],
                    "rate_scale": scale,
                    "requests_per_second": info["ebay_rate"][0],
                    "retry_initial_wait_seconds": 0.05,
                },
            )
            first, second = await two_phases(
                settings, url, parent, info, companies, products, scale
            )
    finally:
        parent.send("stop")
        emulators.join(10)
    seconds = first["seconds"] + second["seconds"]
    bound = first["bound_seconds"] + second["bound_seconds"]
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
