"""``EbayFulfillmentClient``: orders and shipping fulfillments through the Sell
Fulfillment API v1, for one seller account (:class:`connectors.base.OrdersConnector`).

Every call goes through the seller's :class:`~connectors.ebay.transport.EbayTransport`
(pacing per seller and API, the daily call budget, retries, eBay's error codes).

* ``getOrders`` with ``filter=lastmodifieddate:[from..to]``, 200 orders a page
  (eBay's maximum; one request per 200 orders, items included), following
  ``next`` by ``offset`` up to ``total``.
* ``createShippingFulfillment``: one call per package; the new fulfillment's
  id is the last segment of the ``Location`` header.

Buyer personal data: eBay always returns the buyer's name, address, phone and
e-mail with an order (``fulfillmentStartInstructions[].shippingStep.shipTo``,
``buyer``). They are never read: an :class:`~connectors.base.Order` keeps the
ship-to country and state or province only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

from connectors.base import (
    Marketplace,
    Order,
    OrderLine,
    OrderStatus,
    SellerAccount,
    ShipmentRequest,
    ShipmentResult,
    UnreadableAnswer,
)
from connectors.ebay.transport import EbayResponse, EbayTransport
from export_hub.errors import NeedsHumanError, SkippableError

BASE = "/sell/fulfillment/v1"
PAGE_SIZE = 200
#: eBay shipping carrier codes (``ShippingCarrierCodeType``) for packages from
#: Korea, most used first.
CARRIERS: tuple[str, ...] = (
    "KoreaPost",
    "DHL",
    "FedEx",
    "UPS",
    "USPS",
    "ChinaPost",
    "JapanPost",
    "RoyalMail",
    "DeutschePost",
    "AustraliaPost",
)
#: ``orderFulfillmentStatus`` once paid and not cancelled or refunded.
FULFILLMENT_STATUSES: dict[str, OrderStatus] = {
    "NOT_STARTED": OrderStatus.UNSHIPPED,
    "IN_PROGRESS": OrderStatus.PARTIALLY_SHIPPED,
    "FULFILLED": OrderStatus.SHIPPED,
}


class EbayFulfillmentClient:
    """:class:`connectors.base.OrdersConnector` for the transport's seller."""

    marketplace = Marketplace.EBAY

    def __init__(self, transport: EbayTransport):
        self._t = transport
        self.account: SellerAccount = transport.account

    def carriers(self) -> Sequence[str]:
        """eBay carrier codes for packages from Korea, most used first."""
        return CARRIERS

    async def orders_updated(
        self, *, after: dt.datetime, before: dt.datetime
    ) -> AsyncIterator[Order]:
        """Every order last modified in ``[after, before]`` with its line items,
        200 a page. ``ValueError`` before sending for naive instants or an empty
        window; a page that cannot be read raises :class:`UnreadableAnswer`
        before any of its orders is yielded."""
        if after.tzinfo is None or before.tzinfo is None or before <= after:
            raise ValueError("need UTC-aware after < before")
        window = f"lastmodifieddate:[{iso(after)}..{iso(before)}]"
        offset = 0
        while True:
            response = await self._t.request(
                "GET",
                BASE + "/order",
                api="fulfillment",
                operation="getOrders",
                params={
                    "filter": window,
                    "limit": str(PAGE_SIZE),
                    "offset": str(offset),
                },
            )
            orders, more = self._page(response, offset)
            for order in orders:
                yield order
            if not more:
                return
            offset += len(orders)

    def _page(self, response: EbayResponse, offset: int) -> tuple[list[Order], bool]:
        body = response.body
        try:
            if not isinstance(body, Mapping) or "_raw" in body:
                raise TypeError("the answer is not a JSON object")
            raw = body.get("orders") or []
            if not isinstance(raw, list):
                raise TypeError("'orders' is not a list")
            orders = [order_from_ebay(o, self.account.marketplace_id) for o in raw]
            total = int(body.get("total", len(orders)))
            more = bool(body.get("next")) and offset + len(orders) < total
            if more and not orders:
                raise ValueError("'next' given on an empty page")
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise UnreadableAnswer(
                f"unreadable getOrders page: {exc}",
                marketplace="ebay",
                operation="getOrders",
                seller_id=self.account.seller_id,
                request_id=response.request_id,
            ) from exc
        return orders, more

    async def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """``createShippingFulfillment`` for one package; the result carries the
        fulfillment id. Raises ``NeedsHumanError`` (eBay's refusal, an unknown
        order or carrier) and ``ValueError`` for an empty package or a blank
        tracking number, before sending."""
        if shipment.carrier_code not in CARRIERS:
            raise NeedsHumanError(
                f"eBay does not accept the carrier code {shipment.carrier_code!r}",
                marketplace="ebay",
                operation="createShippingFulfillment",
                seller_id=self.account.seller_id,
            )
        body = shipping_fulfillment_body(shipment)
        path = f"{BASE}/order/{quote(shipment.order_id, safe='')}/shipping_fulfillment"
        try:
            response = await self._t.request(
                "POST",
                path,
                api="fulfillment",
                operation="createShippingFulfillment",
                json=body,
            )
        except SkippableError as exc:  # 404: not this seller's order
            raise NeedsHumanError(
                f"eBay does not know order {shipment.order_id}",
                marketplace="ebay",
                operation="createShippingFulfillment",
                seller_id=self.account.seller_id,
                request_id=exc.request_id,
                status=exc.status,
            ) from exc
        location = response.headers.get("Location") or ""
        fulfillment_id = urlsplit(location).path.rstrip("/").rpartition("/")[2]
        return ShipmentResult(
            shipment.order_id,
            shipment_id=fulfillment_id or None,
            request_id=response.request_id,
        )


