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
``jobs.sync_interval_seconds`` (as its own task, as the scheduler runs it),
with the safety buffer ``--buffer`` (each company's override). A pull round
is what the scaled-out jobs do: one import per seller account, ``--workers``
at a time (4, like four workers), then one stock push; ``--workers 0`` runs
the embedded ``orders.pull_all`` itself (one seller after the other). The
order connectors are the app's, with Amazon's two-minute rule checked against
the simulated clock (:class:`SimulatedOrdersFactory`).

Prints progress, then one JSON line: ``orders_placed`` (emulators),
``orders_imported`` (database; must be equal), ``units_oversold`` (units
sold beyond each product's starting on hand; no stock edits happen here),
``import_latency_p95_seconds`` (placed → imported, simulated),
``api_calls`` per operation as the emulators counted them, with
``allowed`` = sellers × (burst + rate × the simulated seconds the emulators
ran; for eBay at most its daily quota per UTC day) (never above),
``throttled`` (429s), ``failed``, and the pace: ``pull_rounds``,
``pull_rounds_late`` (started after the next one was due),
``pull_round_real_seconds_max`` (against interval / scale).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
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
from export_hub.errors import MarketplaceError
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry, NotConnected
from export_hub.migrations import upgrade
from export_hub.orders.connect import connector_factory
from export_hub.orders.importer import import_orders
from export_hub.orders.models import Order
from jobs.orders import connected_accounts, pull_all
from jobs.sync import push_stock

AMAZON_ORDER_OPS = ("searchOrders", "getOrders", "getOrderItems", "confirmShipment")


class Clock:
    """Simulated time: ``origin`` + (real time since ``origin``) × ``scale``."""

    def __init__(self, origin: float, scale: float):
        self.origin, self.scale = origin, scale

    def seconds(self) -> float:
        return self.origin + (time.time() - self.origin) * self.scale

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.seconds(), dt.UTC)


class SimulatedOrdersFactory:
    """The orders connector factory of this run: the app's builders with
    Amazon's two-minute rule checked against the simulated clock, on one
    registry (one transport per marketplace) for the whole run.

    Why not the app's per-use :func:`orders_factory`: it opens a registry per
    pull, and each new Amazon transport builds a TLS context (~33 ms of CPU
    here, measured with cProfile). At the real 300 s interval that is nothing;
    on a clock 120 times faster, 40 of them per 2.5 s round are not. Rate
    limiters and tokens are process-wide either way (``SharedState``).
    """

    def __init__(self, settings: Any, clock: Clock):
        self.registry = ConnectorRegistry(settings)
        self.clock = clock

    @contextlib.asynccontextmanager
    async def __call__(self, account: Any) -> AsyncIterator[Any]:
        if account.status != "connected" or not account.refresh_token_encrypted:
            raise NotConnected(f"seller account {account.id} is {account.status}")
        token = self.registry.box.decrypt(account.refresh_token_encrypted)
        builder = self.registry.builder(account.marketplace)
        connector = builder.build_orders(account, token, clock=self.clock.now)
        try:
            yield connector
        finally:
            # eBay's orders client borrows the builder's pool (no aclose).
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()

    async def aclose(self) -> None:
        await self.registry.aclose()


#: This run's factory; ``orders.connector_factory`` names
#: :func:`simulated_orders_factory`, which hands it out.
FACTORY: SimulatedOrdersFactory | None = None


def simulated_orders_factory(settings: Any) -> SimulatedOrdersFactory:
    """``orders.connector_factory`` for this benchmark (see
    :class:`SimulatedOrdersFactory`)."""
    if FACTORY is None:
        raise RuntimeError("bench.orders.FACTORY is not set")
    return FACTORY


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
                    "ebay_limits": {
                        "rate": (ebay_config.rate_per_second, ebay_config.rate_burst),
                        "daily_quota": ebay_config.daily_quota,
                    },
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
        # Refused with 429 (counted in ``amazon_calls``; eBay logs only
        # the calls it admitted).
        "throttled": {
            "amazon": amazon.state.throttled,
            "ebay": dict(ebay.state.refused),
        },
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
    calls: Counter[str], sellers: int, span: tuple[float, float], ebay: Any
) -> dict[str, Any]:
    """Calls per operation beside the most the emulators' limits admit in the
    simulated ``span`` (epoch seconds, emulators up to the end): per seller,
    the bucket's burst plus its rate over the span; for eBay (per seller and
    API) also at most the daily quota on each UTC day the span touches."""
    seconds = span[1] - span[0]
    days = (
        dt.datetime.fromtimestamp(span[1], dt.UTC).date()
        - dt.datetime.fromtimestamp(span[0], dt.UTC).date()
    ).days + 1
    out: dict[str, Any] = {}
    for op, n in sorted(calls.items()):
        marketplace, _, name = op.partition(".")
        if marketplace == "amazon" and name in DOCUMENTED_RATES:
            rate, burst = DOCUMENTED_RATES[name]
            per_seller = burst + rate * seconds
        elif marketplace == "ebay" and name != "other":
            rate, burst = ebay["rate"]
            per_seller = min(burst + rate * seconds, ebay["daily_quota"] * days)
        else:
            out[op] = {"calls": n}
            continue
        out[op] = {"calls": n, "allowed": math.floor(sellers * per_seller)}
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
                    "requests_per_second": info["ebay_limits"]["rate"][0],
                    "retry_initial_wait_seconds": 0.05,
                },
                orders={"connector_factory": "bench.orders:simulated_orders_factory"},
            )
            return await _simulate(settings, url, parent, info, clock, args)
    finally:
        parent.send("stop")
        process.join(10)


