"""The office's outcome pages: the form for one held consultation (record or
edit, with the change history) and its submission. The list of
consultations awaiting an outcome, each with its form, is on ``/office``
(see :mod:`office_web`)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts.models import Company, User
from export_hub.catalog.models import Product
from export_hub.consultations.access import booking_for_user, booking_user, now
from export_hub.consultations.booking import Actor
from export_hub.consultations.models import (
    Booking,
    ConsultationOutcome,
    Office,
    OutcomeKind,
)
from export_hub.consultations.outcomes import (
    LABELS,
    awaiting_outcome,
    check_can_record,
    clean_outcome,
    office_figures,
    outcome_history,
    outcome_views,
    save_outcome,
)
from export_hub.consultations.pages import page
from export_hub.errors import Conflict, RequestError, ValidationFailed
from export_hub.validation import parse_id
from export_hub.web.keys import SESSIONS


async def company_products(
    request: web.Request, company_ids: set[int]
) -> dict[int, list[Product]]:
    """The products each company may have discussed, by company id."""
    out: dict[int, list[Product]] = {c: [] for c in company_ids}
    if not company_ids:
        return out
    async with request.app[SESSIONS]() as db:
        for product in await db.scalars(
            select(Product)
            .where(Product.company_id.in_(company_ids))
            .order_by(Product.sku)
        ):
            out[product.company_id].append(product)
    return out


def outcome_helpers() -> dict[str, Any]:
    """What the outcome form macro needs besides the booking."""
    return {"outcome_kinds": list(OutcomeKind), "outcome_labels": LABELS}


async def _booking(request: web.Request) -> tuple[User, Booking, Office, Actor]:
    user = await booking_user(request)
    async with request.app[SESSIONS]() as db:
        booking, office, actor = await booking_for_user(
            db, user, parse_id(request.match_info["booking_id"])
        )
    check_can_record(booking, actor, now(request))
    return user, booking, office, actor


async def _form_context(
    request: web.Request, booking: Booking, office: Office
) -> dict[str, Any]:
    async with request.app[SESSIONS]() as db:
        company = await db.get_one(Company, booking.company_id)
        view = (await outcome_views(db, [booking.id])).get(booking.id)
        history = await outcome_history(db, view.outcome.id) if view else []
        authors = {
            u.id: u.email
            for u in await db.scalars(
                select(User).where(
                    User.id.in_([e.actor_user_id or 0 for e in history] or [0])
                )
            )
        }
    products = await company_products(request, {booking.company_id})
    return outcome_helpers() | {
        "booking": booking,
        "office": office,
        "company": company,
        "view": view,
        "history": history,
        "authors": authors,
        "products": products[booking.company_id],
        "values": None,
        "error": None,
        "saved": False,
    }


async def outcome_page(request: web.Request) -> web.Response:
    """``GET /office/bookings/{id}/outcome``: record or edit, with history."""
    _, booking, office, _ = await _booking(request)
    context = await _form_context(request, booking, office)
    context["saved"] = request.query.get("saved") == "1"
    return await page(request, "outcome.html", context)


async def outcome_submit(request: web.Request) -> web.Response:
    """``POST /office/bookings/{id}/outcome``: saves, or shows why not (400/409)."""
    _, booking, office, actor = await _booking(request)
    form = await request.post()
    values: dict[str, Any] = {
        name: str(form.get(name, ""))
        for name in (
            "kind",
            "notes",
            "next_step",
            "deal_value_usd",
            "deal_on",
            "version",
        )
    }
    values["product_ids"] = [str(v) for v in form.getall("product_ids", [])]
    try:
        data = clean_outcome(values)
        await save_outcome(request.app[SESSIONS], booking.id, actor, data, now(request))
    except (ValidationFailed, Conflict) as exc:
        return await _form_error(request, booking, office, values, exc)
    raise web.HTTPSeeOther(f"/office/bookings/{booking.id}/outcome?saved=1")


async def _form_error(
    request: web.Request,
    booking: Booking,
    office: Office,
    values: dict[str, Any],
    exc: RequestError,
) -> web.Response:
    context = await _form_context(request, booking, office)
    context |= {"values": values, "error": exc}
    return await page(request, "outcome.html", context, status=exc.status)


async def office_board(
    request: web.Request, office: Office, today: dt.date
) -> dict[str, Any]:
    """The outcome half of the office's landing page: this year's figures
    (office-local), the consultations awaiting an outcome (each with its
    form) and the latest outcomes recorded."""
    moment = now(request)
    year_start = dt.datetime.combine(
        today.replace(month=1, day=1), dt.time(), ZoneInfo(office.time_zone)
    )
    async with request.app[SESSIONS]() as db:
        figures = await office_figures(db, office.id, year_start, moment)
        awaiting = await awaiting_outcome(db, office.id, moment)
        recent = list(
            await db.execute(
                select(Booking, Company)
                .join(Company, Company.id == Booking.company_id)
                .join(ConsultationOutcome, ConsultationOutcome.booking_id == Booking.id)
                .where(Booking.office_id == office.id)
                .order_by(ConsultationOutcome.updated_at.desc())
                .limit(10)
            )
        )
        views = await outcome_views(db, [b.id for b, _ in recent])
    products = await company_products(request, {b.company_id for b, _ in awaiting})
    return outcome_helpers() | {
        "figures": figures,
        "awaiting": awaiting,
        "awaiting_products": products,
        "recent_outcomes": [(b, c, views[b.id]) for b, c in recent if b.id in views],
    }


def setup(app: web.Application) -> None:
    path = "/office/bookings/{booking_id:\\d+}/outcome"
    app.router.add_get(path, outcome_page)
    app.router.add_post(path, outcome_submit)
