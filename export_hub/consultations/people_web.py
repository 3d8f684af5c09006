"""Buyers (kept by each office) and interpreters (kept by the agency's staff)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.booking import LANGUAGE_PAIR
from export_hub.consultations.models import Booking, Buyer, Interpreter, Office
from export_hub.consultations.office_web import (
    WEEKDAY_NAMES,
    office_of,
    parse_rules,
    settings_context,
)
from export_hub.consultations.pages import page
from export_hub.errors import Conflict, FieldErrors, NotFound, Text
from export_hub.validation import check_characters, is_zone, parse_id, validate_email
from export_hub.web.auth import require_staff
from export_hub.web.keys import SESSIONS

BUYER_FIELDS = ("name", "company", "country", "email", "time_zone", "language")


def _zone(value: str, errors: FieldErrors) -> str:
    if not is_zone(value):
        errors.add(
            "time_zone",
            "IANA 시간대가 아닙니다(예: Europe/Berlin).",
            "Not an IANA time zone (e.g. Europe/Berlin).",
        )
    return value


def _name(form: Any, errors: FieldErrors) -> str:
    name = check_characters(str(form.get("name", "")).strip(), errors, "name")
    if not name or len(name) > 100:
        errors.add(
            "name",
            "이름을 입력해 주세요(100자 이내).",
            "Enter a name (up to 100 characters).",
        )
    return name


def _buyer_fields(form: Any, default_zone: str, errors: FieldErrors) -> dict[str, Any]:
    name = _name(form, errors)
    email = validate_email(str(form.get("email", "")), errors)
    country = str(form.get("country", "")).strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors.add(
            "country", "국가 코드 두 글자(예: DE)", "Two-letter country code (e.g. DE)"
        )
    zone = _zone(str(form.get("time_zone", default_zone)).strip(), errors)
    return {
        "name": name,
        "email": email,
        "country": country,
        "company": check_characters(
            str(form.get("company", "")).strip()[:200], errors, "company"
        ),
        "time_zone": zone,
        "language": "ko" if form.get("language") == "ko" else "en",
    }


async def add_buyer(request: web.Request) -> web.StreamResponse:
    """``POST /office/buyers``: the office adds a buyer it brings to meetings."""
    _, office = await office_of(request, edit=True)
    errors = FieldErrors()
    fields = _buyer_fields(await request.post(), office.time_zone, errors)
    if errors:
        context = await settings_context(request, office) | {"errors": errors.errors}
        return await page(request, "office_settings.html", context, status=400)
    async with request.app[SESSIONS].begin() as db:
        db.add(Buyer(office_id=office.id, **fields))
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


async def _office_buyer(
    request: web.Request, db: AsyncSession, office_id: int
) -> Buyer:
    buyer = await db.get(Buyer, parse_id(request.match_info["buyer_id"]))
    if buyer is None or buyer.office_id != office_id:
        raise NotFound()
    return buyer


async def buyer_page(request: web.Request) -> web.Response:
    """``GET /office/buyers/{id}``: the office corrects a buyer's details."""
    _, office = await office_of(request, edit=True)
    async with request.app[SESSIONS]() as db:
        buyer = await _office_buyer(request, db, office.id)
    values = {k: str(getattr(buyer, k)) for k in BUYER_FIELDS}
    return await _buyer_form(request, office, buyer, values, {}, 200)


async def _buyer_form(
    request: web.Request,
    office: Office,
    buyer: Buyer,
    values: dict[str, str],
    errors: dict[str, Any],
    status: int,
) -> web.Response:
    context = {"office": office, "buyer": buyer, "values": values, "errors": errors}
    return await page(request, "buyer_edit.html", context, status=status)


async def update_buyer(request: web.Request) -> web.StreamResponse:
    """``POST /office/buyers/{id}``: save the corrected details (all or nothing)."""
    _, office = await office_of(request, edit=True)
    form = await request.post()
    errors = FieldErrors()
    fields = _buyer_fields(form, office.time_zone, errors)
    async with request.app[SESSIONS].begin() as db:
        buyer = await _office_buyer(request, db, office.id)
        if not errors:
            for key, value in fields.items():
                setattr(buyer, key, value)
    if errors:
        values = {k: str(form.get(k, "")) for k in BUYER_FIELDS}
        return await _buyer_form(request, office, buyer, values, errors.errors, 400)
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


async def delete_buyer(request: web.Request) -> web.StreamResponse:
    """``POST /office/buyers/{id}/delete``: only a buyer no booking names; the
    bookings' history keeps the others."""
    _, office = await office_of(request, edit=True)
    async with request.app[SESSIONS].begin() as db:
        buyer = await _office_buyer(request, db, office.id)
        used = await db.scalar(
            select(Booking.id).where(Booking.buyer_id == buyer.id).limit(1)
        )
        if used is not None:
            raise Conflict(
                Text(
                    "상담 예약에 들어 있는 바이어는 삭제할 수 없습니다. "
                    "정보를 고쳐 주세요.",
                    "A buyer named in a booking cannot be deleted; "
                    "correct the details instead.",
                )
            )
        await db.delete(buyer)
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


