"""Order pages: the company's orders to ship and the shipment form; the staff's
list of every company's orders. Korean first, English toggle; times in
Korean time (KST, Asia/Seoul), labelled as such. No buyer personal data is
shown: each order links to Seller Central / Seller Hub for the address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts.models import Role, User
from export_hub.errors import Conflict, MarketplaceError, Text, ValidationFailed
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders import queries
from export_hub.orders.api import setup as setup_api
from export_hub.orders.connect import connector_factory
from export_hub.orders.lines import OPEN_STATUSES
from export_hub.orders.models import OrderEvent, Shipment
from export_hub.orders.notify import MARKETPLACE_NAMES, seoul_label
from export_hub.orders.runtime import ORDERS, OrdersServices, services
from export_hub.orders.shipments import (
    ShipmentInput,
    carriers_for,
    confirm_shipment,
    order_for,
)
from export_hub.validation import parse_id
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import SESSIONS, SETTINGS
from export_hub.web.render import render

SEOUL = ZoneInfo("Asia/Seoul")
STATUS_LABELS = {
    "pending": Text("결제 대기", "Pending"),
    "unshipped": Text("발송 대기", "Unshipped"),
    "partially_shipped": Text("일부 발송", "Partially shipped"),
    "shipped": Text("발송 완료", "Shipped"),
    "cancelled": Text("취소", "Cancelled"),
    "refunded": Text("환불", "Refunded"),
}
URGENCY_LABELS = {
    "late": Text("발송 기한 지남", "Late"),
    "at_risk": Text("기한 임박(24시간 이내)", "At risk (due within 24 h)"),
    "": Text("", ""),
}


def setup(app: web.Application) -> None:
    """Register the order pages and ``/api/v1/orders``."""
    if ORDERS not in app:
        app[ORDERS] = OrdersServices(factory=connector_factory(app[SETTINGS]))
    r = app.router
    r.add_get("/company/orders", company_orders, name="company_orders")
    r.add_get("/company/orders/{order_id:\\d+}", company_order)
    r.add_post("/company/orders/{order_id:\\d+}/shipments", company_ship)
    r.add_get("/staff/orders", staff_orders, name="staff_orders")
    r.add_get("/staff/orders/{order_id:\\d+}", staff_order)
    setup_api(app)


def _common(request: web.Request) -> dict[str, Any]:
    hours = request.app[SETTINGS].orders.at_risk_hours
    now = services(request).now()
    return {
        "statuses": queries.STATUSES,
        "marketplaces": queries.MARKETPLACES,
        "status_labels": STATUS_LABELS,
        "urgency_labels": URGENCY_LABELS,
        "market_names": MARKETPLACE_NAMES,
        "kst": seoul_label,
        "urgency": lambda order: queries.urgency(order, now, hours),
        "order_url": queries.marketplace_order_url,
        "at_risk_hours": hours,
    }


def _filter(request: web.Request, company_id: int | None) -> queries.OrderFilter:
    q = request.query
    return queries.OrderFilter(
        status=q.get("status", ""),
        marketplace=q.get("marketplace", ""),
        company_id=company_id,
        company=q.get("company", "")[:100] if company_id is None else "",
        late=q.get("late", ""),
    ).check()


async def _list(
    request: web.Request, template: str, company_id: int | None
) -> web.Response:
    flt = _filter(request, company_id)
    settings = request.app[SETTINGS]
    async with request.app[SESSIONS]() as db:
        page = await queries.find_orders(
            db,
            flt,
            now=services(request).now(),
            at_risk_hours=settings.orders.at_risk_hours,
            page=queries.page_number(request.query.get("page")),
        )
    return await render(request, template, {"page": page, "f": flt} | _common(request))


async def company_orders(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    return await _list(request, "orders/company.html", user.company_id or 0)


async def staff_orders(request: web.Request) -> web.Response:
    await require_staff(request)
    return await _list(request, "orders/staff.html", None)


async def _detail(
    request: web.Request,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, Text] | None = None,
    message: Text | None = None,
    status: int = 200,
) -> web.Response:
    order_id = parse_id(request.match_info["order_id"])
    async with request.app[SESSIONS]() as db:
        order = await order_for(db, user, order_id)
        account = await db.get_one(SellerAccount, order.seller_account_id)
        shipments = list(
            await db.scalars(
                select(Shipment)
                .where(Shipment.order_id == order.id)
                .order_by(Shipment.id)
            )
        )
        events = list(
            await db.scalars(
                select(OrderEvent)
                .where(OrderEvent.order_id == order.id)
                .order_by(OrderEvent.id)
            )
        )
    carriers: list[str] = []
    carrier_problem = ""
    can_ship = user.role is Role.COMPANY and order.status in OPEN_STATUSES
    if can_ship:
        try:
            carriers = await carriers_for(services(request).factory, account)
        except MarketplaceError as exc:
            carrier_problem = exc.message
    today = services(request).now().astimezone(SEOUL).date().isoformat()
    context = {
        "order": order,
        "shipments": shipments,
        "events": events,
        "carriers": carriers,
        "carrier_problem": carrier_problem,
        "can_ship": can_ship,
        "form": form or {"shipped_date": today},
        "errors": errors or {},
        "message": message,
        "shipped": request.query.get("shipped") == "1",
    }
    return await render(
        request, "orders/detail.html", context | _common(request), status=status
    )


async def company_order(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    return await _detail(request, user)


async def staff_order(request: web.Request) -> web.Response:
    user = await require_staff(request)
    return await _detail(request, user)


def shipped_instant(
    value: str,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> dt.datetime | None:
    """A ``YYYY-MM-DD`` shipping date (Korean date) as noon KST, in UTC, moved
    into ``[not_before, not_after]`` when given: an order placed and shipped
    the same afternoon did not ship before it was placed (marketplaces refuse
    that), nor does a shipment today leave in the future."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    instant = dt.datetime.combine(day, dt.time(12), SEOUL).astimezone(dt.UTC)
    if (
        not_before is not None
        and instant < not_before
        and day == (not_before.astimezone(SEOUL).date())
    ):
        instant = not_before
    if (
        not_after is not None
        and instant > not_after
        and day == (not_after.astimezone(SEOUL).date())
    ):
        instant = not_after
    return instant


