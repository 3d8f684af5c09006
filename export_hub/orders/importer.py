"""Import one seller account's orders: read everything, then write it all.

The read covers ``[cursor − overlap, now − lag)``: marketplaces show updates
late, so each read overlaps the previous one (``orders.overlap_minutes``),
and Amazon wants ``LastUpdatedBefore`` at least two minutes in the past
(``orders.amazon_lag_seconds``). Every order of the window is read before
anything is written; then one transaction records them all together with the
cursor's move. An answer that cannot be read (the connector raises, or a
record makes no sense) writes nothing and leaves the cursor where it was.

Idempotent per (seller account, order id, line id): quantities are absolute,
so importing the same answer again changes nothing: no row, no event, no
stock movement. Concurrency: the ``orders.pull`` job is locked per seller
account; inside the transaction the cursor row is locked first
(``SELECT … FOR UPDATE``; SQLite has one writer), so a second import of the
same seller waits and then sees the first one's lines; an order older than
the stored one is skipped; and the ledger's UNIQUE cause key refuses any
transition recorded twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from connectors.base import Order as MarketOrder
from connectors.base import OrderLine as MarketLine
from connectors.base import OrderStatus
from export_hub.catalog.models import Product
from export_hub.db import transaction
from export_hub.errors import MarketplaceError, NeedsHumanError, NotFound, Text
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders import lines as line_state
from export_hub.orders import restock, shipments
from export_hub.orders.connect import OrdersConnectorFactory
from export_hub.orders.models import ImportCursor, Order, OrderLine
from export_hub.orders.notify import notify_order
from export_hub.settings import Settings

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]


class UnreadableOrders(NeedsHumanError):
    """The marketplace's answer holds an order that makes no sense."""


@dataclass
class ImportReport:
    """What one import did."""

    seller_account_id: int
    after: dt.datetime | None = None
    before: dt.datetime | None = None
    orders_read: int = 0
    orders_new: int = 0
    orders_changed: int = 0
    orders_stale: int = 0
    lines_unmanaged: int = 0
    stock_moves: int = 0
    listings_marked: int = 0
    mails: int = 0
    products_changed: set[int] = field(default_factory=set)

    def as_counts(self) -> dict[str, dict[str, int]]:
        """``{action: {outcome: n}}`` for the job runner."""
        return {
            "orders": {
                "read": self.orders_read,
                "new": self.orders_new,
                "changed": self.orders_changed,
                "stale": self.orders_stale,
            },
            "lines": {"unmanaged": self.lines_unmanaged},
            "stock": {
                "moved": self.stock_moves,
                "products": len(self.products_changed),
                "listings_marked": self.listings_marked,
            },
            "mail": {"queued": self.mails},
        }


def read_window(
    cursor: ImportCursor | None,
    marketplace: str,
    settings: Settings,
    now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime]:
    """``(after, before)`` of the next read, UTC."""
    cfg = settings.orders
    lag = cfg.amazon_lag_seconds if marketplace == "amazon" else cfg.ebay_lag_seconds
    before = now - dt.timedelta(seconds=lag)
    if cursor is not None and cursor.imported_until is not None:
        after = cursor.imported_until - dt.timedelta(minutes=cfg.overlap_minutes)
    else:
        after = now - dt.timedelta(days=cfg.initial_lookback_days)
    return min(after, before), before


async def import_orders(
    sessions: Sessions,
    settings: Settings,
    seller_account_id: int,
    *,
    factory: OrdersConnectorFactory,
    now: dt.datetime,
) -> ImportReport:
    """Read and record the seller account's orders updated since the cursor.

    Raises the connector's :class:`~export_hub.errors.MarketplaceError` (or
    :class:`UnreadableOrders`) after noting it on the cursor; then nothing
    else was written. Raises :class:`NotFound` for an unknown account.
    """
    report = ImportReport(seller_account_id)
    async with sessions() as db:
        account = await db.get(SellerAccount, seller_account_id)
        if account is None:
            raise NotFound(Text("판매자 계정이 없습니다.", "No such seller account."))
        cursor = await db.get(ImportCursor, seller_account_id)
    report.after, report.before = read_window(
        cursor, account.marketplace, settings, now
    )
    if report.after >= report.before:
        return report
    await _ensure_cursor(sessions, seller_account_id)
    try:
        orders = await _read(factory, account, report.after, report.before)
    except MarketplaceError as exc:
        await _note_failure(sessions, seller_account_id, now, exc)
        raise
    report.orders_read = len(orders)
    async with transaction(sessions) as db:
        await _write(db, settings, account, orders, report, now)
    log.info(
        "orders imported: seller_account=%s read=%s new=%s changed=%s stock=%s",
        seller_account_id,
        report.orders_read,
        report.orders_new,
        report.orders_changed,
        report.stock_moves,
    )
    return report