async def interpreters_page(request: web.Request) -> web.Response:
    await require_staff(request)
    return await _interpreters(request, {}, {}, 200)


async def _interpreters(
    request: web.Request, values: dict[str, str], errors: dict[str, Any], status: int
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        people = list(await db.scalars(select(Interpreter).order_by(Interpreter.name)))
    return await page(
        request,
        "interpreters.html",
        {
            "interpreters": people,
            "values": values,
            "errors": errors,
            "weekday_names": WEEKDAY_NAMES,
        },
        status=status,
    )


INTERPRETER_FIELDS = ("name", "email", "pairs", "time_zone", "hours")


def _interpreter_fields(values: dict[str, str], errors: FieldErrors) -> dict[str, Any]:
    name = _name(values, errors)
    email = validate_email(values["email"], errors)
    pairs = [p.strip().lower() for p in values["pairs"].split(",") if p.strip()]
    if not pairs or not all(LANGUAGE_PAIR.match(p) for p in pairs):
        errors.add(
            "pairs",
            "언어쌍을 쉼표로 구분해 주세요(예: ko-en, ko-de).",
            "List language pairs separated by commas (e.g. ko-en, ko-de).",
        )
    zone = _zone(values["time_zone"].strip() or "Asia/Seoul", errors)
    hours = parse_rules(values["hours"], errors, field="hours")
    return {
        "name": name,
        "email": email,
        "language_pairs": pairs,
        "time_zone": zone,
        "availability": [
            {"weekday": d, "start": f"{s:%H:%M}", "end": f"{e:%H:%M}"}
            for d, s, e in hours
        ],
    }


def _interpreter_values(form: Any) -> dict[str, str]:
    return {k: str(form.get(k, "")) for k in INTERPRETER_FIELDS}


async def add_interpreter(request: web.Request) -> web.StreamResponse:
    """``POST /staff/interpreters``: name, e-mail, language pairs, weekly hours."""
    await require_staff(request)
    values = _interpreter_values(await request.post())
    errors = FieldErrors()
    fields = _interpreter_fields(values, errors)
    if errors:
        return await _interpreters(request, values, errors.errors, 400)
    async with request.app[SESSIONS].begin() as db:
        db.add(Interpreter(**fields))
    raise web.HTTPSeeOther("/staff/interpreters")


async def _interpreter(db: AsyncSession, request: web.Request) -> Interpreter:
    found = await db.get(Interpreter, parse_id(request.match_info["interpreter_id"]))
    if found is None:
        raise NotFound()
    return found


async def interpreter_page(request: web.Request) -> web.Response:
    """``GET /staff/interpreters/{id}``: correct an interpreter's details."""
    await require_staff(request)
    async with request.app[SESSIONS]() as db:
        person = await _interpreter(db, request)
    values = {
        "name": person.name,
        "email": person.email,
        "pairs": ", ".join(person.language_pairs),
        "time_zone": person.time_zone,
        "hours": "\n".join(
            f"{WEEKDAY_NAMES[h['weekday']].title()} {h['start']}-{h['end']}"
            for h in person.availability
        ),
    }
    return await _interpreter_form(request, person, values, {}, 200)


async def _interpreter_form(
    request: web.Request,
    person: Interpreter,
    values: dict[str, str],
    errors: dict[str, Any],
    status: int,
) -> web.Response:
    context = {"person": person, "values": values, "errors": errors}
    return await page(request, "interpreter_edit.html", context, status=status)


async def update_interpreter(request: web.Request) -> web.StreamResponse:
    """``POST /staff/interpreters/{id}``: save the details (all or nothing).
    Bookings already made keep their interpreter."""
    await require_staff(request)
    values = _interpreter_values(await request.post())
    errors = FieldErrors()
    fields = _interpreter_fields(values, errors)
    async with request.app[SESSIONS].begin() as db:
        person = await _interpreter(db, request)
        if not errors:
            for key, value in fields.items():
                setattr(person, key, value)
    if errors:
        return await _interpreter_form(request, person, values, errors.errors, 400)
    raise web.HTTPSeeOther("/staff/interpreters")


async def set_interpreter_active(request: web.Request) -> web.StreamResponse:
    """``POST /staff/interpreters/{id}/active``: ``active=0`` stops offering the
    interpreter for new requests (kept for the bookings' history); ``1`` again."""
    await require_staff(request)
    form = await request.post()
    async with request.app[SESSIONS].begin() as db:
        person = await _interpreter(db, request)
        person.active = form.get("active") == "1"
    raise web.HTTPSeeOther("/staff/interpreters")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/office/buyers", add_buyer)
    buyer = "/office/buyers/{buyer_id:\\d+}"
    r.add_get(buyer, buyer_page)
    r.add_post(buyer, update_buyer)
    r.add_post(f"{buyer}/delete", delete_buyer)
    r.add_get("/staff/interpreters", interpreters_page)
    r.add_post("/staff/interpreters", add_interpreter)
    person = "/staff/interpreters/{interpreter_id:\\d+}"
    r.add_get(person, interpreter_page)
    r.add_post(person, update_interpreter)
    r.add_post(f"{person}/active", set_interpreter_active)
