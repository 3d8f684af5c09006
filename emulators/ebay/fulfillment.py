"""eBay orders in the emulator: the order book and a seeded buyer simulation,
served as the Sell Fulfillment API by :mod:`emulators.ebay.fulfillment_api`.

Buyers buy published offers whose listing is live and never more than the
``availableQuantity`` offered at that moment; each unit bought lowers it (and
the inventory item's ship-to quantity), as eBay does, so a listing sells out.
eBay orders are paid at checkout (``PAID``). A buyer's cancellation refunds
the order in full (``CANCELED``, ``FULLY_REFUNDED``) and offers the units
again; a seller's refund after shipment is :meth:`EbayOrderBook.refund`.

Time comes from the emulator state's ``wall_clock`` (epoch seconds), which
tests replace; :meth:`EbayOrderBook.tick` takes the instant to advance to, so a
simulation is deterministic under its seed and the instants given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.ebay.state import EmulatorState, Offer, Seller

#: (country, state or province, city, postal code) buyers ship to.
DESTINATIONS = (
    ("US", "CA", "San Jose", "95131"),
    ("US", "NY", "Brooklyn", "11201"),
    ("GB", "", "London", "SW1A 1AA"),
    ("DE", "", "Berlin", "10115"),
    ("AU", "NSW", "Sydney", "2000"),
)


@dataclass
class EbayLine:
    line_item_id: str
    sku: str
    title: str
    legacy_item_id: str
    offer_id: str
    quantity: int
    unit_price: Decimal
    currency: str
    shipped: int = 0
    refunded: Decimal = Decimal("0")


@dataclass
class EbayOrder:
    order_id: str
    username: str
    marketplace_id: str
    created: dt.datetime
    modified: dt.datetime
    lines: list[EbayLine]
    destination: tuple[str, str, str, str]
    buyer: str
    payment_status: str = "PAID"
    cancel_state: str = "NONE_REQUESTED"
    cancelled: dt.datetime | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    fulfillments: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancel_at: dt.datetime | None = None

    @property
    def total(self) -> Decimal:
        return sum((x.unit_price * x.quantity for x in self.lines), Decimal("0"))

    @property
    def fulfillment_status(self) -> str:
        shipped = sum(x.shipped for x in self.lines)
        if shipped == 0:
            return "NOT_STARTED"
        if all(x.shipped >= x.quantity for x in self.lines):
            return "FULFILLED"
        return "IN_PROGRESS"


@dataclass
class BuyerSimulation:
    """Seeded buyers: orders per live listing per hour, units per order (at
    most what is offered), the share of buyers who cancel and how soon."""

    seed: int = 0
    orders_per_listing_hour: float = 1.0
    max_units: int = 2
    cancel_share: float = 0.05
    cancel_within_seconds: float = 3600.0
    random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 - a simulation


class EbayOrderBook:
    """Every order the emulator knows, with the buyers who make them."""

    def __init__(self, state: EmulatorState):
        self.state = state
        self.orders: dict[str, EbayOrder] = {}
        self.simulation = BuyerSimulation()
        self._last_tick: dt.datetime | None = None
        self._ids = itertools.count(1)
        #: The next this many getOrders pages lose their first order's
        #: ``lineItems`` (allowed by the model, unreadable for a client).
        self.malformed_pages = 0
        #: Every Fulfillment API request: (operationId, query, JSON body or None),
        #: for contract tests.
        self.requests: list[tuple[str, dict[str, str], Any]] = []

    def now(self) -> dt.datetime:
        """The emulator's wall clock as a UTC datetime (millisecond precision)."""
        instant = dt.datetime.fromtimestamp(self.state.wall_clock(), dt.UTC)
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)

    # --- test and demo controls ---------------------------------------------

    def simulate_buyers(self, seed: int = 0, rate: float = 1.0, **options: Any) -> None:
        """Start a fresh seeded simulation: ``rate`` orders per live listing per
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

    def tick(self, now: dt.datetime | None = None) -> list[EbayOrder]:
        """Advance to ``now``: due buyer cancellations happen and buyers place
        orders for the time since the last tick. Returns the orders placed."""
        now = now or self.now()
        for order in list(self.orders.values()):
            if order.cancel_at is not None and order.cancel_at <= now:
                order.cancel_at = None
                if order.fulfillment_status == "NOT_STARTED" and not order.cancelled:
                    self.cancel(order.order_id, at=now)
        placed: list[EbayOrder] = []
        if self._last_tick is not None and now > self._last_tick:
            hours = (now - self._last_tick).total_seconds() / 3600
            sim = self.simulation
            for seller, offer in self._live_offers():
                mean = sim.orders_per_listing_hour * hours
                for _ in range(_poisson(sim.random, mean)):
                    offered = available(offer)
                    if offered < 1:
                        break
                    units = min(offered, sim.random.randint(1, max(1, sim.max_units)))
                    placed.append(self._buy(seller, offer, units, now, None))
        self._last_tick = now
        return placed

    def place_order(
        self,
        username: str,
        sku: str,
        quantity: int = 1,
        *,
        marketplace_id: str = "EBAY_US",
        at: dt.datetime | None = None,
    ) -> EbayOrder:
        """A buyer orders ``quantity`` of a live listing now (or ``at``).
        ``ValueError`` if it is not live or offers fewer units."""
        seller = self.state.sellers[username]
        offer = next(
            (o for o in seller.offers_for(sku, marketplace_id) if is_live(o)), None
        )
        if offer is None:
            raise ValueError(f"{sku} is not live on {marketplace_id}")
        if quantity < 1 or quantity > available(offer):
            raise ValueError(f"{sku} offers {available(offer)} units")
        return self._buy(seller, offer, quantity, at or self.now(), False)

    def cancel(self, order_id: str, *, at: dt.datetime | None = None) -> EbayOrder:
        """The buyer cancels an unshipped order: refunded in full, units offered
        again."""
        order = self.orders[order_id]
        if order.fulfillment_status != "NOT_STARTED" or order.cancelled:
            raise ValueError(f"order {order_id} cannot be cancelled")
        when = at or self.now()
        order.cancel_state = "CANCELED"
        order.cancelled = when
        self._refund_all(order, when)
        seller = self.state.sellers[order.username]
        for line in order.lines:
            offer = seller.offers.get(line.offer_id)
            if offer is not None:
                set_available(seller, offer, available(offer) + line.quantity)
        return order

    def refund(self, order_id: str, *, at: dt.datetime | None = None) -> EbayOrder:
        """The seller refunds the whole order (after a return, say)."""
        order = self.orders[order_id]
        self._refund_all(order, at or self.now())
        return order

    async def run(self, every_seconds: float = 60.0) -> None:
        """Tick on the wall clock every ``every_seconds`` until cancelled
        (``make run`` and benchmarks run it as a task)."""
        while True:
            self.tick()
            await asyncio.sleep(every_seconds)

    # --- internals ------------------------------------------------------------

    def _refund_all(self, order: EbayOrder, when: dt.datetime) -> None:
        for line in order.lines:
            line.refunded = line.unit_price * line.quantity
        order.payment_status = "FULLY_REFUNDED"
        order.refunds.append(
            {
                "refundId": f"5{next(self._ids):011d}",
                "refundStatus": "REFUNDED",
                "amount": order.total,
                "refundDate": when,
            }
        )
        order.modified = when

    def _live_offers(self) -> list[tuple[Seller, Offer]]:
        found = []
        for username in sorted(self.state.sellers):
            seller = self.state.sellers[username]
            for offer_id in sorted(seller.offers):
                offer = seller.offers[offer_id]
                if is_live(offer) and available(offer) > 0:
                    found.append((seller, offer))
        return found

    def _buy(
        self,
        seller: Seller,
        offer: Offer,
        units: int,
        now: dt.datetime,
        will_cancel: bool | None,
    ) -> EbayOrder:
        sim = self.simulation
        serial = next(self._ids)
        set_available(seller, offer, available(offer) - units)
        price = (offer.body.get("pricingSummary") or {}).get("price") or {}
        item = seller.items.get(offer.sku) or {}
        cancels = (
            sim.random.random() < sim.cancel_share
            if will_cancel is None
            else will_cancel
        )
        # eBay's order id shape, e.g. 01-03955-36441.
        order_id = (
            f"{10 + serial % 90:02d}-{13000 + serial:05d}-{serial * 7919 % 99991:05d}"
        )
        order = EbayOrder(
            order_id=order_id,
            username=seller.username,
            marketplace_id=offer.marketplace_id,
            created=now,
            modified=now,
            lines=[
                EbayLine(
                    line_item_id=f"1{serial:011d}",
                    sku=offer.sku,
                    title=str((item.get("product") or {}).get("title") or offer.sku),
                    legacy_item_id=offer.listing_id or "",
                    offer_id=offer.offer_id,
                    quantity=units,
                    unit_price=Decimal(str(price.get("value", "0"))),
                    currency=str(price.get("currency", "USD")),
                )
            ],
            destination=DESTINATIONS[serial % len(DESTINATIONS)],
            buyer=f"buyer_{serial:05d}",
            cancel_at=now
            + dt.timedelta(seconds=sim.random.uniform(0, sim.cancel_within_seconds))
            if cancels
            else None,
        )
        self.orders[order.order_id] = order
        return order


def is_live(offer: Offer) -> bool:
    return offer.status == "PUBLISHED" and offer.listing_status in (None, "ACTIVE")


def available(offer: Offer) -> int:
    return int(offer.body.get("availableQuantity") or 0)


def set_available(seller: Seller, offer: Offer, quantity: int) -> None:
    if quantity < 0:
        raise ValueError("a listing never offers a negative quantity")
    offer.body["availableQuantity"] = quantity
    item = seller.items.get(offer.sku)
    ship = ((item or {}).get("availability") or {}).get("shipToLocationAvailability")
    if isinstance(ship, dict):
        ship["quantity"] = quantity


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