#: Sync outcomes counted as ``failed`` (``skip`` and ``check`` are not).
SYNC_FAILURES = frozenset({"failed", "needs_action", "unknown", "missing",
                           "reauthorize", "unavailable", "not_connected",
                           "claim_lost"})  # fmt: skip


def sync_failures(counts: dict[str, dict[str, int]]) -> int:
    """Failed outcomes in a sync's (or push's) counts."""
    return sum(
        n
        for action, outcomes in counts.items()
        if action != "skip"
        for outcome, n in outcomes.items()
        if outcome in SYNC_FAILURES
    )


class Day:
    """The app's side of the day: order pulls and syncs on the simulated clock."""

    def __init__(self, sessions: Any, settings: Any, clock: Clock, workers: int):
        self.sessions, self.settings = sessions, settings
        self.clock, self.workers = clock, workers
        self.failed = 0
        #: (seller account, the ``now`` its import was given) -> simulated
        #: instant the import returned: when its orders were in the database.
        self.finished: dict[tuple[int, dt.datetime], dt.datetime] = {}
        self.pull_real: list[float] = []
        self.sync_real: list[float] = []

    async def pull_round(self) -> None:
        """One ``orders.pull_all``. ``workers`` 0: the embedded job itself
        (one seller after the other, then one push). Otherwise what the
        scaled-out jobs do: one import per seller account, ``workers`` at a
        time, then one stock push for the round."""
        t0 = time.perf_counter()
        if self.workers == 0:
            now = self.clock.now()
            counts = await pull_all(self.sessions, self.settings, now=now)
            self.failed += counts.get("orders.pull", {}).get("failed", 0)
            self.failed += sync_failures(counts)
            done = self.clock.now()
            for account in await connected_accounts(self.sessions):
                self.finished[account.id, now] = done
        else:
            gate = asyncio.Semaphore(self.workers)
            accounts = await connected_accounts(self.sessions)
            await asyncio.gather(*(self._pull(gate, a.id) for a in accounts))
            now = self.clock.now()
            pushed = await push_stock(self.sessions, self.settings, now=now)
            self.failed += sync_failures(pushed)
        self.pull_real.append(time.perf_counter() - t0)

    async def _pull(self, gate: asyncio.Semaphore, account_id: int) -> None:
        async with gate:
            now = self.clock.now()
            try:
                await import_orders(
                    self.sessions,
                    self.settings,
                    account_id,
                    factory=connector_factory(self.settings),
                    now=now,
                )
            except MarketplaceError as exc:
                self.failed += 1
                print(f"  pull of seller account {account_id} failed: {exc}")
                return
            self.finished[account_id, now] = self.clock.now()

    async def sync(self, registry: ConnectorRegistry) -> None:
        """``sync.all`` in this process."""
        t0 = time.perf_counter()
        report = await run_sync(
            self.sessions, self.settings, SyncOptions(), connectors=registry
        )
        self.failed += sync_failures(report.as_counts())
        self.sync_real.append(time.perf_counter() - t0)


