"""``AmazonOrdersClient``: orders and shipment confirmation for one Amazon
seller account and marketplace (:class:`connectors.base.OrdersConnector`).

Which calls, and why (rates from the models in ``specs/amazon``):

* Orders API v0: ``getOrders`` (0.0167 req/s, burst 20) lists up to 100 orders
  a page *without items*; each order then needs ``getOrderItems`` (0.5 req/s,
  burst 30), one call per order. ``N`` updated orders cost ``ceil(N/100) + N``
  requests, and the item calls cap an import at 30 orders a minute.
* Orders API 2026-01-01: ``searchOrders`` (0.0056 req/s, burst 20) returns the
  items with every order (``orderItems`` is always there) and, through
  ``includedData``, the fulfilment state, amounts and cancellations. ``N``
  orders cost ``ceil(N/100)`` requests: 100 orders every 3 minutes sustained
  (48,000 a day per seller), with a burst of 20 pages to catch up.

For the same freshness (a pull every few minutes with an overlap window) the
2026-01-01 search needs one request where v0 needs 1 + N, so this client uses
``searchOrders``; ``confirmShipment`` exists only in v0 (2 req/s, burst 10).

Why a window also asks v0 ``getOrders`` by creation: Amazon filters
``lastUpdatedAfter``/``lastUpdatedBefore`` on an order's *latest* update
(``lastUpdatedTime``), and ``lastUpdatedBefore`` must be two minutes old. An
order bought inside ``[after, before]`` and changed again after ``before``
(Amazon authorises a Pending order's payment within minutes, a buyer cancels)
is in no answer for that window; it would surface only at the first pull
whose window ends after its newest change, so its units would stay on offer
for one more pull interval. ``getOrders`` with ``CreatedAfter``/``CreatedBefore``
(the same window; 0.0167 req/s, three times searchOrders' rate, a page of 100
orders without items) lists every order bought in the window whatever its
later changes; the few the search did not return (changed since ``before``)
get their items with ``getOrderItems``, one call each. So a window costs
``ceil(N/100)`` search pages, ``ceil(C/100)`` getOrders pages for the ``C``
orders bought in it, and one ``getOrderItems`` per order changed in the last
minutes; a second ``searchOrders`` by creation would cost the scarcest rate
twice.

Buyer personal data: ``includedData`` never asks for ``BUYER``. It asks for
``RECIPIENT`` only for the country and state: in 2026-01-01 the name, address
lines, postal code and phone are gated by the restricted Direct-to-Consumer
Delivery role (https://developer-docs.amazon.com/sp-api/docs/access-orders-pii),
which Export Hub does not hold, and no restricted data token is ever
requested. Whatever else an answer carries is dropped here: an
:class:`~connectors.base.Order` has the ship-to country and region only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sp_api.asyncio.api import OrdersV0, OrdersV20260101

from connectors.amazon.orders_v0 import order_from_v0, parse_instant
from connectors.amazon.transport import AmazonTransport, SellerSession
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
from export_hub.errors import NeedsHumanError

#: Amazon refuses a ``lastUpdatedBefore`` later than two minutes before the request.
MIN_LAG = dt.timedelta(minutes=2)
PAGE_SIZE = 100
INCLUDED_DATA = ("FULFILLMENT", "PROCEEDS", "CANCELLATION", "RECIPIENT")

#: ``FulfillmentStatus`` (2026-01-01) normalised; they are v0's ``OrderStatus``
#: words in another spelling (``Pending`` .. ``PendingAvailability``); v0's
#: ``InvoiceUnconfirmed`` (shipped, invoice not confirmed) has no counterpart
#: in 2026-01-01. ``PENDING`` and ``PENDING_AVAILABILITY`` (payment not
#: authorised, pre-order) still reserve stock; ``UNFULFILLABLE`` orders will
#: never ship, the nearest is cancelled.
STATUSES: dict[str, OrderStatus] = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.CANCELLED,
}

#: Carrier codes of Amazon's ``CarrierCode`` list that ship from Korea, most
#: used first. ``Other`` (which needs a free-text carrier name) is left out.
CARRIERS: tuple[str, ...] = (
    "Korea Post",
    "DHL",
    "DHL eCommerce",
    "FedEx",
    "UPS",
    "USPS",
    "Japan Post",
    "Royal Mail",
    "Deutsche Post",
)


class AmazonOrdersClient:
    """:class:`connectors.base.OrdersConnector` for one Amazon seller account
    and marketplace, over the shared :class:`AmazonTransport` (its rate limits
    per (operation, seller, marketplace), retries and error mapping).

    ``clock`` gives the current UTC instant (the two-minute rule is checked
    against it before anything is sent). Close with :meth:`aclose`.
    """

    marketplace = Marketplace.AMAZON

    def __init__(
        self,
        transport: AmazonTransport,
        account: SellerAccount,
        refresh_token: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        self.transport = transport
        self.account = account
        self.session: SellerSession = transport.session(account, refresh_token)
        self._search = self.session.make_client(OrdersV20260101)
        self._v0 = self.session.make_client(OrdersV0)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    async def aclose(self) -> None:
        await self.session.aclose()

    async def __aenter__(self) -> AmazonOrdersClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def carriers(self) -> Sequence[str]:
        """Amazon carrier codes for packages from Korea, most used first."""
        return CARRIERS

    async def orders_updated(
        self, *, after: dt.datetime, before: dt.datetime
    ) -> AsyncIterator[Order]:
        """Every order updated in ``[after, before]`` with its items, 100 a page
        (``searchOrders``, following ``nextToken``), then every order bought
        in ``[after, before]`` and changed since ``before`` (``getOrders`` by
        creation and ``getOrderItems``), as it is now: its ``updated_at`` is
        later than ``before``.

        Raises ``ValueError`` before sending if ``before`` is later than two
        minutes ago or not after ``after`` (both must be UTC-aware). A page
        that cannot be read raises :class:`UnreadableAnswer` before any of its
        orders is yielded.
        """
        _check_window(after, before, self._clock())
        seen: set[str] = set()
        async for order in self._updated(after, before):
            seen.add(order.order_id)
            yield order
        async for raw in self._created(after, before):
            if str(raw.get("AmazonOrderId")) not in seen:
                yield await self._with_items(raw)

    async def _updated(
        self, after: dt.datetime, before: dt.datetime
    ) -> AsyncIterator[Order]:
        query: dict[str, Any] = {
            "lastUpdatedAfter": iso(after),
            "lastUpdatedBefore": iso(before),
            "marketplaceIds": [self.account.marketplace_id],
            "maxResultsPerPage": PAGE_SIZE,
            # The library joins some list parameters, not this one: send it
            # comma-delimited as the model's array parameters are.
            "includedData": ",".join(INCLUDED_DATA),
        }
        token: str | None = None
        while True:
            page_query = dict(query)
            if token:
                page_query["paginationToken"] = token
            response = await self.transport.call(
                "searchOrders", self.session, self._searcher(page_query)
            )
            orders, token = self._page(response)
            for order in orders:
                yield order
            if not token:
                return

    async def _created(
        self, after: dt.datetime, before: dt.datetime
    ) -> AsyncIterator[Mapping[str, Any]]:
        """The v0 orders bought in ``[after, before]``, without items."""
        query: dict[str, Any] = {
            "CreatedAfter": iso(after),
            "CreatedBefore": iso(before),
            "MarketplaceIds": [self.account.marketplace_id],
            "MaxResultsPerPage": PAGE_SIZE,
        }
        token: str | None = None
        while True:
            page_query = {"NextToken": token, **query} if token else query
            response = await self.transport.call(
                "getOrders", self.session, self._v0_call("get_orders", page_query)
            )
            raw_orders, token = self._v0_page(response, "getOrders", "Orders")
            for raw in raw_orders:
                yield raw
            if not token:
                return

    async def _with_items(self, raw: Mapping[str, Any]) -> Order:
        """The v0 order ``raw`` with its items (``getOrderItems``, every page)."""
        order_id = str(raw.get("AmazonOrderId") or "")
        items: list[Mapping[str, Any]] = []
        token: str | None = None
        while True:
            query = {"NextToken": token} if token else {}
            response = await self.transport.call(
                "getOrderItems",
                self.session,
                self._v0_call("get_order_items", query, order_id),
            )
            page, token = self._v0_page(response, "getOrderItems", "OrderItems")
            items.extend(page)
            if not token:
                break
        try:
            return order_from_v0(raw, items, STATUSES)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise UnreadableAnswer(
                f"unreadable getOrders order {order_id!r}: {exc}",
                marketplace="amazon",
                operation="getOrders",
                seller_id=self.account.seller_id,
            ) from exc

    def _v0_call(
        self, method: str, query: dict[str, Any], *args: str
    ) -> Callable[[], Awaitable[Any]]:
        # A fresh copy per attempt: the library pops keys from what it gets.
        return lambda: getattr(self._v0, method)(*args, **dict(query))

    def _v0_page(
        self, response: Any, operation: str, key: str
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        payload = getattr(response, "payload", None)
        entries = payload.get(key) if isinstance(payload, Mapping) else None
        if not isinstance(entries, list) or not all(
            isinstance(entry, Mapping) for entry in entries
        ):
            raise UnreadableAnswer(
                f"unreadable {operation} page: no list of {key}",
                marketplace="amazon",
                operation=operation,
                seller_id=self.account.seller_id,
                request_id=_request_id(response),
            )
        token = payload.get("NextToken") if isinstance(payload, Mapping) else None
        return entries, token if isinstance(token, str) and token else None

    def _searcher(self, query: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
        # Each attempt (retries included) sends a fresh copy: the library
        # pops keys from the dict it is given.
        return lambda: self._search.search_orders(**dict(query))

    def _page(self, response: Any) -> tuple[list[Order], str | None]:
        payload = getattr(response, "payload", None)
        try:
            if not isinstance(payload, Mapping):
                raise TypeError("the answer is not a JSON object")
            raw_orders = payload["orders"]
            if not isinstance(raw_orders, list):
                raise TypeError("'orders' is not a list")
            orders = [order_from_search(o) for o in raw_orders]
            # The library moves ``pagination`` out of the body onto the response.
            pagination = getattr(response, "pagination", None) or {}
            token = pagination.get("nextToken")
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise UnreadableAnswer(
                f"unreadable searchOrders page: {exc}",
                marketplace="amazon",
                operation="searchOrders",
                seller_id=self.account.seller_id,
                request_id=_request_id(response),
            ) from exc
        return orders, token if isinstance(token, str) and token else None

    async def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """``confirmShipment`` for one package (v0, 2 req/s burst 10).

        Raises ``NeedsHumanError`` for a carrier Amazon does not list or a
        refusal (order cancelled or already shipped: Amazon answers 400), and
        ``ValueError`` for an empty package or a blank tracking number,
        before sending.
        """
        if shipment.carrier_code not in CARRIERS:
            raise NeedsHumanError(
                f"Amazon does not accept the carrier code {shipment.carrier_code!r}",
                marketplace="amazon",
                operation="confirmShipment",
                seller_id=self.account.seller_id,
            )
        body = confirm_shipment_body(shipment, self.account.marketplace_id)
        response = await self.transport.call(
            "confirmShipment",
            self.session,
            lambda: self._v0.confirm_shipment(shipment.order_id, **body),
        )
        return ShipmentResult(shipment.order_id, request_id=_request_id(response))


def confirm_shipment_body(
    shipment: ShipmentRequest, marketplace_id: str
) -> dict[str, Any]:
    """The ``ConfirmShipmentRequest`` for one package.

    ``packageReferenceId`` must be a positive number unique within the order:
    the ship time in seconds is, for one package per tracking number.
    """
    if not shipment.lines or any(line.quantity < 1 for line in shipment.lines):
        raise ValueError("a package needs at least one line with a quantity")
    if not shipment.tracking_number.strip():
        raise ValueError("a tracking number is required")
    detail: dict[str, Any] = {
        "packageReferenceId": str(int(shipment.shipped_at.timestamp())),
        "carrierCode": shipment.carrier_code,
        "trackingNumber": shipment.tracking_number.strip(),
        "shipDate": iso(shipment.shipped_at),
        "orderItems": [
            {"orderItemId": line.line_id, "quantity": line.quantity}
            for line in shipment.lines
        ],
    }
    if shipment.shipping_method:
        detail["shippingMethod"] = shipment.shipping_method
    return {"marketplaceId": marketplace_id, "packageDetail": detail}


def order_from_search(raw: Mapping[str, Any]) -> Order:
    """A 2026-01-01 ``Order`` (with FULFILLMENT, PROCEEDS, CANCELLATION and
    RECIPIENT) as an :class:`Order`. Raises ``KeyError``/``TypeError``/
    ``ValueError`` when a required part is missing or malformed."""
    fulfillment = raw["fulfillment"]
    raw_status = str(fulfillment["fulfillmentStatus"])
    status = STATUSES[raw_status]
    lines = tuple(_line(item, status) for item in raw["orderItems"])
    grand_total = (raw.get("proceeds") or {}).get("grandTotal")
    address = (raw.get("recipient") or {}).get("deliveryAddress") or {}
    currency = (
        grand_total["currencyCode"]
        if grand_total
        else next((line.currency for line in lines if line.amount is not None), "USD")
    )
    ship_by = (fulfillment.get("shipByWindow") or {}).get("latestDateTime")
    return Order(
        order_id=str(raw["orderId"]),
        status=status,
        raw_status=raw_status,
        purchased_at=parse_instant(raw["createdTime"]),
        updated_at=parse_instant(raw["lastUpdatedTime"]),
        lines=lines,
        ship_by=parse_instant(ship_by) if ship_by else None,
        ship_to_country=address.get("countryCode") or None,
        ship_to_region=address.get("stateOrRegion") or None,
        currency=currency,
        total=Decimal(grand_total["amount"]) if grand_total else None,
        marketplace_id=str(raw["salesChannel"].get("marketplaceId") or ""),
    )


def _line(item: Mapping[str, Any], status: OrderStatus) -> OrderLine:
    quantity = int(item["quantityOrdered"])
    product = item["product"]
    shipped = int((item.get("fulfillment") or {}).get("quantityFulfilled") or 0)
    cancelled = quantity - shipped if status is OrderStatus.CANCELLED else 0
    if status is not OrderStatus.CANCELLED and (item.get("cancellation") or {}).get(
        "cancellationExecution"
    ):
        cancelled = quantity - shipped  # this line alone was cancelled
    unit = (product.get("price") or {}).get("unitPrice")
    return OrderLine(
        line_id=str(item["orderItemId"]),
        sku=product.get("sellerSku") or None,
        quantity=quantity,
        quantity_shipped=shipped,
        quantity_cancelled=cancelled,
        amount=Decimal(unit["amount"]) * quantity if unit else None,
        currency=unit["currencyCode"] if unit else "USD",
        title=str(product.get("title") or ""),
        item_id=product.get("asin") or None,
    )


def _check_window(after: dt.datetime, before: dt.datetime, now: dt.datetime) -> None:
    if after.tzinfo is None or before.tzinfo is None:
        raise ValueError("after and before must be timezone-aware (UTC)")
    if before <= after:
        raise ValueError("before must be later than after")
    if before > now - MIN_LAG:
        raise ValueError(
            "Amazon needs lastUpdatedBefore at least two minutes before the request"
        )


def iso(instant: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (whole seconds), as SP-API examples write it."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _request_id(response: Any) -> str | None:
    headers = getattr(response, "headers", None) or {}
    value = headers.get("x-amzn-RequestId")
    return str(value) if value else None
