"""Buyers (kept by each office) and interpreters (kept by the agency's staff)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy import select

from export_hub.consultations.booking import LANGUAGE_PAIR
from export_hub.consultations.models import Buyer, Interpreter
from export_hub.consultations.office_web import (
    WEEKDAY_NAMES,
    office_of,
    parse_rules,
    settings_context,
)
from export_hub.consultations.pages import page
from export_hub.errors import FieldErrors
from export_hub.validation import validate_email
from export_hub.web.auth import require_staff
from export_hub.web.keys import SESSIONS


def _zone(value: str, errors: FieldErrors) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add(
            "time_zone",
            "IANA 시간대가 아닙니다(예: Europe/Berlin).",
            "Not an IANA time zone (e.g. Europe/Berlin).",
        )
    return value


def _name(form: Any, errors: FieldErrors) -> str:
    name = str(form.get("name", "")).strip()
    if not name or len(name) > 100:
        errors.add(
            "name",
            "이름을 입력해 주세요(100자 이내).",
            "Enter a name (up to 100 characters).",
        )
    return name


async def add_buyer(request: web.Request) -> web.StreamResponse:
    """``POST /office/buyers``: the office adds a buyer it brings to meetings."""
    _, office = await office_of(request, edit=True)
    form = await request.post()
    errors = FieldErrors()
    name = _name(form, errors)
    email = validate_email(str(form.get("email", "")), errors)
    country = str(form.get("country", "")).strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors.add(
            "country", "국가 코드 두 글자(예: DE)", "Two-letter country code (e.g. DE)"
        )
    zone = _zone(str(form.get("time_zone", office.time_zone)).strip(), errors)
    language = "ko" if form.get("language") == "ko" else "en"
    if errors:
        context = await settings_context(request, office) | {"errors": errors.errors}
        return await page(request, "office_settings.html", context, status=400)
    async with request.app[SESSIONS].begin() as db:
        db.add(
            Buyer(
                office_id=office.id,
                name=name,
                email=email,
                country=country,
                company=str(form.get("company", "")).strip()[:200],
                time_zone=zone,
                language=language,
            )
        )
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


async def add_interpreter(request: web.Request) -> web.StreamResponse:
    """``POST /staff/interpreters``: name, e-mail, language pairs, weekly hours."""
    await require_staff(request)
    form = await request.post()
    values = {
        k: str(form.get(k, ""))
        for k in ("name", "email", "pairs", "time_zone", "hours")
    }
    errors = FieldErrors()
    name = _name(form, errors)
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
    if errors:
        return await _interpreters(request, values, errors.errors, 400)
    async with request.app[SESSIONS].begin() as db:
        db.add(
            Interpreter(
                name=name,
                email=email,
                language_pairs=pairs,
                time_zone=zone,
                availability=[
                    {"weekday": d, "start": f"{s:%H:%M}", "end": f"{e:%H:%M}"}
                    for d, s, e in hours
                ],
            )
        )
    raise web.HTTPSeeOther("/staff/interpreters")


def setup(app: web.Application) -> None:
    app.router.add_post("/office/buyers", add_buyer)
    app.router.add_get("/staff/interpreters", interpreters_page)
    app.router.add_post("/staff/interpreters", add_interpreter)