async def _simulate(
    settings: Any,
    url: str,
    conn: Connection,
    info: dict[str, Any],
    clock: Clock,
    args: argparse.Namespace,
) -> dict[str, Any]:
    global FACTORY
    engine = create_engine(url)
    sessions = session_factory(engine)
    pull_every = settings.orders.pull_interval_seconds
    sync_every = settings.jobs.sync_interval_seconds
    day = Day(sessions, settings, clock, args.workers)
    FACTORY = SimulatedOrdersFactory(settings, clock)
    try:
        await seed_catalog(sessions, settings, args.sellers, args.products,
                           accounts={"amazon": info["amazon_sellers"],
                                     "ebay": info["ebay_sellers"]})  # fmt: skip
        async with transaction(sessions) as db:
            # The sellers' connection test has run: their brand approval is
            # known, so pre-flight lets Amazon listings go out.
            await db.execute(
                update(SellerAccount).values(setup={}, last_check_ok=True)
            )
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
            late = 0
            syncing: asyncio.Task[None] | None = None
            print(f"listed; buyers run for {args.hours} simulated hours", flush=True)
            while clock.seconds() < end:
                wait = (min(next_pull, next_sync) - clock.seconds()) / args.scale
                await asyncio.sleep(max(0.0, wait))
                if clock.seconds() >= next_pull:
                    # A round that starts after the next one was due is late.
                    late += clock.seconds() >= next_pull + pull_every
                    await day.pull_round()
                    next_pull += pull_every
                if clock.seconds() >= next_sync and (syncing is None or syncing.done()):
                    if syncing is not None:
                        syncing.result()
                    # The sync is its own job: pulls go on while it runs.
                    syncing = asyncio.create_task(day.sync(registry))
                    next_sync += sync_every
                    _progress(day, (clock.seconds() - start) / 3600,
                              pull_every / args.scale, late)  # fmt: skip
            if syncing is not None:
                await syncing
            conn.send("halt")
            conn.recv()
            # The last orders become visible after the marketplaces' lag.
            lag = max(
                settings.orders.amazon_lag_seconds, settings.orders.ebay_lag_seconds
            )
            await asyncio.sleep((lag + 5) / args.scale)
            await day.pull_round()
            seconds = clock.seconds() - start
            span = (clock.origin, clock.seconds())
        conn.send("stats")
        stats = conn.recv()
        async with sessions() as db:
            rows = (
                await db.execute(
                    select(Order.seller_account_id, Order.purchased_at,
                           Order.imported_at, SellerAccount.marketplace)
                    .join(SellerAccount,
                          SellerAccount.id == Order.seller_account_id)
                )
            ).all()  # fmt: skip
    finally:
        await FACTORY.aclose()
        await engine.dispose()
    latencies = [
        (
            marketplace,
            (
                day.finished.get((account, imported), imported) - purchased
            ).total_seconds(),
        )
        for account, purchased, imported, marketplace in rows
    ]
    pace = {"pull_rounds": len(day.pull_real), "pull_rounds_late": late,
            "pull_round_real_seconds_max": round(max(day.pull_real), 2)}  # fmt: skip
    return _figures(
        args, stats, latencies, on_hand, (seconds, span), day.failed, info, pace
    )


def _progress(day: Day, hours: float, budget: float, late: int) -> None:
    recent = day.pull_real[-6:]
    print(
        f"  {hours:5.1f} h simulated; {len(day.pull_real)} pull rounds "
        f"({late} late), last ones {max(recent, default=0):.2f} s real "
        f"(due every {budget:.2f} s); failed {day.failed}",
        flush=True,
    )


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank), 0 for none."""
    ordered = sorted(values)
    return (
        round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)
        if ordered
        else 0.0
    )


def _figures(
    args: argparse.Namespace,
    stats: dict[str, Any],
    latencies: list[tuple[str, float]],
    on_hand: dict[str, int],
    seconds: tuple[float, tuple[float, float]],
    failed: int,
    info: dict[str, Any],
    pace: dict[str, Any],
) -> dict[str, Any]:
    placed = {(m, oid) for m, oid, *_ in stats["orders"]}
    sold: Counter[str] = Counter()
    for _, _, _, sku, quantity, cancelled in stats["orders"]:
        if not cancelled:
            sold[sku] += quantity
    oversold = sum(max(0, n - on_hand.get(sku, 0)) for sku, n in sold.items())
    by_marketplace = {
        m: p95([s for n, s in latencies if n == m]) for m in ("amazon", "ebay")
    }
    calls = Counter(f"amazon.{op}" for op in stats["amazon_calls"])
    calls.update(f"ebay.{op}" for op in stats["ebay_calls"])
    return {
        "sellers": args.sellers,
        "products": args.sellers * args.products,
        "scale": args.scale,
        "simulated_hours": round(seconds[0] / 3600, 2),
        "buffer": args.buffer,
        "orders_placed": len(placed),
        "orders_imported": len(latencies),
        "units_sold": sum(sold.values()),
        "units_oversold": oversold,
        "import_latency_p95_seconds": p95([s for _, s in latencies]),
        "import_latency_p95_seconds_by_marketplace": by_marketplace,
        "api_calls": allowed(calls, args.sellers, seconds[1], info["ebay_limits"]),
        "throttled": stats["throttled"],
        "failed": failed,
        **pace,
    }


if __name__ == "__main__":
    # ``orders.connector_factory`` names ``bench.orders``: let it be this module.
    sys.modules.setdefault("bench.orders", sys.modules[__name__])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--products", type=int, default=3)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--scale", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--buffer", type=int, default=1)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="concurrent per-seller pulls (0: the embedded orders.pull_all)",
    )
    print(json.dumps(asyncio.run(run_day(parser.parse_args()))))
