"""Orders in the demo: a few weeks of history and buyers who keep buying.

The emulators keep their orders in memory and start empty with the web app,
so the history is made at start-up, after the first sync has put the demo
listings live (:func:`~export_hub.demo.listings.demo_sync_ctx` calls
:func:`run_demo_orders`), and only through the emulators and the app's own
services: buyers order on the emulated marketplaces at past instants, the
real ``orders.pull`` job imports them, the company's shipments are confirmed
through the same service as its order page, and the emulators record buyer
cancellations and an eBay refund. The result per demo company: orders
shipped with tracking, to ship, one late, one at risk, one cancelled, an eBay
refund, and (Hanbit Foods) an order for a SKU Export Hub does not manage.

The database outlives the emulators: when it already holds the demo
companies' orders (a second ``make run``), the history is not made again and
the emulators number new orders from a serial derived from the clock, so a
new order never takes the id of an order stored by an earlier run.

Then the emulators' seeded buyer simulation runs at a gentle rate on the wall
clock, and the embedded ``orders.pull_all`` job imports what it buys.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import func, select

from emulators.amazon.server import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Company, User
from export_hub.db import utcnow
from export_hub.demo import amazon as demo_amazon
from export_hub.demo import ebay as demo_ebay
from export_hub.errors import ExportHubError
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.connect import connector_factory
from export_hub.orders.models import Order
from export_hub.orders.shipments import ShipmentInput, confirm_shipment
from export_hub.web.keys import SCHEDULER, SESSIONS, SETTINGS

log = logging.getLogger(__name__)

HANBIT, DAEDEOK = "3058112341", "3148620457"
#: Buyers: orders per live listing per hour (a handful an hour in the demo).
GENTLE_RATE = 0.3
BUYER_SEED = 2026
TICK_SECONDS = 60.0
CARRIERS = {"amazon": "Korea Post", "ebay": "KoreaPost"}
#: Amazon wants ``LastUpdatedBefore`` two minutes back; history settles earlier.
SETTLED_BEFORE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class HistoryOrder:
    """One order of the demo history: who sold what, how long ago, and what
    happened to it. ``sku`` ``None`` is the company's first live listing on
    that marketplace."""

    marketplace: str
    brn: str
    days_ago: float
    outcome: str  # "ship", "ship_refund", "cancel" or "open"
    quantity: int = 1
    sku: str | None = None


#: Ship-by is three days after the order on both emulators: 4.5 days ago is
#: late, 2.6 days ago is due within the day (at risk).
HISTORY = (
    HistoryOrder("amazon", HANBIT, 19.0, "ship", 2),
    HistoryOrder("amazon", HANBIT, 12.0, "ship"),
    HistoryOrder("amazon", HANBIT, 9.0, "cancel"),
    HistoryOrder("amazon", HANBIT, 6.0, "open", sku=demo_amazon.UNMANAGED_SKU),
    HistoryOrder("amazon", HANBIT, 4.5, "open"),
    HistoryOrder("amazon", HANBIT, 0.5, "open", 2),
    HistoryOrder("ebay", HANBIT, 16.0, "ship_refund"),
    HistoryOrder("ebay", HANBIT, 8.0, "ship", 2),
    HistoryOrder("ebay", HANBIT, 2.6, "open"),
    HistoryOrder("amazon", DAEDEOK, 15.0, "ship"),
    HistoryOrder("amazon", DAEDEOK, 1.5, "open"),
    HistoryOrder("ebay", DAEDEOK, 10.0, "ship"),
    HistoryOrder("ebay", DAEDEOK, 0.2, "open"),
)


@dataclass
class _Placed:
    spec: HistoryOrder
    order_id: str
    at: dt.datetime
    account_id: int


async def run_demo_orders(app: web.Application) -> None:
    """Make the history once, then run the buyer simulation until cancelled."""
    settings = app[SETTINGS]
    amazon = demo_amazon.SERVING.get(settings.emulators.amazon_port)
    ebay = demo_ebay.SERVING.get(settings.emulators.ebay_port)
    if amazon is None or ebay is None:
        return
    if not await _has_orders(app):
        await make_history(app, amazon, ebay)
    first = int(utcnow().timestamp() // 60) * 100
    amazon.state.orders.number_from(first)
    ebay.state.orders.number_from(first)
    for book in (amazon.state.orders, ebay.state.orders):
        book.simulate_buyers(
            seed=BUYER_SEED, rate=GENTLE_RATE, max_units=2, cancel_share=0.05
        )
    log.info("demo buyers: %s orders per live listing per hour", GENTLE_RATE)
    await asyncio.gather(
        amazon.state.orders.run(TICK_SECONDS), ebay.state.orders.run(TICK_SECONDS)
    )


async def _has_orders(app: web.Application) -> bool:
    async with app[SESSIONS]() as db:
        found = await db.scalar(
            select(func.count(Order.id))
            .join(Company, Company.id == Order.company_id)
            .where(
                Company.brn.in_([HANBIT, DAEDEOK]),
                # The year of history (demo.results) is not the emulators'.
                ~Order.marketplace_order_id.startswith("DEMO-"),
            )
        )
    return bool(found)


async def make_history(
    app: web.Application, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    """Place the history on the emulators, import it with ``orders.pull``,
    ship through the shipment service, and import the refund."""
    now = utcnow()
    accounts = await _accounts(app)
    live = await _live_skus(app)
    placed = _place(amazon, ebay, accounts, live, now)
    await _pull(app, sorted(set(accounts.values())))
    shipped = await _ship(app, placed, now)
    refunded = []
    for item in shipped:
        if item.spec.outcome == "ship_refund":
            # After the shipment the app recorded (the import must not find
            # the refund older than the order it holds).
            ebay.state.orders.refund(item.order_id, at=now - dt.timedelta(minutes=2))
            refunded.append(item.account_id)
    await _pull(app, sorted(set(refunded)))
    log.info("demo order history: %s orders placed", len(placed))


def _place(
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
    accounts: dict[tuple[str, str], int],
    live: dict[tuple[str, str], str],
    now: dt.datetime,
) -> list[_Placed]:
    """Buyers order (and one cancels) at past instants, oldest first."""
    books = amazon.state.orders, ebay.state.orders
    for book in books:
        book.simulate_buyers(seed=BUYER_SEED, rate=0.0)  # history only
    placed: list[_Placed] = []
    for spec in sorted(HISTORY, key=lambda s: -s.days_ago):
        at = now - dt.timedelta(days=spec.days_ago)
        account = accounts.get((spec.brn, spec.marketplace))
        sku = spec.sku or live.get((spec.brn, spec.marketplace))
        if account is None or sku is None:
            log.info("demo order skipped: %s has no live %s listing", spec.brn,
                     spec.marketplace)  # fmt: skip
            continue
        try:
            order_id = _buy(amazon, ebay, spec, sku, at)
        except ValueError as exc:
            log.info("demo order skipped: %s", exc)
            continue
        placed.append(_Placed(spec, order_id, at, account))
    # Payments authorised (Amazon Pending → Unshipped) and buyer
    # cancellations, before the first import.
    amazon.state.orders.tick(now - SETTLED_BEFORE)
    cancel_at = now - SETTLED_BEFORE + dt.timedelta(seconds=30)
    for item in placed:
        if item.spec.outcome != "cancel":
            continue
        if item.spec.marketplace == "amazon":
            amazon.state.orders.cancel(item.order_id, at=cancel_at)
        else:
            ebay.state.orders.cancel(item.order_id, at=cancel_at)
    return placed


def _buy(
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
    spec: HistoryOrder,
    sku: str,
    at: dt.datetime,
) -> str:
    if spec.marketplace == "amazon":
        amazon.state.orders.tick(at)
        seller = demo_amazon.DEMO_SELLERS[spec.brn][0]
        return amazon.state.orders.place_order(
            seller, sku, spec.quantity, at=at
        ).order_id
    username = demo_ebay.DEMO_SELLERS[spec.brn]
    return ebay.state.orders.place_order(username, sku, spec.quantity, at=at).order_id


async def _accounts(app: web.Application) -> dict[tuple[str, str], int]:
    async with app[SESSIONS]() as db:
        rows = await db.execute(
            select(Company.brn, SellerAccount.marketplace, SellerAccount.id)
            .join(Company, Company.id == SellerAccount.company_id)
            .where(
                Company.brn.in_([HANBIT, DAEDEOK]),
                SellerAccount.status == "connected",
            )
        )
        return {(brn, marketplace): id_ for brn, marketplace, id_ in rows}


async def _live_skus(app: web.Application) -> dict[tuple[str, str], str]:
    """(BRN, marketplace) → the first live listing's SKU."""
    async with app[SESSIONS]() as db:
        rows = await db.execute(
            select(Company.brn, Listing.marketplace, Listing.sku)
            .join(SellerAccount, SellerAccount.id == Listing.seller_account_id)
            .join(Company, Company.id == SellerAccount.company_id)
            .where(Listing.status == "live")
            .order_by(Listing.id)
        )
        found: dict[tuple[str, str], str] = {}
        for brn, marketplace, sku in rows:
            found.setdefault((brn, marketplace), sku)
        return found