async def _read(
    factory: OrdersConnectorFactory,
    account: SellerAccount,
    after: dt.datetime,
    before: dt.datetime,
) -> list[MarketOrder]:
    """Every order of the window, the latest version of each, checked."""
    latest: dict[str, MarketOrder] = {}
    async with factory(account) as connector:
        async for order in connector.orders_updated(after=after, before=before):
            _check(order, account)
            seen = latest.get(order.order_id)
            if seen is None or order.updated_at >= seen.updated_at:
                latest[order.order_id] = order
    return sorted(latest.values(), key=lambda o: (o.updated_at, o.order_id))


def _check(order: MarketOrder, account: SellerAccount) -> None:
    problem = ""
    if not order.order_id or len(order.order_id) > 60:
        problem = "order id missing or too long"
    elif order.purchased_at.tzinfo is None or order.updated_at.tzinfo is None:
        problem = "naive instant"
    elif not isinstance(order.status, OrderStatus):
        problem = f"unknown status {order.status!r}"
    elif len({line.line_id for line in order.lines}) != len(order.lines):
        problem = "duplicate line id"
    for line in order.lines:
        if not line.line_id or len(line.line_id) > 60:
            problem = problem or "line id missing or too long"
        if min(line.quantity, line.quantity_shipped, line.quantity_cancelled) < 0:
            problem = problem or f"negative quantity on line {line.line_id}"
    if problem:
        raise UnreadableOrders(
            f"order {order.order_id!r}: {problem}",
            marketplace=account.marketplace,
            operation="orders_updated",
            seller_id=account.seller_id or None,
        )


async def _ensure_cursor(sessions: Sessions, seller_account_id: int) -> None:
    """Create the account's cursor row once, so imports can lock it."""
    try:
        async with transaction(sessions) as db:
            if await db.get(ImportCursor, seller_account_id) is None:
                db.add(ImportCursor(seller_account_id=seller_account_id))
    except IntegrityError:
        pass  # another import created it at the same moment


async def _note_failure(
    sessions: Sessions, seller_account_id: int, now: dt.datetime, exc: Exception
) -> None:
    async with transaction(sessions) as db:
        cursor = await db.get_one(ImportCursor, seller_account_id)
        cursor.last_run_at = now
        cursor.last_error = str(exc)[:1000]


async def _write(
    db: AsyncSession,
    settings: Settings,
    account: SellerAccount,
    orders: list[MarketOrder],
    report: ImportReport,
    now: dt.datetime,
) -> None:
    cursor = await db.get_one(
        ImportCursor, account.id, with_for_update=True, populate_existing=True
    )
    stored = await _stored_orders(db, account.id, [o.order_id for o in orders])
    products = await _products_by_sku(db, account, _skus(orders))
    doubtful = await shipments.orders_in_doubt(db, account.id)
    for incoming in orders:
        await _apply(db, settings, account, stored.get(incoming.order_id), incoming,
                     products, doubtful, report, now)  # fmt: skip
    report.listings_marked = await restock.mark_other_channels(
        db, report.products_changed, except_account_id=account.id, now=now
    )
    before = report.before or now
    if cursor.imported_until is None or cursor.imported_until < before:
        cursor.imported_until = before
    latest = max((o.updated_at for o in orders), default=None)
    if latest is not None and (
        cursor.last_order_updated_at is None or cursor.last_order_updated_at < latest
    ):
        cursor.last_order_updated_at = latest
    cursor.last_run_at = now
    cursor.last_error = ""


async def _stored_orders(
    db: AsyncSession, account_id: int, order_ids: list[str]
) -> dict[str, Order]:
    found: dict[str, Order] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        rows = await db.scalars(
            select(Order)
            .where(
                Order.seller_account_id == account_id,
                Order.marketplace_order_id.in_(chunk),
            )
            .options(selectinload(Order.lines))
        )
        found.update({row.marketplace_order_id: row for row in rows})
    return found


def _skus(orders: Iterable[MarketOrder]) -> set[str]:
    return {line.sku for o in orders for line in o.lines if line.sku}


async def _products_by_sku(
    db: AsyncSession, account: SellerAccount, skus: set[str]
) -> dict[str, int]:
    """SKU → product: the account's listings first, then the company's own
    product SKUs (a listing is sent under the product's SKU by default)."""
    if not skus:
        return {}
    wanted = sorted(skus)
    found: dict[str, int] = {}
    rows = await db.execute(
        select(Product.sku, Product.id).where(
            Product.company_id == account.company_id, Product.sku.in_(wanted)
        )
    )
    found.update({sku: pid for sku, pid in rows})
    rows = await db.execute(
        select(Listing.sku, Listing.product_id)
        .join(Product, Product.id == Listing.product_id)
        .where(
            Listing.seller_account_id == account.id,
            Listing.sku.in_(wanted),
            Product.company_id == account.company_id,
        )
    )
    found.update({sku: pid for sku, pid in rows})
    return found


