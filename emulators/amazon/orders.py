"""Amazon orders in the emulator: the order book, a seeded buyer simulation,
whose orders :mod:`emulators.amazon.orders_api` serves as the Orders API.

Buyers buy LIVE listings (``BUYABLE``) and never more than the quantity offered
at that moment; each unit bought lowers the listing's
``fulfillment_availability`` quantity, as Amazon does, so a listing sells out.
A buyer's cancellation gives the units back. Orders start ``PENDING`` and
become ``UNSHIPPED`` after ``pending_seconds`` (payment authorised).

Time: order instants come from the book's ``wall`` clock (UTC datetimes),
which tests replace; :meth:`AmazonOrderBook.tick` takes the instant to advance
to, so a simulation is deterministic under its seed and the instants given.
Test controls: :meth:`~AmazonOrderBook.place_order`, :meth:`~AmazonOrderBook.cancel`,
:meth:`~AmazonOrderBook.simulate_buyers`, :meth:`~AmazonOrderBook.tick`, or the
loopback-only HTTP controls under ``/_emulator/orders``
(:mod:`emulators.amazon.orders_api`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.amazon.state import EmulatorState, ListingRecord

#: A ``lastUpdatedBefore`` / ``createdBefore`` must be this far in the past.
MIN_LAG = dt.timedelta(minutes=2)
TOKEN_TTL = dt.timedelta(hours=24)
#: v0 ``OrderStatus`` for each 2026-01-01 ``FulfillmentStatus``.
V0_STATUS = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
#: Carrier codes this emulator accepts (a part of Amazon's ``CarrierCode`` list).
CARRIER_CODES = frozenset(
    {
        "Korea Post",
        "DHL",
        "DHL eCommerce",
        "FedEx",
        "UPS",
        "USPS",
        "Japan Post",
        "Royal Mail",
        "Deutsche Post",
        "Other",
    }
)
SEARCH_PARAMS = frozenset(
    {
        "createdAfter",
        "createdBefore",
        "lastUpdatedAfter",
        "lastUpdatedBefore",
        "fulfillmentStatuses",
        "marketplaceIds",
        "fulfilledBy",
        "maxResultsPerPage",
        "paginationToken",
        "includedData",
    }
)
INCLUDED_DATA = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)
V0_ORDERS_PARAMS = frozenset(
    {
        "CreatedAfter",
        "CreatedBefore",
        "LastUpdatedAfter",
        "LastUpdatedBefore",
        "OrderStatuses",
        "MarketplaceIds",
        "FulfillmentChannels",
        "PaymentMethods",
        "BuyerEmail",
        "SellerOrderId",
        "MaxResultsPerPage",
        "EasyShipShipmentStatuses",
        "ElectronicInvoiceStatuses",
        "NextToken",
        "AmazonOrderIds",
        "ActualFulfillmentSupplySourceId",
        "IsISPU",
        "StoreChainStoreId",
        "EarliestDeliveryDateBefore",
        "EarliestDeliveryDateAfter",
        "LatestDeliveryDateBefore",
        "LatestDeliveryDateAfter",
    }
)
PACKAGE_FIELDS = frozenset(
    {
        "packageReferenceId",
        "carrierCode",
        "carrierName",
        "shippingMethod",
        "trackingNumber",
        "shipDate",
        "shipFromSupplySourceId",
        "orderItems",
    }
)
#: Ship-to places the buyers come from: (country, state or region, city).
DESTINATIONS = (
    ("US", "CA", "Los Angeles"),
    ("US", "NY", "New York"),
    ("US", "WA", "Seattle"),
    ("US", "TX", "Houston"),
    ("US", "HI", "Honolulu"),
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class OrderItem:
    order_item_id: str
    sku: str
    asin: str
    title: str
    quantity: int
    unit_price: Decimal
    currency: str
    shipped: int = 0


@dataclass
class AmazonOrder:
    order_id: str
    seller_id: str
    marketplace_id: str
    created: dt.datetime
    updated: dt.datetime
    items: list[OrderItem]
    ship_by: dt.datetime
    destination: tuple[str, str, str]
    #: 2026-01-01 ``FulfillmentStatus``.
    status: str = "PENDING"
    cancelled_by: str | None = None
    packages: list[dict[str, Any]] = field(default_factory=list)
    #: When the buyer will cancel, if this buyer is one who does.
    cancel_at: dt.datetime | None = None

    @property
    def total(self) -> Decimal:
        return sum((i.unit_price * i.quantity for i in self.items), Decimal("0"))


@dataclass
class BuyerSimulation:
    """Seeded buyers: orders per LIVE listing per hour, units per order (at
    most what is offered), the share of buyers who cancel before shipment and
    how soon, and how long payment stays pending."""

    seed: int = 0
    orders_per_listing_hour: float = 1.0
    max_units: int = 2
    cancel_share: float = 0.05
    cancel_within_seconds: float = 3600.0
    pending_seconds: float = 300.0
    random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 - a simulation


@dataclass
class _Page:
    seller_id: str
    fingerprint: str
    order_ids: list[str]
    expires: dt.datetime


class AmazonOrderBook:
    """Every order the emulator knows, with the buyers who make them."""

    def __init__(self, state: EmulatorState, wall: Callable[[], dt.datetime] = utc_now):
        self.state = state
        self.wall = wall
        self.orders: dict[str, AmazonOrder] = {}
        self.simulation = BuyerSimulation()
        self._last_tick: dt.datetime | None = None
        self._pages: dict[str, _Page] = {}
        self._ids = itertools.count(1)
        #: ``searchOrders`` pages answered (tests and the benchmark).
        self.pages_served = 0
        #: Every Orders API request: (operation, query pairs, JSON body or None),
        #: for contract tests.
        self.requests: list[tuple[str, list[tuple[str, str]], Any]] = []

    # --- test and demo controls ---------------------------------------------

    def simulate_buyers(self, seed: int = 0, rate: float = 1.0, **options: Any) -> None:
        """Start a fresh seeded simulation: ``rate`` orders per LIVE listing per
        hour; ``options`` are the other :class:`BuyerSimulation` fields."""
        self.simulation = BuyerSimulation(
            seed=seed, orders_per_listing_hour=rate, **options
        )
        self._last_tick = None

    def number_from(self, first: int) -> None:
        """Number the next orders from serial ``first`` (ids derive from it): a
        demo restarted against a database that holds the orders of an earlier
        run keeps new order ids apart from those."""
        self._ids = itertools.count(max(1, first))

    def tick(self, now: dt.datetime | None = None) -> list[AmazonOrder]:
        """Advance to ``now``: pending orders become unshipped when due, due
        buyer cancellations happen, and buyers place orders for the time since
        the last tick. Returns the orders placed."""
        now = now or self.wall()
        self._settle(now)
        placed: list[AmazonOrder] = []
        if self._last_tick is not None and now > self._last_tick:
            hours = (now - self._last_tick).total_seconds() / 3600
            sim = self.simulation
            for record in self._live_listings():
                for _ in range(
                    _poisson(sim.random, sim.orders_per_listing_hour * hours)
                ):
                    offered = offered_quantity(record)
                    if offered < 1 or not is_live(record):
                        break
                    units = min(offered, sim.random.randint(1, max(1, sim.max_units)))
                    placed.append(self._buy(record, units, now))
        self._last_tick = now
        return placed

    def place_order(
        self,
        seller_id: str,
        sku: str,
        quantity: int = 1,
        *,
        marketplace_id: str = "ATVPDKIKX0DER",
        at: dt.datetime | None = None,
    ) -> AmazonOrder:
        """A buyer orders ``quantity`` of a LIVE listing now (or ``at``).
        ``ValueError`` if the listing is not buyable or offers fewer units."""
        record = self.state.listing(seller_id, marketplace_id, sku)
        if record is None or not is_live(record):
            raise ValueError(f"{sku} is not buyable")
        if quantity < 1 or quantity > offered_quantity(record):
            raise ValueError(f"{sku} offers {offered_quantity(record)} units")
        return self._buy(record, quantity, at or self.wall(), will_cancel=False)

    def cancel(self, order_id: str, *, at: dt.datetime | None = None) -> AmazonOrder:
        """The buyer cancels an order not shipped yet; the units go back on offer."""
        order = self.orders[order_id]
        if order.status not in ("PENDING", "PENDING_AVAILABILITY", "UNSHIPPED"):
            raise ValueError(f"order {order_id} is {order.status}")
        when = at or self.wall()
        order.status = "CANCELLED"
        order.cancelled_by = "BUYER"
        order.updated = when
        for item in order.items:
            record = self.state.listings.get(
                (order.seller_id, order.marketplace_id, item.sku)
            )
            if record is not None:
                set_offered_quantity(record, offered_quantity(record) + item.quantity)
        return order

    def authorise_payments(self, at: dt.datetime | None = None) -> None:
        """Every pending order becomes unshipped now (payment authorised)."""
        when = at or self.wall()
        for order in self.orders.values():
            if order.status == "PENDING":
                order.status = "UNSHIPPED"
                order.updated = when

    async def run(self, every_seconds: float = 60.0) -> None:
        """Tick on the wall clock every ``every_seconds`` until cancelled
        (``make run`` and benchmarks run it as a task)."""
        while True:
            self.tick()
            await asyncio.sleep(every_seconds)

    # --- internals ------------------------------------------------------------

    def _live_listings(self) -> list[ListingRecord]:
        records = []
        for key in sorted(self.state.listings):
            record = self.state.listing(*key)
            if record is not None and is_live(record) and offered_quantity(record) > 0:
                records.append(record)
        return records

    def _settle(self, now: dt.datetime) -> None:
        pending = dt.timedelta(seconds=self.simulation.pending_seconds)
        for order in self.orders.values():
            if order.cancel_at is not None and order.cancel_at <= now:
                order.cancel_at = None
                if order.status in ("PENDING", "UNSHIPPED"):
                    self.cancel(order.order_id, at=now)
            if order.status == "PENDING" and order.created + pending <= now:
                order.status = "UNSHIPPED"
                order.updated = now

    def _buy(
        self,
        record: ListingRecord,
        units: int,
        now: dt.datetime,
        *,
        will_cancel: bool | None = None,
    ) -> AmazonOrder:
        sim = self.simulation
        serial = next(self._ids)
        digest = hashlib.sha1(  # noqa: S324 - an id, not security
            f"{record.seller_id}/{serial}".encode()
        ).hexdigest()
        number = int(digest[:14], 16) % 10**14
        # Amazon's 3-7-7 order id.
        head, middle = 100 + number % 900, number // 1000 % 10**7
        order_id = f"{head:03d}-{middle:07d}-{serial % 10**7:07d}"
        set_offered_quantity(record, offered_quantity(record) - units)
        cancels = (
            sim.random.random() < sim.cancel_share
            if will_cancel is None
            else will_cancel
        )
        order = AmazonOrder(
            order_id=order_id,
            seller_id=record.seller_id,
            marketplace_id=record.marketplace_id,
            created=now,
            updated=now,
            items=[
                OrderItem(
                    order_item_id=f"{int(digest[14:26], 16) % 10**14:014d}",
                    sku=record.sku,
                    asin=record.asin or "",
                    title=_text(record.attributes, "item_name"),
                    quantity=units,
                    unit_price=listing_price(record),
                    currency=listing_currency(record),
                )
            ],
            ship_by=now + dt.timedelta(days=3),
            destination=DESTINATIONS[serial % len(DESTINATIONS)],
            cancel_at=now
            + dt.timedelta(seconds=sim.random.uniform(0, sim.cancel_within_seconds))
            if cancels
            else None,
        )
        self.orders[order_id] = order
        return order

    # --- queries ----------------------------------------------------------------

    def updated_between(
        self,
        seller_id: str,
        marketplace_ids: list[str],
        after: dt.datetime,
        before: dt.datetime,
        *,
        by_creation: bool = False,
    ) -> list[AmazonOrder]:
        found = [
            o
            for o in self.orders.values()
            if o.seller_id == seller_id
            and o.marketplace_id in marketplace_ids
            and after <= (o.created if by_creation else o.updated) <= before
        ]
        return sorted(found, key=lambda o: (o.updated, o.order_id))

    def open_pages(self, seller_id: str, fingerprint: str, ids: list[str]) -> str:
        token = hashlib.sha256(
            f"{seller_id}/{fingerprint}/{len(self._pages)}".encode()
        ).hexdigest()[:32]
        self._pages[token] = _Page(seller_id, fingerprint, ids, self.wall() + TOKEN_TTL)
        return token

    def page(self, token: str, seller_id: str, fingerprint: str) -> list[str]:
        found = self._pages.get(token)
        if (
            found is None
            or found.seller_id != seller_id
            or found.fingerprint != fingerprint
            or found.expires < self.wall()
        ):
            raise LookupError("unknown or expired pagination token")
        return found.order_ids


# --- listings as buyers see them ---------------------------------------------


def is_live(record: ListingRecord) -> bool:
    return "BUYABLE" in record.status and not record.issues


def offered_quantity(record: ListingRecord) -> int:
    for entry in record.attributes.get("fulfillment_availability") or []:
        if (
            isinstance(entry, dict)
            and entry.get("fulfillment_channel_code") == "DEFAULT"
        ):
            return int(entry.get("quantity") or 0)
    return 0


def set_offered_quantity(record: ListingRecord, quantity: int) -> None:
    if quantity < 0:
        raise ValueError("a listing never offers a negative quantity")
    record.attributes["fulfillment_availability"] = [
        {"fulfillment_channel_code": "DEFAULT", "quantity": quantity}
    ]
    if quantity == 0:
        record.status = [s for s in record.status if s != "BUYABLE"]
    elif "BUYABLE" not in record.status and record.asin and not record.issues:
        record.status = ["BUYABLE", "DISCOVERABLE"]


def listing_price(record: ListingRecord) -> Decimal:
    for offer in record.attributes.get("purchasable_offer") or []:
        for price in offer.get("our_price") or []:
            for entry in price.get("schedule") or []:
                return Decimal(str(entry.get("value_with_tax"))).quantize(
                    Decimal("0.01")
                )
    return Decimal("0.00")


def listing_currency(record: ListingRecord) -> str:
    for offer in record.attributes.get("purchasable_offer") or []:
        return str(offer.get("currency") or "USD")
    return "USD"


def _text(attributes: dict[str, Any], name: str) -> str:
    values = attributes.get(name) or []
    if values and isinstance(values[0], dict):
        return str(values[0].get("value") or "")
    return ""


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small (a tick is minutes)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-min(mean, 50.0)), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
