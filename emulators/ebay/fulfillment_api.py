"""The Sell Fulfillment API routes of the eBay emulator, as
``sell_fulfillment_v1_oas3.json`` defines them: ``getOrders`` (``filter``,
``limit`` up to 200, ``offset``, ``next``/``total``) and
``createShippingFulfillment`` (201 with a ``Location`` header), with the
model's error ids (30700..31100 for getOrders, 32100..32600 for fulfillments).

Orders carry made-up buyer contact data, as eBay's do, so tests can prove the
connector drops it. Auth, rate limits and daily quotas come from
:func:`emulators.ebay.common.rest_auth_middleware` (API ``fulfillment``).

Loopback controls (no auth): ``POST /_emulator/ebay/orders``
``{"username", "sku", "quantity", "marketplaceId"}``,
``POST /_emulator/ebay/orders/{orderId}/cancel``, ``.../refund``,
``POST /_emulator/ebay/buyers`` ``{"seed", "rate", ...}`` and
``POST /_emulator/ebay/buyers/tick`` ``{"now"?}``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from emulators.ebay.common import SELLER, STATE, error, error_response
from emulators.ebay.fulfillment import EbayOrder, EbayOrderBook

BASE = "/sell/fulfillment/v1"
DOMAIN = "API_FULFILLMENT"
MAX_LIMIT = 200
FILTER = re.compile(r"^(?P<name>[a-z]+):(?P<value>.+)$")
TRACKING = re.compile(r"^[A-Za-z0-9]{6,40}$")
#: eBay shipping carrier codes this emulator accepts (a part of eBay's list).
CARRIERS = frozenset(
    {
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
    }
)
FULFILLMENT_FIELDS = frozenset(
    {"lineItems", "shippedDate", "shippingCarrierCode", "trackingNumber"}
)


def setup(app: web.Application) -> None:
    app.router.add_get(BASE + "/order", get_orders)
    app.router.add_post(
        BASE + "/order/{orderId}/shipping_fulfillment", create_shipping_fulfillment
    )
    app.router.add_post("/_emulator/ebay/orders", control_place)
    app.router.add_post("/_emulator/ebay/orders/{orderId}/{action}", control_order)
    app.router.add_post("/_emulator/ebay/buyers", control_buyers)
    app.router.add_post("/_emulator/ebay/buyers/tick", control_tick)


def _book(request: web.Request) -> EbayOrderBook:
    return request.app[STATE].orders


def _bad(error_id: int, message: str, **parameters: str) -> web.Response:
    return error_response(
        400, error(error_id, message, domain=DOMAIN, parameters=parameters or None)
    )


def iso(instant: dt.datetime) -> str:
    text = instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{instant.microsecond // 1000:03d}Z"


def _instant(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(dt.UTC) if value.tzinfo else None


def _range(value: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | str:
    """``[from..to]`` (or ``[from..]``) as instants, or an error id and message."""
    if not (value.startswith("[") and value.endswith("]") and ".." in value):
        return "30800"
    start_text, _, end_text = value[1:-1].partition("..")
    if not start_text:
        return "30820"
    start, end = _instant(start_text), _instant(end_text) if end_text else now
    if start is None or end is None:
        return "30810"
    if start > end:
        return "30840"
    if start > now or end > now:
        return "30850"
    return start, end


async def get_orders(request: web.Request) -> web.Response:
    book, seller = _book(request), request[SELLER]
    book.requests.append(("getOrders", dict(request.query), None))
    now = book.now()
    created: tuple[dt.datetime, dt.datetime] | None = None
    modified: tuple[dt.datetime, dt.datetime] | None = None
    statuses: set[str] | None = None
    raw_filter = request.query.get("filter", "")
    for criterion in (c for c in raw_filter.split(",") if c):
        match = FILTER.match(criterion)
        name = match["name"] if match else criterion
        if match is None or name not in (
            "creationdate",
            "lastmodifieddate",
            "orderfulfillmentstatus",
        ):
            return _bad(30700, f"Invalid filter name: {name}", fieldname=name)
        if name == "orderfulfillmentstatus":
            statuses = set(match["value"].strip("{}").split("|"))
            if statuses not in (
                {"NOT_STARTED", "IN_PROGRESS"},
                {"FULFILLED", "IN_PROGRESS"},
            ):
                return _bad(
                    30800, f"Invalid filter value {match['value']} for filter {name}"
                )
            continue
        window = _range(match["value"], now)
        if isinstance(window, str):
            return _bad(int(window), f"Invalid filter value for {name}", fieldname=name)
        if name == "creationdate":
            created = window
        else:
            modified = window
    limit_text = request.query.get("limit", "50")
    offset_text = request.query.get("offset", "0")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        return _bad(31100, f"Invalid limit: {limit_text}", limitvalue=limit_text)
    if not offset_text.isdigit():
        return _bad(31000, f"Invalid offset: {offset_text}", offsetvalue=offset_text)
    limit, offset = int(limit_text), int(offset_text)
    if created is None and modified is None:
        created = (now - dt.timedelta(days=90), now)
    found = sorted(
        (
            o
            for o in book.orders.values()
            if o.username == seller.username
            and (created is None or created[0] <= o.created <= created[1])
            # creationdate wins when both are given (the model says so).
            and (
                created is not None
                or modified is None
                or modified[0] <= o.modified <= modified[1]
            )
            and (statuses is None or o.fulfillment_status in statuses)
        ),
        key=lambda o: (o.created, o.order_id),
    )
    page = found[offset : offset + limit]
    origin = f"{request.scheme}://{request.host}{BASE}/order"

    def link(at: int) -> str:
        query = {"limit": str(limit), "offset": str(at)}
        if raw_filter:
            query["filter"] = raw_filter
        return f"{origin}?{urlencode(query)}"

    body: dict[str, Any] = {
        "href": link(offset),
        "total": len(found),
        "limit": limit,
        "offset": offset,
        "orders": [order_json(o, origin) for o in page],
        "warnings": [],
    }
    if book.malformed_pages > 0 and body["orders"]:
        book.malformed_pages -= 1
        del body["orders"][0]["lineItems"]
    if offset + limit < len(found):
        body["next"] = link(offset + limit)
    if offset > 0:
        body["prev"] = link(max(0, offset - limit))
    return web.json_response(body)


def _amount(value: Any, currency: str) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


def order_json(order: EbayOrder, origin: str) -> dict[str, Any]:
    """An ``Order`` as getOrders returns it (buyer contact data made up)."""
    currency = order.lines[0].currency if order.lines else "USD"
    country, region, city, postal = order.destination
    address = {
        "addressLine1": "1 Example Street",
        "city": city,
        "postalCode": postal,
        "countryCode": country,
    }
    if region:
        address["stateOrProvince"] = region
    contact = {
        "fullName": f"Buyer {order.buyer}",
        "contactAddress": address,
        "primaryPhone": {"phoneNumber": "5555550100"},
        "email": f"{order.buyer}@members.ebay.example",
    }
    ship_by = order.created + dt.timedelta(days=3)
    return {
        "orderId": order.order_id,
        "creationDate": iso(order.created),
        "lastModifiedDate": iso(order.modified),
        "orderFulfillmentStatus": order.fulfillment_status,
        "orderPaymentStatus": order.payment_status,
        "sellerId": order.username,
        "buyer": {"username": order.buyer, "buyerRegistrationAddress": contact},
        "pricingSummary": {
            "priceSubtotal": _amount(order.total, currency),
            "deliveryCost": _amount(0, currency),
            "total": _amount(order.total, currency),
        },
        "cancelStatus": {
            "cancelState": order.cancel_state,
            "cancelRequests": [],
            **({"cancelledDate": iso(order.cancelled)} if order.cancelled else {}),
        },
        "paymentSummary": {
            "totalDueSeller": _amount(order.total, currency),
            "refunds": [
                {
                    "refundId": r["refundId"],
                    "refundStatus": r["refundStatus"],
                    "amount": _amount(r["amount"], currency),
                    "refundDate": iso(r["refundDate"]),
                }
                for r in order.refunds
            ],
            "payments": [
                {
                    "paymentMethod": "EBAY",
                    "paymentStatus": "PAID",
                    "amount": _amount(order.total, currency),
                    "paymentDate": iso(order.created),
                }
            ],
        },
        "fulfillmentStartInstructions": [
            {
                "fulfillmentInstructionsType": "SHIP_TO",
                "ebaySupportedFulfillment": False,
                "minEstimatedDeliveryDate": iso(ship_by + dt.timedelta(days=5)),
                "maxEstimatedDeliveryDate": iso(ship_by + dt.timedelta(days=12)),
                "shippingStep": {
                    "shippingCarrierCode": "KoreaPost",
                    "shippingServiceCode": "OtherInternational",
                    "shipTo": contact,
                },
            }
        ],
        "fulfillmentHrefs": [
            f"{origin}/{order.order_id}/shipping_fulfillment/{fid}"
            for fid in order.fulfillments
        ],
        "lineItems": [_line_json(order, line, ship_by) for line in order.lines],
        "salesRecordReference": order.order_id.split("-")[1],
    }


def _line_json(order: EbayOrder, line: Any, ship_by: dt.datetime) -> dict[str, Any]:
    status = (
        "FULFILLED"
        if line.shipped >= line.quantity
        else "IN_PROGRESS"
        if line.shipped
        else "NOT_STARTED"
    )
    cost = _amount(line.unit_price * line.quantity, line.currency)
    refunds = [
        {
            "amount": _amount(line.refunded, line.currency),
            "refundDate": iso(order.modified),
            "refundId": r["refundId"],
        }
        for r in order.refunds[:1]
        if line.refunded
    ]
    return {
        "lineItemId": line.line_item_id,
        "legacyItemId": line.legacy_item_id,
        "sku": line.sku,
        "title": line.title,
        "lineItemCost": cost,
        "quantity": line.quantity,
        "soldFormat": "FIXED_PRICE",
        "listingMarketplaceId": order.marketplace_id,
        "purchaseMarketplaceId": order.marketplace_id,
        "lineItemFulfillmentStatus": status,
        "total": cost,
        "deliveryCost": {"shippingCost": _amount(0, line.currency)},
        "appliedPromotions": [],
        "taxes": [],
        "refunds": refunds,
        "lineItemFulfillmentInstructions": {
            "shipByDate": iso(ship_by),
            "minEstimatedDeliveryDate": iso(ship_by + dt.timedelta(days=5)),
            "maxEstimatedDeliveryDate": iso(ship_by + dt.timedelta(days=12)),
            "guaranteedDelivery": False,
        },
    }


async def create_shipping_fulfillment(request: web.Request) -> web.Response:
    book, seller = _book(request), request[SELLER]
    order_id = request.match_info["orderId"]
    # The auth middleware has read and checked the JSON body already.
    body = await request.json() if request.body_exists else None
    book.requests.append(("createShippingFulfillment", dict(request.query), body))
    order = book.orders.get(order_id)
    if order is None or order.username != seller.username:
        return _bad(32100, f"Invalid Order Id: {order_id}", orderId=order_id)
    if not isinstance(body, dict) or set(body) - FULFILLMENT_FIELDS:
        return _bad(32600, "Invalid input data")
    if order.cancel_state == "CANCELED" or order.payment_status == "FULLY_REFUNDED":
        return _bad(32600, "Invalid input data: the order is cancelled or refunded")
    refused = _check_lines(body.get("lineItems"), order)
    if refused is not None:
        return refused
    carrier, tracking = body.get("shippingCarrierCode"), body.get("trackingNumber")
    if (
        carrier not in CARRIERS
        or not isinstance(tracking, str)
        or not TRACKING.match(tracking)
    ):
        return _bad(32300, "Invalid shipment tracking number or carrier")
    shipped = _instant(str(body.get("shippedDate") or iso(book.now())))
    if (
        shipped is None
        or shipped < order.created - dt.timedelta(minutes=1)
        or shipped > book.now() + dt.timedelta(days=1)
    ):
        return _bad(32500, "Invalid shipped date")
    for entry in body["lineItems"]:
        line = next(x for x in order.lines if x.line_item_id == entry["lineItemId"])
        line.shipped += entry["quantity"]
    fulfillment_id = tracking
    order.fulfillments[fulfillment_id] = dict(body)
    order.modified = book.now()
    location = (
        f"{request.scheme}://{request.host}{BASE}/order/{order_id}"
        f"/shipping_fulfillment/{fulfillment_id}"
    )
    return web.json_response({}, status=201, headers={"Location": location})


def _check_lines(lines: Any, order: EbayOrder) -> web.Response | None:
    if not isinstance(lines, list) or not lines:
        return _bad(32600, "Invalid input data: lineItems")
    seen: set[str] = set()
    for entry in lines:
        if not isinstance(entry, dict) or set(entry) - {"lineItemId", "quantity"}:
            return _bad(32600, "Invalid input data: lineItems")
        line_id = str(entry.get("lineItemId"))
        line = next((x for x in order.lines if x.line_item_id == line_id), None)
        if line is None:
            return _bad(32200, f"Invalid line item id: {line_id}", lineItemId=line_id)
        if line_id in seen:
            return _bad(32210, "Duplicate line item in the request")
        seen.add(line_id)
        quantity = entry.get("quantity")
        if (
            not isinstance(quantity, int)
            or not 1 <= quantity <= line.quantity - line.shipped
        ):
            return _bad(32600, f"Invalid input data: quantity of {line_id}")
    return None


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
            str(body["username"]),
            str(body["sku"]),
            int(body.get("quantity", 1)),
            marketplace_id=str(body.get("marketplaceId", "EBAY_US")),
        )
    except (KeyError, ValueError) as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response({"orderId": order.order_id}, status=201)


async def control_order(request: web.Request) -> web.Response:
    book, order_id = _book(request), request.match_info["orderId"]
    action = {"cancel": book.cancel, "refund": book.refund}.get(
        request.match_info["action"]
    )
    if action is None:
        raise web.HTTPNotFound()
    try:
        action(order_id)
    except (KeyError, ValueError) as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response({"orderId": order_id})


async def control_buyers(request: web.Request) -> web.Response:
    body = await _control_body(request)
    try:
        _book(request).simulate_buyers(**body)
    except TypeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"seed": _book(request).simulation.seed})


async def control_tick(request: web.Request) -> web.Response:
    body = await _control_body(request)
    at = _instant(body["now"]) if body.get("now") else None
    placed = _book(request).tick(at)
    return web.json_response({"placed": [o.order_id for o in placed]})