async def _apply(
    db: AsyncSession,
    settings: Settings,
    account: SellerAccount,
    order: Order | None,
    incoming: MarketOrder,
    products: dict[str, int],
    doubtful: set[int],
    report: ImportReport,
    now: dt.datetime,
) -> None:
    new = order is None
    if order is None:
        order = _new_order(account, incoming, now)
        db.add(order)
        await db.flush()
        line_state.record(db, order, "status", None, order.status, at=now,
                          source="import")  # fmt: skip
    elif incoming.updated_at < order.marketplace_updated_at:
        report.orders_stale += 1  # an older answer than the one recorded
        return
    changed = _update_order(db, order, incoming, now)
    existing = {line.line_id: line for line in order.lines} if not new else {}
    lines: list[OrderLine] = []
    for item in incoming.lines:
        line = existing.get(item.line_id)
        if line is None:
            line = _new_line(order, item, products)
            db.add(line)
            await db.flush()
            changed = True
            if line.product_id is None:
                report.lines_unmanaged += 1
        else:
            _update_line_facts(line, item)
        changed |= line_state.set_quantities(
            db, order, line,
            quantity=item.quantity, shipped=item.quantity_shipped,
            cancelled=item.quantity_cancelled, at=now, source="import",
        )  # fmt: skip
        product_id = line.product_id
        if product_id is not None and await line_state.settle_stock(db, order, line):
            report.stock_moves += 1
            report.products_changed.add(product_id)
        lines.append(line)
    if order.id in doubtful:
        await shipments.settle_in_doubt(db, order, incoming, now=now)
    order.last_seen_at = now
    if new:
        report.orders_new += 1
        if order.status in line_state.OPEN_STATUSES:
            report.mails += await notify_order(db, settings, order, lines, "new", now)
    elif changed:
        report.orders_changed += 1


def _new_order(
    account: SellerAccount, incoming: MarketOrder, now: dt.datetime
) -> Order:
    return Order(
        seller_account_id=account.id,
        company_id=account.company_id,
        marketplace=account.marketplace,
        marketplace_id=incoming.marketplace_id or account.marketplace_id,
        marketplace_order_id=incoming.order_id,
        status=incoming.status.value,
        raw_status=incoming.raw_status[:60],
        purchased_at=incoming.purchased_at,
        marketplace_updated_at=incoming.updated_at,
        ship_by=incoming.ship_by,
        ship_to_country=(incoming.ship_to_country or "")[:2].upper() or None,
        ship_to_region=(incoming.ship_to_region or "")[:40] or None,
        currency=incoming.currency[:3],
        total=incoming.total,
        refunded=incoming.refunded,
        imported_at=now,
        last_seen_at=now,
        lines=[],
    )


def _update_order(
    db: AsyncSession, order: Order, incoming: MarketOrder, now: dt.datetime
) -> bool:
    """Copy the order's facts, recording status and refund changes."""
    changed = False
    if order.status != incoming.status.value:
        line_state.record(db, order, "status", order.status, incoming.status.value,
                          at=now, source="import")  # fmt: skip
        order.status = incoming.status.value
        changed = True
    if order.refunded != incoming.refunded:
        line_state.record(db, order, "refunded", order.refunded, incoming.refunded,
                          at=now, source="import")  # fmt: skip
        order.refunded = incoming.refunded
        changed = True
    facts = {
        "raw_status": incoming.raw_status[:60],
        "marketplace_updated_at": incoming.updated_at,
        "ship_by": incoming.ship_by,
        "total": incoming.total,
    }
    for name, value in facts.items():
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed = True
    return changed


def _new_line(order: Order, item: MarketLine, products: dict[str, int]) -> OrderLine:
    # A SKU is mapped to a product once, when the line first arrives: a
    # listing made later must not make an old order move stock.
    return OrderLine(
        order_id=order.id,
        line_id=item.line_id,
        sku=(item.sku or None) and item.sku[:100],
        product_id=products.get(item.sku) if item.sku else None,
        quantity=0,
        shipped=0,
        cancelled=0,
        amount=item.amount,
        currency=item.currency[:3],
        title=item.title[:500],
        item_id=(item.item_id or None) and item.item_id[:40],
    )


def _update_line_facts(line: OrderLine, item: MarketLine) -> None:
    line.amount = item.amount
    line.title = item.title[:500]
