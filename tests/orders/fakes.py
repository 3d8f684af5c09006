"""An in-memory marketplace of orders behind the ``OrdersConnector`` protocol.

Tests change :data:`MARKET` (orders, failures to raise, carriers) and point
``settings.orders.connector_factory`` at :func:`factory` (or pass
:func:`connectors_for` a market of their own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal

from connectors.base import (
    Marketplace,
    Order,
    OrderLine,
    OrdersConnector,
    OrderStatus,
    SellerAccount,
    ShipmentRequest,
    ShipmentResult,
)
from export_hub.errors import MarketplaceError
from export_hub.marketplaces.models import SellerAccount as AccountRow
from export_hub.settings import Settings

T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


@dataclass
class FakeMarket:
    """Orders per seller id; what the next calls raise; what was confirmed."""

    orders: dict[str, dict[str, Order]] = field(default_factory=dict)
    #: Raised by the next ``orders_updated`` after yielding ``fail_after`` orders.
    read_error: MarketplaceError | None = None
    fail_after: int = 0
    confirm_error: MarketplaceError | None = None
    confirmed: list[ShipmentRequest] = field(default_factory=list)
    windows: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    carrier_codes: tuple[str, ...] = ("USPS", "UPS", "FedEx", "DHL", "Korea Post")

    def put(self, seller_id: str, order: Order) -> Order:
        self.orders.setdefault(seller_id, {})[order.order_id] = order
        return order

    def update(self, seller_id: str, order_id: str, **changes: object) -> Order:
        current = self.orders[seller_id][order_id]
        if "updated" in changes:
            changes["updated_at"] = changes.pop("updated")
        changed = replace(current, **changes)  # type: ignore[arg-type]
        self.orders[seller_id][order_id] = changed
        return changed


class FakeOrdersConnector:
    """One seller's view of a :class:`FakeMarket`."""

    def __init__(self, market: FakeMarket, account: SellerAccount):
        self.market = market
        self.account = account
        self.marketplace = account.marketplace

    async def orders_updated(
        self, *, after: dt.datetime, before: dt.datetime
    ) -> AsyncIterator[Order]:
        self.market.windows.append((after, before))
        mine = self.market.orders.get(self.account.seller_id, {})
        given = 0
        for order in sorted(mine.values(), key=lambda o: o.updated_at):
            if self.market.read_error is not None and given >= self.market.fail_after:
                error, self.market.read_error = self.market.read_error, None
                raise error
            if after <= order.updated_at < before:
                given += 1
                yield order
        if self.market.read_error is not None:
            error, self.market.read_error = self.market.read_error, None
            raise error

    async def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        if self.market.confirm_error is not None:
            error, self.market.confirm_error = self.market.confirm_error, None
            raise error
        self.market.confirmed.append(shipment)
        return ShipmentResult(
            order_id=shipment.order_id,
            shipment_id=f"F-{len(self.market.confirmed)}",
            request_id="req-1",
        )

    def carriers(self) -> Sequence[str]:
        return self.market.carrier_codes


def connectors_for(
    market: FakeMarket,
) -> Callable[[AccountRow], AbstractAsyncContextManager[OrdersConnector]]:
    @asynccontextmanager
    async def open_connector(row: AccountRow) -> AsyncIterator[OrdersConnector]:
        ref = SellerAccount(
            marketplace=Marketplace(row.marketplace),
            seller_id=row.seller_id,
            marketplace_id=row.marketplace_id,
        )
        yield FakeOrdersConnector(market, ref)

    return open_connector


#: The market :func:`factory` serves (tests reset it through a fixture).
MARKET = FakeMarket()


def factory(
    settings: Settings,
) -> Callable[[AccountRow], AbstractAsyncContextManager[OrdersConnector]]:
    """``orders.connector_factory = "tests.orders.fakes:factory"``."""
    return connectors_for(MARKET)


def order(
    order_id: str,
    *lines: OrderLine,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    updated: dt.datetime = T0,
    ship_by: dt.datetime | None = None,
    refunded: Decimal = Decimal("0"),
) -> Order:
    return Order(
        order_id=order_id,
        status=status,
        raw_status=status.value.title(),
        purchased_at=T0 - dt.timedelta(hours=1),
        updated_at=updated,
        lines=lines,
        ship_by=ship_by or T0 + dt.timedelta(days=2),
        ship_to_country="US",
        ship_to_region="CA",
        currency="USD",
        total=Decimal("25.00"),
        refunded=refunded,
        marketplace_id="ATVPDKIKX0DER",
    )


def line(
    line_id: str,
    sku: str | None,
    quantity: int,
    shipped: int = 0,
    cancelled: int = 0,
) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        sku=sku,
        quantity=quantity,
        quantity_shipped=shipped,
        quantity_cancelled=cancelled,
        amount=Decimal("12.50") * quantity,
        title=f"Item {sku}",
    )