def shipping_fulfillment_body(shipment: ShipmentRequest) -> dict[str, Any]:
    """The ``ShippingFulfillmentDetails`` for one package."""
    if not shipment.lines or any(line.quantity < 1 for line in shipment.lines):
        raise ValueError("a package needs at least one line with a quantity")
    if not shipment.tracking_number.strip():
        raise ValueError("a tracking number is required")
    return {
        "lineItems": [
            {"lineItemId": line.line_id, "quantity": line.quantity}
            for line in shipment.lines
        ],
        "shippedDate": iso(shipment.shipped_at),
        "shippingCarrierCode": shipment.carrier_code,
        "trackingNumber": shipment.tracking_number.strip(),
    }


def order_from_ebay(raw: Mapping[str, Any], marketplace_id: str) -> Order:
    """An eBay ``Order`` as an :class:`Order` (no buyer personal data).
    Raises ``KeyError``/``TypeError``/``ValueError`` for a malformed order."""
    refunded = _refunded(raw.get("paymentSummary") or {})
    status = _status(raw)
    cancelled = status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    lines = tuple(_line(item, cancelled) for item in raw["lineItems"])
    total = (raw.get("pricingSummary") or {}).get("total")
    ship_by = [
        parse_instant(i["lineItemFulfillmentInstructions"]["shipByDate"])
        for i in raw["lineItems"]
        if (i.get("lineItemFulfillmentInstructions") or {}).get("shipByDate")
    ]
    address = _ship_to(raw)
    return Order(
        order_id=str(raw["orderId"]),
        status=status,
        raw_status=_raw_status(raw),
        purchased_at=parse_instant(raw["creationDate"]),
        updated_at=parse_instant(raw["lastModifiedDate"]),
        lines=lines,
        ship_by=min(ship_by) if ship_by else None,
        ship_to_country=address.get("countryCode") or None,
        ship_to_region=address.get("stateOrProvince") or None,
        currency=str(total["currency"]) if total else "USD",
        total=Decimal(str(total["value"])) if total else None,
        refunded=refunded,
        marketplace_id=str(
            next(
                (
                    i["listingMarketplaceId"]
                    for i in raw["lineItems"]
                    if i.get("listingMarketplaceId")
                ),
                marketplace_id,
            )
        ),
    )


def _status(raw: Mapping[str, Any]) -> OrderStatus:
    cancel_state = (raw.get("cancelStatus") or {}).get("cancelState")
    if cancel_state == "CANCELED":
        return OrderStatus.CANCELLED
    payment = raw.get("orderPaymentStatus")
    if payment == "FULLY_REFUNDED":
        return OrderStatus.REFUNDED
    if payment in ("PENDING", "FAILED"):
        return OrderStatus.PENDING
    return FULFILLMENT_STATUSES[str(raw["orderFulfillmentStatus"])]


def _raw_status(raw: Mapping[str, Any]) -> str:
    words = [
        str(raw["orderFulfillmentStatus"]),
        str(raw.get("orderPaymentStatus") or ""),
        str((raw.get("cancelStatus") or {}).get("cancelState") or ""),
    ]
    return "/".join(w for w in words if w)


def _line(item: Mapping[str, Any], order_cancelled: bool) -> OrderLine:
    quantity = int(item["quantity"])
    shipped = quantity if item.get("lineItemFulfillmentStatus") == "FULFILLED" else 0
    # A refund before shipment releases the units like a cancellation.
    refunded = bool(item.get("refunds"))
    cancelled = quantity - shipped if order_cancelled or refunded else 0
    cost = item.get("lineItemCost") or {}
    return OrderLine(
        line_id=str(item["lineItemId"]),
        sku=item.get("sku") or None,
        quantity=quantity,
        quantity_shipped=shipped,
        quantity_cancelled=cancelled,
        amount=Decimal(str(cost["value"])) if cost.get("value") is not None else None,
        currency=str(cost.get("currency") or "USD"),
        title=str(item.get("title") or ""),
        item_id=item.get("legacyItemId") or None,
    )


def _refunded(summary: Mapping[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(str(r["amount"]["value"]))
            for r in summary.get("refunds") or []
            if r.get("refundStatus") == "REFUNDED"
        ),
        Decimal("0"),
    )


def _ship_to(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    for instruction in raw.get("fulfillmentStartInstructions") or []:
        step = instruction.get("shippingStep") or {}
        address = (step.get("shipTo") or {}).get("contactAddress")
        if address:
            return {
                "countryCode": address.get("countryCode"),
                "stateOrProvince": address.get("stateOrProvince"),
            }
    return {}


def iso(instant: dt.datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as eBay writes instants."""
    text = instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{instant.microsecond // 1000:03d}Z"


def parse_instant(value: Any) -> dt.datetime:
    """An eBay ISO 8601 instant as a UTC-aware datetime; ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"not a date-time: {value!r}")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"date-time without a time zone: {value!r}")
    return parsed.astimezone(dt.UTC)
