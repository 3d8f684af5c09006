"""Orders API v0 answers (``getOrders`` order and its ``getOrderItems``) as an
:class:`~connectors.base.Order`, spelled as the 2026-01-01 answers are, so
that reading the same order through either version records the same facts.

Without a restricted data token v0 carries no buyer name or address lines:
the ship-to country and state are all that is kept, as with 2026-01-01.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.base import Order, OrderLine, OrderStatus

#: v0 ``OrderStatus`` as the 2026-01-01 ``FulfillmentStatus`` word.
#: ``InvoiceUnconfirmed`` (shipped, invoice not confirmed) has no
#: counterpart there: it is shipped.
FULFILLMENT_STATUS = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "InvoiceUnconfirmed": "SHIPPED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
}


def order_from_v0(
    raw: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    statuses: Mapping[str, OrderStatus],
) -> Order:
    """A v0 ``Order`` with its ``OrderItem`` list as an :class:`Order`;
    ``statuses`` maps the 2026-01-01 words. Raises ``KeyError``/``TypeError``/
    ``ValueError`` when a required part is missing or malformed."""
    raw_status = FULFILLMENT_STATUS[str(raw["OrderStatus"])]
    status = statuses[raw_status]
    lines = tuple(_line(item, status) for item in items)
    total = raw.get("OrderTotal")  # absent while the order is Pending
    address = raw.get("ShippingAddress") or {}
    ship_by = raw.get("LatestShipDate")
    return Order(
        order_id=str(raw["AmazonOrderId"]),
        status=status,
        raw_status=raw_status,
        purchased_at=parse_instant(raw["PurchaseDate"]),
        updated_at=parse_instant(raw["LastUpdateDate"]),
        lines=lines,
        ship_by=parse_instant(ship_by) if ship_by else None,
        ship_to_country=address.get("CountryCode") or None,
        ship_to_region=address.get("StateOrRegion") or None,
        currency=total["CurrencyCode"]
        if total
        else next((line.currency for line in lines if line.amount is not None), "USD"),
        total=Decimal(total["Amount"]) if total else None,
        marketplace_id=str(raw.get("MarketplaceId") or ""),
    )


def _line(item: Mapping[str, Any], status: OrderStatus) -> OrderLine:
    quantity = int(item["QuantityOrdered"])
    shipped = int(item.get("QuantityShipped") or 0)
    price = item.get("ItemPrice")  # the line's total; absent while Pending
    return OrderLine(
        line_id=str(item["OrderItemId"]),
        sku=item.get("SellerSKU") or None,
        quantity=quantity,
        quantity_shipped=shipped,
        quantity_cancelled=quantity - shipped if status is OrderStatus.CANCELLED else 0,
        amount=Decimal(price["Amount"]) if price else None,
        currency=price["CurrencyCode"] if price else "USD",
        title=str(item.get("Title") or ""),
        item_id=item.get("ASIN") or None,
    )


def parse_instant(value: Any) -> dt.datetime:
    """An ISO 8601 instant as a UTC-aware datetime; ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"not a date-time: {value!r}")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"date-time without a time zone: {value!r}")
    return parsed.astimezone(dt.UTC)