async def company_ship(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    order_id = parse_id(request.match_info["order_id"])
    form = dict(await request.post())
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    async with request.app[SESSIONS]() as db:
        order = await order_for(db, user, order_id)
    lines: dict[str, int] = {}
    bad_quantity = False
    for line in order.lines:
        raw = values.get(f"qty_{line.id}", "").strip() or "0"
        if not raw.isdigit():
            bad_quantity = True
            continue
        lines[line.line_id] = int(raw)
    shipped_at = shipped_instant(
        values.get("shipped_date", ""),
        not_before=order.purchased_at,
        not_after=services(request).now(),
    )
    try:
        if bad_quantity or shipped_at is None:
            problems: dict[str, Text] = {}
            if bad_quantity:
                problems["lines"] = Text("수량은 0 이상의 정수입니다.",
                                         "Quantities are whole numbers.")  # fmt: skip
            if shipped_at is None:
                problems["shipped_at"] = Text(
                    "발송일을 YYYY-MM-DD로 입력해 주세요.",
                    "Enter the date as YYYY-MM-DD.",
                )
            raise ValidationFailed(problems)
        await confirm_shipment(
            request.app[SESSIONS],
            user,
            order_id,
            ShipmentInput(
                carrier=values.get("carrier", ""),
                tracking_number=values.get("tracking_number", ""),
                shipped_at=shipped_at,
                lines=lines,
                shipping_method=values.get("shipping_method", ""),
            ),
            factory=services(request).factory,
            now=services(request).now(),
        )
    except ValidationFailed as exc:
        return await _detail(request, user, form=values, errors=exc.fields,
                             message=exc.message, status=400)  # fmt: skip
    except Conflict as exc:
        return await _detail(request, user, form=values, message=exc.message,
                             status=409)  # fmt: skip
    raise web.HTTPSeeOther(f"/company/orders/{order_id}?shipped=1")
