"""``/api/v1/orders``: a company's own orders (staff: all, with filters), one
order, and shipment confirmation. Instants are ISO 8601 UTC (``...Z``); the
ship-by date is repeated in Korean time (``ship_by_kst``). Another company's
order answers 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from export_hub.accounts.models import Role
from export_hub.api.openapi import API_PREFIX, add_api_route, add_schema, ref
from export_hub.errors import FieldErrors, Text, ValidationFailed
from export_hub.orders import queries
from export_hub.orders.models import Order, Shipment
from export_hub.orders.notify import seoul_label
from export_hub.orders.runtime import services
from export_hub.orders.shipments import ShipmentInput, confirm_shipment, order_for
from export_hub.validation import clean_instant, is_id, parse_id, refuse_unknown
from export_hub.web.auth import require_user
from export_hub.web.keys import SESSIONS, SETTINGS

READERS = (Role.ADMIN, Role.STAFF, Role.COMPANY)
STR = {"type": "string"}
INT = {"type": "integer"}
TIME = {"type": "string", "format": "date-time", "nullable": True}
MONEY = {"type": "string", "nullable": True, "description": "decimal"}
SCHEMAS: dict[str, Any] = {
    "OrderLine": {
        "type": "object",
        "properties": {
            "line_id": STR, "sku": {"type": "string", "nullable": True},
            "product_id": {"type": "integer", "nullable": True},
            "managed": {"type": "boolean"}, "quantity": INT, "shipped": INT,
            "cancelled": INT, "open": INT, "amount": MONEY, "currency": STR,
            "title": STR, "stock_reserved": INT, "stock_consumed": INT,
        },
    },
    "Order": {
        "type": "object",
        "properties": {
            "id": INT, "company_id": INT, "seller_account_id": INT,
            "marketplace": STR, "marketplace_id": STR, "marketplace_order_id": STR,
            "status": STR, "raw_status": STR, "purchased_at": TIME,
            "updated_at": TIME, "ship_by": TIME, "ship_by_kst": STR,
            "urgency": {"type": "string", "enum": ["", "late", "at_risk"]},
            "ship_to_country": {"type": "string", "nullable": True},
            "ship_to_region": {"type": "string", "nullable": True},
            "currency": STR, "total": MONEY, "refunded": MONEY,
            "marketplace_url": STR,
            "lines": {"type": "array", "items": ref("OrderLine")},
        },
    },
    "ShipmentInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["carrier", "tracking_number"],
        "properties": {
            "carrier": {"type": "string", "minLength": 1, "maxLength": 60,
                        "description": "a code the marketplace accepts"},
            "tracking_number": {"type": "string", "minLength": 1, "maxLength": 60},
            "shipped_at": {"type": "string", "format": "date-time",
                           "description": "default: now (ISO 8601 with offset)"},
            "shipping_method": {"type": "string", "maxLength": 60},
            "lines": {
                "type": "array",
                "maxItems": 100,
                "description": "default: every open unit",
                "items": {"type": "object", "required": ["line_id", "quantity"],
                          "additionalProperties": False,
                          "properties": {
                              "line_id": {"type": "string", "maxLength": 60},
                              "quantity": {"type": "integer", "minimum": 1,
                                           "maximum": 10000}}},
            },
        },
    },
    "Shipment": {
        "type": "object",
        "properties": {
            "id": INT, "order_id": INT, "carrier": STR, "tracking_number": STR,
            "shipped_at": TIME, "status": STR,
            "marketplace_shipment_id": {"type": "string", "nullable": True},
            "lines": {"type": "array", "items": {"type": "object"}},
        },
    },
}  # fmt: skip


def _utc(instant: dt.datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def order_json(order: Order, now: dt.datetime, at_risk_hours: int) -> dict[str, Any]:
    """An order as the API shows it (no buyer personal data exists to show)."""
    return {
        "id": order.id,
        "company_id": order.company_id,
        "seller_account_id": order.seller_account_id,
        "marketplace": order.marketplace,
        "marketplace_id": order.marketplace_id,
        "marketplace_order_id": order.marketplace_order_id,
        "status": order.status,
        "raw_status": order.raw_status,
        "purchased_at": _utc(order.purchased_at),
        "updated_at": _utc(order.marketplace_updated_at),
        "ship_by": _utc(order.ship_by),
        "ship_by_kst": seoul_label(order.ship_by),
        "urgency": queries.urgency(order, now, at_risk_hours),
        "ship_to_country": order.ship_to_country,
        "ship_to_region": order.ship_to_region,
        "currency": order.currency,
        "total": _money(order.total),
        "refunded": _money(order.refunded),
        "marketplace_url": queries.marketplace_order_url(order),
        "lines": [
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "product_id": line.product_id,
                "managed": line.managed,
                "quantity": line.quantity,
                "shipped": line.shipped,
                "cancelled": line.cancelled,
                "open": line.open_quantity,
                "amount": _money(line.amount),
                "currency": line.currency,
                "title": line.title,
                "stock_reserved": line.stock_reserved,
                "stock_consumed": line.stock_consumed,
            }
            for line in order.lines
        ],
    }


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.id,
        "order_id": shipment.order_id,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "shipped_at": _utc(shipment.shipped_at),
        "status": shipment.status,
        "marketplace_shipment_id": shipment.marketplace_shipment_id,
        "lines": shipment.lines,
    }


def _instant(raw: object, name: str, errors: FieldErrors) -> dt.datetime | None:
    """An optional ISO 8601 instant (the shared parser: offset required,
    2000..2100)."""
    if raw is None or raw == "":
        return None
    return clean_instant(raw, errors, name)


async def list_orders_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    q = request.query
    errors = FieldErrors()
    start = _instant(q.get("from"), "from", errors)
    end = _instant(q.get("to"), "to", errors)
    company_id = None
    if q.get("company_id"):
        if not is_id(q["company_id"]):
            errors.add("company_id", "기업 번호입니다.", "A company id.")
        else:
            company_id = int(q["company_id"])
    errors.raise_if_any()
    if not user.is_staff:
        company_id = user.company_id or 0
    flt = queries.OrderFilter(
        status=q.get("status", ""),
        marketplace=q.get("marketplace", ""),
        company_id=company_id,
        company=q.get("company", "")[:100] if user.is_staff else "",
        late=q.get("late", ""),
        start=start,
        end=end,
    ).check()
    now = services(request).now()
    hours = request.app[SETTINGS].orders.at_risk_hours
    async with request.app[SESSIONS]() as db:
        page = await queries.find_orders(
            db, flt, now=now, at_risk_hours=hours,
            page=queries.page_number(q.get("page")),
        )  # fmt: skip
    return web.json_response(
        {
            "items": [order_json(o, now, hours) for o, _ in page.items],
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
            "total": page.total,
        }
    )


async def get_order_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    async with request.app[SESSIONS]() as db:
        order = await order_for(db, user, parse_id(request.match_info["order_id"]))
    hours = request.app[SETTINGS].orders.at_risk_hours
    return web.json_response(order_json(order, services(request).now(), hours))


SHIPMENT_FIELDS = frozenset(
    {"carrier", "tracking_number", "shipped_at", "shipping_method", "lines"}
)


def shipment_input(body: dict[str, Any], now: dt.datetime) -> ShipmentInput:
    """Check the JSON body's types; the rules are the shipment service's."""
    refuse_unknown(body, SHIPMENT_FIELDS)
    errors = FieldErrors()
    shipped_at = _instant(body.get("shipped_at"), "shipped_at", errors) or now
    raw_lines = body.get("lines")
    lines: dict[str, int] | None = None
    if raw_lines is not None:
        lines = {}
        if not isinstance(raw_lines, list):
            raw_lines = [None]
        for item in raw_lines:
            if (
                isinstance(item, dict)
                and isinstance(item.get("line_id"), str)
                and isinstance(item.get("quantity"), int)
                and not isinstance(item.get("quantity"), bool)
            ):
                lines[item["line_id"]] = (
                    lines.get(item["line_id"], 0) + item["quantity"]
                )
            else:
                errors.add("lines", "[{line_id, quantity}] 목록입니다.",
                           "A list of {line_id, quantity}.")  # fmt: skip
    for name in ("carrier", "tracking_number", "shipping_method"):
        if not isinstance(body.get(name, ""), str):
            errors.add(name, "문자열입니다.", "A string.")
    errors.raise_if_any()
    return ShipmentInput(
        carrier=str(body.get("carrier") or ""),
        tracking_number=str(body.get("tracking_number") or ""),
        shipped_at=shipped_at,
        lines=lines,
        shipping_method=str(body.get("shipping_method") or ""),
    )


async def create_shipment_api(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed(
            {"body": Text("JSON 객체를 보내 주세요.", "Send a JSON object.")}
        )
    now = services(request).now()
    shipment = await confirm_shipment(
        request.app[SESSIONS],
        user,
        parse_id(request.match_info["order_id"]),
        shipment_input(body, now),
        factory=services(request).factory,
        now=now,
    )
    return web.json_response(shipment_json(shipment), status=201)


def setup(app: web.Application) -> None:
    for name, schema in SCHEMAS.items():
        add_schema(app, name, schema)
    tag = "orders"
    add_api_route(
        app, "GET", f"{API_PREFIX}/orders", list_orders_api, tag=tag,
        summary="Orders, those to ship first (a company: its own; staff: all)",
        responses=(400, 401, 403),
        query=(
            ("status", "string", "pending, unshipped, partially_shipped, shipped,"
             " cancelled, refunded"),
            ("marketplace", "string", "amazon or ebay"),
            ("company_id", "integer", "staff only: one company"),
            ("company", "string", "staff only: company name or BRN"),
            ("from", "string", "purchased at or after (ISO 8601)"),
            ("to", "string", "purchased before (ISO 8601)"),
            ("late", "string", "late, at_risk or urgent (both)"),
            ("page", "integer", "50 a page"),
        ),
        response_schema={
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": ref("Order")},
                "page": INT, "pages": INT, "per_page": INT, "total": INT,
            },
        },
    )  # fmt: skip
    order_path = f"{API_PREFIX}/orders/{{order_id:\\d+}}"
    add_api_route(
        app, "GET", order_path, get_order_api, tag=tag,
        summary="One order with its lines", response_schema="Order",
    )  # fmt: skip
    add_api_route(
        app, "POST", f"{order_path}/shipments", create_shipment_api, tag=tag,
        summary="Confirm a shipment on the marketplace (carrier, tracking number)",
        description=(
            "Refused with 409 (nothing sent) for a cancelled, refunded or fully"
            " shipped order, or while an earlier confirmation's outcome is unknown;"
            " 400 for an unknown carrier, a malformed tracking number or more units"
            " than are open."
        ),
        request_schema="ShipmentInput", response_schema="Shipment", success=201,
        responses=(400, 401, 403, 404, 409),
    )  # fmt: skip