async def _pull(app: web.Application, account_ids: list[int]) -> None:
    """The real import: one ``orders.pull`` job run per seller account."""
    scheduler = app.get(SCHEDULER)
    if scheduler is None:
        return
    for account_id in account_ids:
        await scheduler.trigger(
            "orders.pull", {"seller_account_id": account_id}, started_by="schedule"
        )


async def _ship(
    app: web.Application, placed: list[_Placed], now: dt.datetime
) -> list[_Placed]:
    """The company confirms the shipments it made a day after each order."""
    settings, sessions = app[SETTINGS], app[SESSIONS]
    factory = connector_factory(settings)
    shipped = []
    for n, item in enumerate(placed):
        if item.spec.outcome not in ("ship", "ship_refund"):
            continue
        async with sessions() as db:
            order = await db.scalar(
                select(Order).where(
                    Order.seller_account_id == item.account_id,
                    Order.marketplace_order_id == item.order_id,
                )
            )
            owner = await db.scalar(
                select(User)
                .join(Company, Company.id == User.company_id)
                .where(Company.brn == item.spec.brn)
                .order_by(User.id)
                .limit(1)
            )
        if order is None or owner is None:
            continue
        data = ShipmentInput(
            carrier=CARRIERS[item.spec.marketplace],
            tracking_number=f"EG{802651300 + n * 7:09d}KR",
            shipped_at=min(item.at + dt.timedelta(days=1), now),
        )
        try:
            await confirm_shipment(
                sessions, owner, order.id, data, factory=factory, now=utcnow()
            )
        except ExportHubError as exc:
            log.warning("demo shipment of %s not confirmed: %s", item.order_id, exc)
            continue
        shipped.append(item)
    return shipped
