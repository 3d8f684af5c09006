"""Orders and one stock across Amazon and eBay for a simulated day.

S sellers (``--sellers``, default 20) with P products each (``--products``,
default 3; 10-14 units on hand) listed on both marketplaces. Both emulators
run in a child process on real sockets at their documented rate limits;
``--scale`` compresses time: the emulators' clocks (order instants, Amazon's
two-minute lag, eBay's daily quota) and their rate limits run that many times
faster, and so do the app's intervals. Seeded buyers buy every live listing
(``--rate`` orders per listing per hour, up to 3 units, 5 % cancel), which
exceeds the stock of many products within the day. The app runs the real jobs
against a real database (SQLite, or ``--database-url``): ``orders.pull_all``
every ``orders.pull_interval_seconds`` (simulated) and the sync every
``jobs.sync_interval_seconds``, with the safety buffer ``--buffer`` (each
company's override).

Prints progress, then one JSON line: ``orders_placed`` (emulators),
``orders_imported`` (database; must be equal), ``units_oversold`` (units
sold beyond each product's starting on hand; no stock edits happen here),
``import_latency_p95_seconds`` (placed → imported, simulated),
``api_calls`` per operation with ``allowed`` = sellers × (burst + rate × the
simulated seconds) (never above), ``failed``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
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
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.db import create_engine, session_factory, transaction
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from export_hub.migrations import upgrade
from export_hub.orders.models import Order
from jobs.orders import pull_all

AMAZON_ORDER_OPS = ("searchOrders", "getOrders", "getOrderItems", "confirmShipment")


class Clock:
    """Simulated time: ``origin`` + (real time since ``origin``) × ``scale``."""

    def __init__(self, origin: float, scale: float):
        self.origin, self.scale = origin, scale

    def seconds(self) -> float:
        return self.origin + (time.time() - self.origin) * self.scale

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.seconds(), dt.UTC)


def serve_emulators(conn: Connection, sellers: int, clock: Clock) -> None:
    """Child process: both emulators until ``"stop"``; ``"buy"`` starts the
    buyers (rate in the message), ``"stats"`` answers calls and orders."""

    async def serve() -> None:
        ids = [f"A{c:03d}BENCHSELLER" for c in range(sellers)]
        amazon_config = EmulatorConfig(
            sellers=[SellerConfig(s, [f"Atzr|bench-{s}"], None, s) for s in ids],
            processing_delay_seconds=0.5,
            rate_scale=clock.scale,
        )
        ebay_config = EbayConfig(rate_scale=clock.scale)
        async with (
            AmazonEmulator(amazon_config) as amazon,
            EbayEmulator(ebay_config) as ebay,
        ):
            amazon.state.orders.wall = clock.now
            ebay.state.wall_clock = clock.seconds
            users = [f"bench_user_{c}" for c in range(sellers)]
            for user in users:
                ebay.state.add_seller(user, opted_in=True)
            conn.send(
                {
                    "amazon_url": amazon.base_url,
                    "amazon_client_id": amazon_config.client_id,
                    "amazon_client_secret": amazon_config.client_secret,
                    "amazon_sellers": [(s, f"Atzr|bench-{s}") for s in ids],
                    "ebay": ebay.settings_overrides(),
                    "ebay_sellers": [
                        (u, ebay.state.issue_refresh_token(u)) for u in users
                    ],
                    "ebay_rate": (ebay_config.rate_per_second, ebay_config.rate_burst),
                }
            )
            books = (amazon.state.orders, ebay.state.orders)
            ticking: asyncio.Task[None] | None = None

            async def tick() -> None:
                while True:
                    for book in books:
                        book.tick(clock.now())
                    await asyncio.sleep(0.2)

            loop = asyncio.get_running_loop()
            while True:
                message = await loop.run_in_executor(None, conn.recv)
                if message == "stop":
                    if ticking is not None:
                        ticking.cancel()
                    return
                if isinstance(message, tuple) and message[0] == "buy":
                    for n, book in enumerate(books):
                        book.simulate_buyers(
                            seed=n, rate=message[1], max_units=3, cancel_share=0.05
                        )
                        book.tick(clock.now())
                    ticking = asyncio.create_task(tick())
                    conn.send("buying")
                elif message == "halt":
                    if ticking is not None:
                        ticking.cancel()
                    conn.send("halted")
                else:
                    conn.send(_stats(amazon, ebay))

    asyncio.run(serve())


def _stats(amazon: AmazonEmulator, ebay: EbayEmulator) -> dict[str, Any]:
    orders = [
        ("amazon", o.order_id, o.created.timestamp(), i.sku, i.quantity,
         o.status == "CANCELLED")
        for o in amazon.state.orders.orders.values() for i in o.items
    ]  # fmt: skip
    orders += [
        ("ebay", o.order_id, o.created.timestamp(), x.sku, x.quantity,
         o.cancel_state == "CANCELED")
        for o in ebay.state.orders.orders.values() for x in o.lines
    ]  # fmt: skip
    return {
        "amazon_calls": [op for op, _ in amazon.state.calls],
        "ebay_calls": [_ebay_operation(m, p) for m, p, _, _ in ebay.state.log],
        "orders": orders,
    }


def _ebay_operation(method: str, path: str) -> str:
    if "/sell/fulfillment/" in path:
        return "createShippingFulfillment" if method == "POST" else "getOrders"
    if "/sell/inventory/" in path:
        return "inventory"
    if "/sell/account/" in path:
        return "account"
    return "other"


def allowed(
    calls: Counter[str], sellers: int, seconds: float, ebay_rate: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op, n in sorted(calls.items()):
        marketplace, _, name = op.partition(".")
        if marketplace == "amazon" and name in DOCUMENTED_RATES:
            rate, burst = DOCUMENTED_RATES[name]
        elif marketplace == "ebay" and name != "other":
            rate, burst = ebay_rate
        else:
            out[op] = {"calls": n}
            continue
        limit = sellers * (burst + rate * seconds)
        out[op] = {"calls": n, "allowed": math.floor(limit)}
    return out


async def run_day(args: argparse.Namespace) -> dict[str, Any]:
    clock = Clock(time.time(), args.scale)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve_emulators, args=(child, args.sellers, clock), daemon=True
    )
    process.start()
    info = parent.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            await asyncio.to_thread(upgrade, url)
            settings = bench_settings(
                url,
                amazon={
                    **amazon_settings_overrides(info["amazon_url"]),
                    "lwa_client_id": info["amazon_client_id"],
                    "lwa_client_secret": info["amazon_client_secret"],
                    "rate_scale": args.scale,
                    "retry_initial_wait_seconds": 0.05,
                },
                ebay={
                    **info["ebay"],
                    "rate_scale": args.scale,
                    "requests_per_second": info["ebay_rate"][0],
                    "retry_initial_wait_seconds": 0.05,
                },
            )
            return await _simulate(settings, url, parent, info, clock, args)
    finally:
        parent.send("stop")
        process.join(10)


async def _simulate(
    settings: Any,
    url: str,
    conn: Connection,
    info: dict[str, Any],
    clock: Clock,
    args: argparse.Namespace,
) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    pull_every = settings.orders.pull_interval_seconds
    sync_every = settings.jobs.sync_interval_seconds
    failed = 0
    try:
        await seed_catalog(sessions, settings, args.sellers, args.products,
                           accounts={"amazon": info["amazon_sellers"],
                                     "ebay": info["ebay_sellers"]})  # fmt: skip
        async with transaction(sessions) as db:
            await db.execute(update(SellerAccount).values(setup={}))
            # The buffer as each company's override of the brand's default.
            await db.execute(update(Company).values(stock_buffer=args.buffer))
            on_hand = dict(
                (await db.execute(select(Product.sku, Product.quantity))).all()
            )
        async with ConnectorRegistry(settings) as registry:
            await run_sync(sessions, settings, SyncOptions(), connectors=registry)
            await asyncio.sleep(1.0)  # Amazon's (emulated) processing
            await run_sync(sessions, settings, SyncOptions(), connectors=registry)
            conn.send(("buy", args.rate))
            conn.recv()
            start = clock.seconds()
            end = start + args.hours * 3600
            next_pull, next_sync = start + pull_every, start + sync_every
            print(f"listed; buyers run for {args.hours} simulated hours", flush=True)
            while clock.seconds() < end:
                wait = (min(next_pull, next_sync) - clock.seconds()) / args.scale
                await asyncio.sleep(max(0.0, wait))
                if clock.seconds() >= next_pull:
                    counts = await pull_all(sessions, settings, now=clock.now())
                    failed += counts.get("orders.pull", {}).get("failed", 0)
                    next_pull += pull_every
                if clock.seconds() >= next_sync:
                    report = await run_sync(sessions, settings, SyncOptions(),
                                            connectors=registry)  # fmt: skip
                    failed += sum(
                        n
                        for a, o in report.counts.items()
                        if a != "skip"
                        for k, n in o.items()
                        if k not in ("ok", "planned")
                    )
                    next_sync += sync_every
                    hours = (clock.seconds() - start) / 3600
                    print(f"  {hours:5.1f} h simulated", flush=True)
            conn.send("halt")
            conn.recv()
            # The last orders become visible after the marketplaces' lag.
            lag = max(
                settings.orders.amazon_lag_seconds, settings.orders.ebay_lag_seconds
            )
            await asyncio.sleep((lag + 5) / args.scale)
            await pull_all(sessions, settings, now=clock.now())
            seconds = clock.seconds() - start
        conn.send("stats")
        stats = conn.recv()
        async with sessions() as db:
            rows = (
                await db.execute(select(Order.purchased_at, Order.imported_at))
            ).all()
    finally:
        await engine.dispose()
    return _figures(args, stats, rows, on_hand, seconds, failed, info)


def _figures(
    args: argparse.Namespace,
    stats: dict[str, Any],
    rows: list[Any],
    on_hand: dict[str, int],
    seconds: float,
    failed: int,
    info: dict[str, Any],
) -> dict[str, Any]:
    placed = {(m, oid) for m, oid, *_ in stats["orders"]}
    sold: Counter[str] = Counter()
    for _, _, _, sku, quantity, cancelled in stats["orders"]:
        if not cancelled:
            sold[sku] += quantity
    oversold = sum(max(0, n - on_hand.get(sku, 0)) for sku, n in sold.items())
    latencies = sorted((b - a).total_seconds() for a, b in rows)
    p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] if latencies else 0
    calls = Counter(f"amazon.{op}" for op in stats["amazon_calls"])
    calls.update(f"ebay.{op}" for op in stats["ebay_calls"])
    return {
        "sellers": args.sellers,
        "products": args.sellers * args.products,
        "scale": args.scale,
        "simulated_hours": round(seconds / 3600, 2),
        "buffer": args.buffer,
        "orders_placed": len(placed),
        "orders_imported": len(rows),
        "units_sold": sum(sold.values()),
        "units_oversold": oversold,
        "import_latency_p95_seconds": round(p95, 1),
        "api_calls": allowed(calls, args.sellers, seconds, info["ebay_rate"]),
        "failed": failed,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--products", type=int, default=3)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--scale", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--buffer", type=int, default=1)
    parser.add_argument("--database-url", default="")
    print(json.dumps(asyncio.run(run_day(parser.parse_args()))))
