"""Consultation pages for companies (and the manage link), plus the shared
booking pages. Office and staff pages are in :mod:`office_web`.

Every time on a page is shown with its date, in Asia/Seoul and in the
office's zone (a Seoul morning is the previous day in Los Angeles).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import select

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.models import Product
from export_hub.consultations import api, office_web, outcome_web, people_web
from export_hub.consultations.access import (
    CLOCK,
    Clock,
    apply_action,
    booking_for_user,
    booking_user,
    now,
    office_for,
    parse_instant,
    parse_int,
)
from export_hub.consultations.availability import company_live_count, find_slots
from export_hub.consultations.booking import (
    Actor,
    BookingConflict,
    BookingRequest,
    manage_url,
    request_booking,
)
from export_hub.consultations.changes import booking_for_token
from export_hub.consultations.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Buyer,
    Interpreter,
    Office,
)
from export_hub.consultations.notify import load_parties
from export_hub.consultations.outcomes import LABELS, outcome_views
from export_hub.consultations.pages import page
from export_hub.consultations.slots import SEOUL, Slot, describe
from export_hub.errors import (
    Conflict,
    FieldErrors,
    Text,
    ValidationFailed,
)
from export_hub.security import new_token
from export_hub.validation import clean_date, parse_id
from export_hub.web.auth import require_user
from export_hub.web.keys import SESSIONS, SETTINGS

WEEK = dt.timedelta(days=7)


# -- offices and free slots -----------------------------------------------------


async def offices_page(request: web.Request) -> web.Response:
    await booking_user(request)
    async with request.app[SESSIONS]() as db:
        offices = list(
            await db.scalars(
                select(Office).where(Office.active.is_(True)).order_by(Office.code)
            )
        )
    return await page(
        request, "offices.html", {"offices": offices, "now": now(request)}
    )


def week_bounds(request: web.Request) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """The Seoul week shown: ``?from=YYYY-MM-DD`` (default today in Seoul)."""
    today = now(request).astimezone(ZoneInfo(SEOUL)).date()
    first = clean_date(request.query.get("from", ""), FieldErrors(), "from") or today
    start = dt.datetime.combine(first, dt.time(), ZoneInfo(SEOUL))
    return first, start.astimezone(dt.UTC), (start + WEEK).astimezone(dt.UTC)


def by_seoul_day(slots: list[Slot], first: dt.date) -> list[tuple[dt.date, list[Slot]]]:
    days: dict[dt.date, list[Slot]] = {first + dt.timedelta(n): [] for n in range(7)}
    for slot in slots:
        days.setdefault(describe(slot.start, SEOUL).date, []).append(slot)
    return sorted(days.items())


async def week_context(
    request: web.Request,
    office: Office,
    user: User | None,
    *,
    minutes: int | None = None,
    exclude_booking_id: int | None = None,
    company_id: int | None = None,
) -> dict[str, Any]:
    first, start, end = week_bounds(request)
    async with request.app[SESSIONS]() as db:
        slots = await find_slots(
            db, office, start, end, now(request),
            minutes=minutes, company_id=company_id,
            exclude_booking_id=exclude_booking_id,
        )  # fmt: skip
    return {
        "office": office,
        "days": by_seoul_day(slots, first),
        "minutes": minutes or office.meeting_minutes,
        "first": first,
        "last": first + dt.timedelta(days=6),
        "previous": first - WEEK,
        "next": first + WEEK,
        "can_request": user is not None and user.role is Role.COMPANY,
    }


async def office_week(request: web.Request) -> web.Response:
    user = await booking_user(request)
    errors = FieldErrors()
    minutes = parse_int(request.query.get("minutes"), "minutes", errors)
    company_id = user.company_id if user.role is Role.COMPANY else None
    async with request.app[SESSIONS]() as db:
        office = await office_for(db, request.match_info["code"])
        held = (
            await company_live_count(db, office.id, company_id, now(request))
            if company_id is not None
            else 0
        )
    context = await week_context(
        request, office, user,
        minutes=minutes if minutes in (30, 60) else None, company_id=company_id,
    )  # fmt: skip
    at_limit = bool(office.max_per_company) and held >= office.max_per_company
    return await page(
        request, "week.html", context | {"mode": "request", "at_limit": at_limit}
    )


# -- requesting -------------------------------------------------------------------


class BuyerChoice(NamedTuple):
    """What a company sees of a buyer it may invite."""

    id: int
    name: str
    company: str
    country: str


async def _form_choices(
    request: web.Request, office: Office, user: User
) -> dict[str, Any]:
    async with request.app[SESSIONS]() as db:
        products = list(
            await db.scalars(
                select(Product)
                .where(Product.company_id == user.company_id)
                .order_by(Product.sku)
            )
        )
        # A company picks a buyer by name and company: never their contacts.
        buyers = [
            BuyerChoice(b.id, b.name, b.company, b.country)
            for b in await db.scalars(
                select(Buyer)
                .where((Buyer.office_id == office.id) | Buyer.office_id.is_(None))
                .order_by(Buyer.name)
            )
        ]
        interpreters = list(
            await db.scalars(select(Interpreter).where(Interpreter.active.is_(True)))
        )
    languages = sorted(
        set(office.languages) | {"ko", "en"}, key=lambda c: (c != "ko", c)
    )
    pairs = [f"ko-{code}" for code in languages if code != "ko"]
    return {
        "products": products,
        "buyers": buyers,
        "interpreters": interpreters,
        "languages": languages,
        "pairs": pairs,
    }


async def request_form(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    errors = FieldErrors()
    start = parse_instant(request.query.get("start", ""), "start", errors)
    minutes = parse_int(request.query.get("minutes"), "minutes", errors)
    errors.raise_if_any()
    async with request.app[SESSIONS]() as db:
        office = await office_for(db, request.match_info["code"])
    assert start is not None  # noqa: S101 - parse_instant raised otherwise
    values = {
        "start": start.isoformat(),
        "minutes": str(minutes or office.meeting_minutes),
        "languages": ["ko"],
        "idempotency_key": new_token(16),
    }
    return await _render_form(request, office, user, values, {}, start, 200)


async def _render_form(
    request: web.Request,
    office: Office,
    user: User,
    values: dict[str, Any],
    errors: dict[str, Text],
    start: dt.datetime,
    status: int,
) -> web.Response:
    minutes = int(values.get("minutes") or office.meeting_minutes)
    context = await _form_choices(request, office, user) | {
        "office": office,
        "values": values,
        "errors": errors,
        "start": start,
        "end": start + dt.timedelta(minutes=minutes),
    }
    return await page(request, "request.html", context, status=status)


async def request_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    form = await request.post()
    async with request.app[SESSIONS]() as db:
        office = await office_for(db, request.match_info["code"])
    errors = FieldErrors()
    start = parse_instant(str(form.get("start", "")), "start", errors)
    minutes = (
        parse_int(form.get("minutes"), "minutes", errors) or office.meeting_minutes
    )
    buyer_id = parse_int(form.get("buyer_id"), "buyer_id", errors)
    interpreter_id = parse_int(form.get("interpreter_id"), "interpreter_id", errors)
    product_ids = [
        parse_int(v, "product_ids", errors) for v in form.getall("product_ids", [])
    ]
    values: dict[str, Any] = {
        "start": str(form.get("start", "")),
        "minutes": str(minutes),
        "topic": str(form.get("topic", "")),
        "product_ids": [str(v) for v in form.getall("product_ids", [])],
        "languages": [str(v) for v in form.getall("languages", [])],
        "buyer_id": str(form.get("buyer_id", "")),
        "interpreter_need": str(form.get("interpreter_need", "")),
        "interpreter_id": str(form.get("interpreter_id", "")),
        "idempotency_key": str(form.get("idempotency_key", "")) or new_token(16),
    }
    if start is None or errors:
        raise ValidationFailed(errors.errors)
    req = BookingRequest(
        office_id=office.id,
        start=start,
        minutes=minutes,
        topic=values["topic"],
        product_ids=tuple(p for p in product_ids if p is not None),
        languages=tuple(values["languages"]),
        buyer_id=buyer_id,
        interpreter_need=values["interpreter_need"],
        interpreter_id=interpreter_id,
        idempotency_key=values["idempotency_key"],
    )
    settings = request.app[SETTINGS]
    try:
        result = await request_booking(
            request.app[SESSIONS], settings, user, req, now(request)
        )
    except ValidationFailed as exc:
        return await _render_form(request, office, user, values, exc.fields, start, 400)
    except BookingConflict as exc:
        context = await week_context(
            request, office, user, minutes=minutes, company_id=user.company_id
        )
        context |= {"mode": "request", "error": exc}
        return await page(request, "week.html", context, status=409)
    if result.manage_token:
        session = await get_session(request)
        session[f"manage_{result.booking.id}"] = manage_url(
            settings, result.manage_token
        )
    raise web.HTTPSeeOther(f"/consultations/bookings/{result.booking.id}")


# -- bookings ------------------------------------------------------------------------


async def bookings_page(request: web.Request) -> web.Response:
    user = await booking_user(request)
    query = (
        select(Booking, Office, Company)
        .join(Office)
        .join(Company, Company.id == Booking.company_id)
    )
    if user.role is Role.COMPANY:
        query = query.where(Booking.company_id == user.company_id)
    elif user.role is Role.OFFICE:
        query = query.where(Office.code == user.office_code)
    status = request.query.get("status", "")
    if status in {s.value for s in BookingStatus}:
        query = query.where(Booking.status == BookingStatus(status))
    code = request.query.get("office", "")
    if code and user.is_staff:
        query = query.where(Office.code == code)
    async with request.app[SESSIONS]() as db:
        rows = await db.execute(query.order_by(Booking.start_at.desc()).limit(300))
        bookings = list(rows)
        outcomes = await outcome_views(db, [b.id for b, _, _ in bookings])
    async with request.app[SESSIONS]() as db:
        codes = list(await db.scalars(select(Office.code).order_by(Office.code)))
    return await page(
        request,
        "bookings.html",
        {
            "rows": bookings,
            "status": status,
            "office_code": code,
            "codes": codes,
            "outcomes": outcomes,
            "outcome_labels": LABELS,
        },
    )


async def _detail_context(
    request: web.Request, booking: Booking, office: Office, actor: Actor
) -> dict[str, Any]:
    async with request.app[SESSIONS]() as db:
        parties = await load_parties(db, booking)
        events = list(
            await db.scalars(
                select(BookingEvent)
                .where(BookingEvent.booking_id == booking.id)
                .order_by(BookingEvent.id)
            )
        )
        interpreters = list(
            await db.scalars(select(Interpreter).where(Interpreter.active.is_(True)))
        )
        products = list(
            await db.scalars(
                select(Product).where(Product.id.in_(booking.product_ids or [0]))
            )
        )
        outcome = (await outcome_views(db, [booking.id])).get(booking.id)
    return {
        "outcome": outcome,
        "outcome_labels": LABELS,
        "booking": booking,
        "office": office,
        "parties": parties,
        "events": events,
        "actor": actor,
        "interpreters": interpreters,
        "products": products,
        "now": now(request),
    }


async def booking_page(request: web.Request) -> web.Response:
    user = await booking_user(request)
    async with request.app[SESSIONS]() as db:
        booking, office, actor = await booking_for_user(
            db, user, parse_id(request.match_info["booking_id"])
        )
    context = await _detail_context(request, booking, office, actor)
    session = await get_session(request)
    context["new_manage_url"] = session.pop(f"manage_{booking.id}", None)
    context["base"] = f"/consultations/bookings/{booking.id}"
    return await page(request, "booking.html", context)


async def booking_action(request: web.Request) -> web.StreamResponse:
    user = await booking_user(request)
    form = await request.post()
    async with request.app[SESSIONS]() as db:
        booking, office, actor = await booking_for_user(
            db, user, parse_id(request.match_info["booking_id"])
        )
    base = f"/consultations/bookings/{booking.id}"
    return await _act(request, booking, office, actor, dict(form), base)


async def _act(
    request: web.Request,
    booking: Booking,
    office: Office,
    actor: Actor,
    values: dict[str, Any],
    base: str,
) -> web.StreamResponse:
    try:
        await apply_action(
            request, booking, actor, request.match_info["action"], values
        )
    except (Conflict, ValidationFailed) as exc:
        async with request.app[SESSIONS]() as db:
            fresh = await db.get_one(Booking, booking.id)
        context = await _detail_context(request, fresh, office, actor)
        context |= {"error": exc, "base": base, "new_manage_url": None}
        return await page(request, "booking.html", context, status=exc.status)
    raise web.HTTPSeeOther(base)


async def reschedule_page(request: web.Request) -> web.Response:
    user = await booking_user(request)
    async with request.app[SESSIONS]() as db:
        booking, office, _ = await booking_for_user(
            db, user, parse_id(request.match_info["booking_id"])
        )
    return await _reschedule(
        request, booking, office, user, f"/consultations/bookings/{booking.id}"
    )


async def _reschedule(
    request: web.Request, booking: Booking, office: Office, user: User | None, base: str
) -> web.Response:
    minutes = int((booking.end_at - booking.start_at).total_seconds() // 60)
    context = await week_context(
        request, office, user, minutes=minutes, exclude_booking_id=booking.id
    )
    return await page(
        request,
        "week.html",
        context | {"mode": "reschedule", "booking": booking, "base": base},
    )


async def invite_download(request: web.Request) -> web.Response:
    user = await booking_user(request)
    async with request.app[SESSIONS]() as db:
        booking, office, actor = await booking_for_user(
            db, user, parse_id(request.match_info["booking_id"])
        )
        parties = await load_parties(db, booking)
    return api.ics_response(booking, office, parties, now(request), actor.kind)


# -- the manage link (no log-in) ----------------------------------------------------


async def _by_token(request: web.Request) -> tuple[Booking, Office]:
    async with request.app[SESSIONS]() as db:
        booking = await booking_for_token(db, request.match_info["token"], now(request))
        office = await db.get_one(Office, booking.office_id)
    return booking, office


async def manage_page(request: web.Request) -> web.Response:
    booking, office = await _by_token(request)
    context = await _detail_context(request, booking, office, Actor("manage_link"))
    base = f"/consultations/manage/{request.match_info['token']}"
    return await page(
        request, "booking.html", context | {"base": base, "new_manage_url": None}
    )


async def manage_action(request: web.Request) -> web.StreamResponse:
    booking, office = await _by_token(request)
    if request.match_info["action"] not in ("cancel", "reschedule"):
        raise web.HTTPNotFound()
    form = await request.post()
    base = f"/consultations/manage/{request.match_info['token']}"
    return await _act(request, booking, office, Actor("manage_link"), dict(form), base)


async def manage_reschedule(request: web.Request) -> web.Response:
    booking, office = await _by_token(request)
    return await _reschedule(
        request,
        booking,
        office,
        None,
        f"/consultations/manage/{request.match_info['token']}",
    )


async def manage_invite(request: web.Request) -> web.Response:
    booking, office = await _by_token(request)
    async with request.app[SESSIONS]() as db:
        parties = await load_parties(db, booking)
    return api.ics_response(booking, office, parties, now(request), "manage_link")


def setup(app: web.Application) -> None:
    """Register the consultation pages, office and staff pages and the API."""
    if CLOCK not in app:
        app[CLOCK] = Clock()
    r = app.router
    r.add_get("/consultations", offices_page, name="consultations")
    r.add_get("/consultations/offices/{code}", office_week)
    r.add_get("/consultations/offices/{code}/request", request_form)
    r.add_post("/consultations/offices/{code}/request", request_submit)
    r.add_get("/consultations/bookings", bookings_page)
    booking = "/consultations/bookings/{booking_id:\\d+}"
    r.add_get(booking, booking_page)
    r.add_get(f"{booking}/invite.ics", invite_download)
    r.add_get(f"{booking}/reschedule", reschedule_page)
    r.add_post(
        f"{booking}/{{action:confirm|decline|cancel|reschedule}}", booking_action
    )
    manage = "/consultations/manage/{token:[A-Za-z0-9_-]{20,100}}"
    r.add_get(manage, manage_page)
    r.add_get(f"{manage}/invite.ics", manage_invite)
    r.add_get(f"{manage}/reschedule", manage_reschedule)
    r.add_post(f"{manage}/{{action:cancel|reschedule}}", manage_action)
    office_web.setup(app)
    outcome_web.setup(app)
    people_web.setup(app)
    api.setup(app)
