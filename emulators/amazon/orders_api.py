"""The Orders API routes of the SP-API emulator, as the models in
``specs/amazon`` define them: ``searchOrders`` (2026-01-01), ``getOrders`` and
``getOrderItems`` (v0) and ``confirmShipment`` (v0).

Unknown query parameters and body fields are refused with ``InvalidInput``
(Amazon's models define every one), and so is a ``...Before`` instant less
than two minutes before the request. Buyer personal data is never served:
the application holds no restricted role, so addresses carry the city, state
and country only (``RECIPIENT``) and ``BUYER`` is empty.

Loopback controls for tests, demos and the benchmark (no auth, not SP-API):
``POST /_emulator/orders`` ``{"sellerId", "sku", "quantity", "marketplaceId"}``
places an order; ``POST /_emulator/orders/{orderId}/cancel`` cancels one;
``POST /_emulator/buyers`` ``{"seed", "rate", ...}`` starts a simulation;
``POST /_emulator/buyers/tick`` ``{"now"?}`` advances it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from aiohttp import web

from emulators.amazon.common import (
    SELLER_ID,
    STATE,
    ApiError,
    bad_request,
    json_body,
    marketplace_ids,
    operation,
)
from emulators.amazon.orders import (
    CARRIER_CODES,
    INCLUDED_DATA,
    MIN_LAG,
    PACKAGE_FIELDS,
    SEARCH_PARAMS,
    V0_ORDERS_PARAMS,
    V0_STATUS,
    AmazonOrder,
    AmazonOrderBook,
    iso,
)

SEARCH_PATH = "/orders/2026-01-01/orders"
V0_PATH = "/orders/v0/orders"
PAGE_MAX = 100
TRACKING = re.compile(r"^[A-Za-z0-9-]{6,40}$")


def setup(app: web.Application) -> None:
    app.router.add_get(SEARCH_PATH, search_orders)
    app.router.add_get(V0_PATH, get_orders)
    app.router.add_get(V0_PATH + "/{orderId}/orderItems", get_order_items)
    app.router.add_post(V0_PATH + "/{orderId}/shipmentConfirmation", confirm_shipment)
    app.router.add_post("/_emulator/orders", control_place)
    app.router.add_post("/_emulator/orders/{orderId}/cancel", control_cancel)
    app.router.add_post("/_emulator/buyers", control_buyers)
    app.router.add_post("/_emulator/buyers/tick", control_tick)


def _book(request: web.Request) -> AmazonOrderBook:
    return request.app[STATE].orders


def _log(request: web.Request, operation: str, body: Any = None) -> None:
    _book(request).requests.append((operation, list(request.query.items()), body))


def _instant(request: web.Request, name: str) -> dt.datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Invalid date-time for '{name}': {raw}.") from None
    if value.tzinfo is None:
        raise bad_request(f"'{name}' needs a time zone (ISO 8601).")
    return value.astimezone(dt.UTC)


def _only(request: web.Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query) - allowed)
    if unknown:
        raise bad_request(f"Unknown parameter(s): {', '.join(unknown)}.")


def _csv(request: web.Request, name: str) -> list[str]:
    return [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]


def _window(
    request: web.Request, book: AmazonOrderBook, names: tuple[str, str, str, str]
) -> tuple[dt.datetime, dt.datetime, bool]:
    """(after, before, by creation) from exactly one kind of window."""
    created_after, created_before, updated_after, updated_before = (
        _instant(request, n) for n in names
    )
    if (created_after is None) == (updated_after is None):
        raise bad_request(f"Exactly one of '{names[0]}' and '{names[2]}' is required.")
    if created_after is not None and (updated_after or updated_before):
        raise bad_request("Created and last-updated filters cannot be combined.")
    if updated_after is not None and created_before is not None:
        raise bad_request("Created and last-updated filters cannot be combined.")
    now = book.wall()
    after = created_after or updated_after or now
    before = created_before or updated_before or now - MIN_LAG
    if before > now - MIN_LAG:
        raise bad_request(
            "The 'Before' date must be at least two minutes before the request."
        )
    if after > before:
        raise bad_request("The 'After' date must not be later than the 'Before' date.")
    return after, before, created_after is not None


def _page_size(request: web.Request, name: str) -> int:
    raw = request.query.get(name, str(PAGE_MAX))
    if not raw.isdigit() or not 1 <= int(raw) <= PAGE_MAX:
        raise bad_request(f"'{name}' must be between 1 and {PAGE_MAX}.")
    return int(raw)


def _paginate(
    request: web.Request, token_name: str, ids_of: Any, size: int
) -> tuple[list[str], str | None]:
    """The ids of this page and the next token. Pages are cut from the result
    as it was at the first page, so orders updated meanwhile are not skipped."""
    book = _book(request)
    seller_id = request[SELLER_ID]
    query = sorted((k, v) for k, v in request.query.items() if k != token_name)
    fingerprint = hashlib.sha256(repr(query).encode()).hexdigest()
    token = request.query.get(token_name)
    if token:
        try:
            ids = book.page(token, seller_id, fingerprint)
        except LookupError:
            raise bad_request(f"Invalid '{token_name}'.") from None
    else:
        ids = ids_of()
    if len(ids) <= size:
        return ids, None
    return ids[:size], book.open_pages(seller_id, fingerprint, ids[size:])


@operation("searchOrders", seller_in_path=False)
async def search_orders(request: web.Request) -> web.Response:
    _log(request, "searchOrders")
    _only(request, SEARCH_PARAMS)
    book = _book(request)
    markets = marketplace_ids(request)
    included = set(_csv(request, "includedData"))
    unknown = included - INCLUDED_DATA
    if unknown:
        raise bad_request(
            f"Invalid includedData value(s): {', '.join(sorted(unknown))}."
        )
    after, before, by_creation = _window(
        request,
        book,
        ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"),
    )
    statuses = set(_csv(request, "fulfillmentStatuses"))
    if statuses - set(V0_STATUS):
        raise bad_request(
            f"Invalid fulfillmentStatuses value(s): "
            f"{', '.join(sorted(statuses - set(V0_STATUS)))}."
        )
    fulfilled_by = set(_csv(request, "fulfilledBy"))
    if fulfilled_by - {"MERCHANT", "AMAZON"}:
        raise bad_request("Invalid fulfilledBy value.")
    size = _page_size(request, "maxResultsPerPage")
    ids, token = _paginate(
        request,
        "paginationToken",
        lambda: [
            o.order_id
            for o in book.updated_between(
                request[SELLER_ID], markets, after, before, by_creation=by_creation
            )
            # Every order here is fulfilled by the merchant.
            if (not statuses or o.status in statuses)
            and (not fulfilled_by or "MERCHANT" in fulfilled_by)
        ],
        size,
    )
    body: dict[str, Any] = {
        "orders": [search_order(book.orders[i], included) for i in ids],
        "createdBefore" if by_creation else "lastUpdatedBefore": iso(before),
    }
    if token:
        body["pagination"] = {"nextToken": token}
    book.pages_served += 1
    return web.json_response(body)


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currencyCode": currency}


def search_order(order: AmazonOrder, included: set[str]) -> dict[str, Any]:
    """A 2026-01-01 ``Order`` with the requested data sets."""
    currency = order.items[0].currency if order.items else "USD"
    body: dict[str, Any] = {
        "orderId": order.order_id,
        "createdTime": iso(order.created),
        "lastUpdatedTime": iso(order.updated),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": order.marketplace_id,
            "marketplaceName": "Amazon.com",
        },
        "orderItems": [],
    }
    for item in order.items:
        entry: dict[str, Any] = {
            "orderItemId": item.order_item_id,
            "quantityOrdered": item.quantity,
            "product": {
                "asin": item.asin,
                "title": item.title,
                "sellerSku": item.sku,
                "price": {"unitPrice": _money(item.unit_price, item.currency)},
            },
        }
        if "FULFILLMENT" in included:
            unfulfilled = (
                0 if order.status == "CANCELLED" else item.quantity - item.shipped
            )
            entry["fulfillment"] = {
                "quantityFulfilled": item.shipped,
                "quantityUnfulfilled": unfulfilled,
            }
        if "PROCEEDS" in included:
            entry["proceeds"] = {
                "proceedsTotal": _money(item.unit_price * item.quantity, item.currency)
            }
        if "CANCELLATION" in included and order.cancelled_by:
            entry["cancellation"] = {
                "cancellationExecution": {
                    "cancelledBy": order.cancelled_by,
                    "cancelReason": "Buyer cancelled",
                }
            }
        body["orderItems"].append(entry)
    if "BUYER" in included:
        body["buyer"] = {}
    if "RECIPIENT" in included:
        country, region, city = order.destination
        body["recipient"] = {
            "deliveryAddress": {
                "city": city,
                "stateOrRegion": region,
                "countryCode": country,
                "addressType": "RESIDENTIAL",
            }
        }
    if "PROCEEDS" in included:
        body["proceeds"] = {"grandTotal": _money(order.total, currency)}
    if "FULFILLMENT" in included:
        body["fulfillment"] = {
            "fulfillmentStatus": order.status,
            "fulfilledBy": "MERCHANT",
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": {
                "earliestDateTime": iso(order.created),
                "latestDateTime": iso(order.ship_by),
            },
        }
    if "PACKAGES" in included:
        body["packages"] = [
            {
                "packageReferenceId": p["packageReferenceId"],
                "carrier": p["carrierCode"],
                "trackingNumber": p["trackingNumber"],
                "shipTime": p["shipDate"],
                "packageItems": [
                    {"orderItemId": i["orderItemId"], "quantity": i["quantity"]}
                    for i in p["orderItems"]
                ],
            }
            for p in order.packages
        ]
    return body


@operation("getOrders", seller_in_path=False)
async def get_orders(request: web.Request) -> web.Response:
    _log(request, "getOrders")
    _only(request, V0_ORDERS_PARAMS)
    book = _book(request)
    markets = _csv(request, "MarketplaceIds")
    if not markets:
        raise bad_request("Missing required 'MarketplaceIds' parameter.")
    after, before, by_creation = _window(
        request,
        book,
        ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"),
    )
    wanted = set(_csv(request, "OrderStatuses"))
    size = _page_size(request, "MaxResultsPerPage")
    ids, token = _paginate(
        request,
        "NextToken",
        lambda: [
            o.order_id
            for o in book.updated_between(
                request[SELLER_ID], markets, after, before, by_creation=by_creation
            )
            if not wanted or V0_STATUS[o.status] in wanted
        ],
        size,
    )
    payload: dict[str, Any] = {
        "Orders": [v0_order(book.orders[i]) for i in ids],
        "CreatedBefore" if by_creation else "LastUpdatedBefore": iso(before),
    }
    if token:
        payload["NextToken"] = token
    return web.json_response({"payload": payload})


def v0_order(order: AmazonOrder) -> dict[str, Any]:
    """A v0 ``Order`` as an application without a restricted data token sees it."""
    status = V0_STATUS[order.status]
    shipped = sum(i.shipped for i in order.items)
    unshipped = (
        0 if status == "Canceled" else sum(i.quantity for i in order.items) - shipped
    )
    currency = order.items[0].currency if order.items else "USD"
    body: dict[str, Any] = {
        "AmazonOrderId": order.order_id,
        "PurchaseDate": iso(order.created),
        "LastUpdateDate": iso(order.updated),
        "OrderStatus": status,
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.com",
        "ShipServiceLevel": "Std US D2D Dom",
        "OrderTotal": {"CurrencyCode": currency, "Amount": f"{order.total:.2f}"},
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": unshipped,
        "MarketplaceId": order.marketplace_id,
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso(order.created),
        "LatestShipDate": iso(order.ship_by),
        "IsBusinessOrder": False,
        "IsPrime": False,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
    }
    if status in ("Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed"):
        country, region, city = order.destination
        body["ShippingAddress"] = {
            "City": city,
            "StateOrRegion": region,
            "CountryCode": country,
        }
    return body


@operation("getOrderItems", seller_in_path=False)
async def get_order_items(request: web.Request) -> web.Response:
    _log(request, "getOrderItems")
    _only(request, frozenset({"NextToken"}))
    order = _own_order(request)
    # The model: no pricing while the payment is not authorised.
    priced = order.status not in ("PENDING", "PENDING_AVAILABILITY")
    items = [
        {
            "ASIN": item.asin,
            "SellerSKU": item.sku,
            "OrderItemId": item.order_item_id,
            "Title": item.title,
            "QuantityOrdered": item.quantity,
            "QuantityShipped": item.shipped,
        }
        | (
            {
                "ItemPrice": {
                    "CurrencyCode": item.currency,
                    "Amount": f"{item.unit_price * item.quantity:.2f}",
                }
            }
            if priced
            else {}
        )
        for item in order.items
    ]
    return web.json_response(
        {"payload": {"AmazonOrderId": order.order_id, "OrderItems": items}}
    )


def _own_order(request: web.Request) -> AmazonOrder:
    order = _book(request).orders.get(request.match_info["orderId"])
    if order is None or order.seller_id != request[SELLER_ID]:
        raise ApiError(404, "NotFound", "The requested order was not found.")
    return order


@operation("confirmShipment", seller_in_path=False)
async def confirm_shipment(request: web.Request) -> web.Response:
    body = await json_body(request)
    _log(request, "confirmShipment", body)
    order = _own_order(request)
    _check_confirmation(body, order)
    detail = body["packageDetail"]
    for line in detail["orderItems"]:
        item = next(i for i in order.items if i.order_item_id == line["orderItemId"])
        item.shipped += line["quantity"]
    order.packages.append(detail)
    done = all(i.shipped >= i.quantity for i in order.items)
    order.status = "SHIPPED" if done else "PARTIALLY_SHIPPED"
    order.updated = _book(request).wall()
    return web.Response(status=204)


def _check_confirmation(body: dict[str, Any], order: AmazonOrder) -> None:
    unknown = set(body) - {"marketplaceId", "packageDetail", "codCollectionMethod"}
    detail = body.get("packageDetail")
    if unknown or not isinstance(detail, dict) or set(detail) - PACKAGE_FIELDS:
        raise bad_request("The request body does not match ConfirmShipmentRequest.")
    if body.get("marketplaceId") != order.marketplace_id:
        raise bad_request("Invalid marketplaceId for this order.")
    if order.status == "CANCELLED":
        raise bad_request("The order is cancelled and cannot be shipped.")
    if order.status == "SHIPPED":
        raise bad_request("The order has already been shipped.")
    if order.status in ("PENDING", "PENDING_AVAILABILITY"):
        raise bad_request("The order is pending and cannot be shipped yet.")
    reference = str(detail.get("packageReferenceId", ""))
    if not reference.isdigit() or int(reference) < 1:
        raise bad_request("packageReferenceId must be a positive number.")
    if any(p["packageReferenceId"] == reference for p in order.packages):
        raise bad_request(f"Package {reference} was already confirmed for this order.")
    carrier = detail.get("carrierCode")
    if carrier not in CARRIER_CODES or (
        carrier == "Other" and not detail.get("carrierName")
    ):
        raise bad_request(f"Invalid carrierCode: {carrier}.")
    if not isinstance(detail.get("trackingNumber"), str) or not TRACKING.match(
        detail["trackingNumber"]
    ):
        raise bad_request("Invalid trackingNumber.")
    try:
        shipped = dt.datetime.fromisoformat(
            str(detail.get("shipDate")).replace("Z", "+00:00")
        )
    except ValueError:
        raise bad_request("shipDate must be an ISO 8601 date-time.") from None
    if shipped.tzinfo is None or shipped < order.created - dt.timedelta(minutes=1):
        raise bad_request("shipDate must be a date-time after the purchase.")
    _check_lines(detail.get("orderItems"), order)


def _check_lines(lines: Any, order: AmazonOrder) -> None:
    if not isinstance(lines, list) or not lines:
        raise bad_request("orderItems must list at least one item.")
    seen: set[str] = set()
    for line in lines:
        if not isinstance(line, dict) or set(line) - {
            "orderItemId",
            "quantity",
            "transparencyCodes",
        }:
            raise bad_request("Invalid orderItems entry.")
        item_id, quantity = line.get("orderItemId"), line.get("quantity")
        item = next((i for i in order.items if i.order_item_id == item_id), None)
        if item is None or item_id in seen:
            raise bad_request(f"Invalid orderItemId: {item_id}.")
        seen.add(str(item_id))
        if (
            not isinstance(quantity, int)
            or not 1 <= quantity <= item.quantity - item.shipped
        ):
            raise bad_request(f"Invalid quantity for orderItemId {item_id}.")


# --- loopback controls ------------------------------------------------------------


async def _control_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise web.HTTPBadRequest(text="not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="not a JSON object")
    return body


async def control_place(request: web.Request) -> web.Response:
    body = await _control_body(request)
    try:
        order = _book(request).place_order(
            str(body["sellerId"]),
            str(body["sku"]),
            int(body.get("quantity", 1)),
            marketplace_id=str(body.get("marketplaceId", "ATVPDKIKX0DER")),
        )
    except (KeyError, ValueError) as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response({"orderId": order.order_id}, status=201)


async def control_cancel(request: web.Request) -> web.Response:
    try:
        _book(request).cancel(request.match_info["orderId"])
    except (KeyError, ValueError) as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response({"orderId": request.match_info["orderId"]})


async def control_buyers(request: web.Request) -> web.Response:
    body = await _control_body(request)
    try:
        _book(request).simulate_buyers(**body)
    except TypeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"seed": _book(request).simulation.seed})


async def control_tick(request: web.Request) -> web.Response:
    body = await _control_body(request)
    now = body.get("now")
    at = dt.datetime.fromisoformat(now.replace("Z", "+00:00")) if now else None
    placed = _book(request).tick(at)
    return web.json_response({"placed": [o.order_id for o in placed]})
