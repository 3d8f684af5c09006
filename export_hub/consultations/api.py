"""``/api/v1`` for consultations: offices, free slots, bookings and invites.

Times in and out are ISO 8601 UTC instants (``...Z``); every slot and booking
also carries its date and time in Asia/Seoul, in the office's zone and in
the caller's ``tz``. ``POST /api/v1/bookings`` honours ``Idempotency-Key``: a
retry with the same key returns the same booking (200 instead of 201).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts.models import Role, User
from export_hub.api.openapi import API_PREFIX, add_api_route, add_schema
from export_hub.consultations.access import (
    apply_action,
    booking_for_user,
    booking_user,
    now,
    office_for,
    parse_instant,
    parse_int,
    parse_zone,
)
from export_hub.consultations.availability import find_slots, local_json, slot_json
from export_hub.consultations.booking import BookingRequest, manage_url, request_booking
from export_hub.consultations.invites import build_invite
from export_hub.consultations.models import Booking, Interpreter, Office
from export_hub.consultations.notify import load_parties
from export_hub.consultations.outcomes import FIELDS as OUTCOME_FIELDS
from export_hub.consultations.outcomes import SCHEMAS as OUTCOME_SCHEMAS
from export_hub.consultations.outcomes import (
    OutcomeView,
    check_can_record,
    clean_outcome,
    outcome_views,
    save_outcome,
)
from export_hub.consultations.slots import SEOUL
from export_hub.errors import FieldErrors, Text, ValidationFailed
from export_hub.validation import (
    MAX_INT,
    clean_date,
    clean_int,
    parse_id,
    refuse_unknown,
)
from export_hub.web.auth import Handler, require_user
from export_hub.web.keys import SESSIONS, SETTINGS

MAX_RANGE_DAYS = 62
MAX_LIST = 20
BOOKING_FIELDS = frozenset(
    {
        "office_id", "start", "minutes", "topic", "product_ids", "languages",
        "buyer_id", "interpreter_need", "interpreter_id",
    }
)  # fmt: skip
ACTION_FIELDS = frozenset({"reason", "interpreter_id", "start", "minutes"})
STR = {"type": "string"}
INT = {"type": "integer"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
INSTANT = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with offset, years 2000-2100",
}
DATE = {"type": "string", "format": "date"}
LOCAL = {
    "type": "object",
    "properties": {k: STR for k in ("zone", "date", "time", "offset", "abbreviation")},
}
SCHEMAS: dict[str, Any] = {
    "Office": {
        "type": "object",
        "properties": {
            "id": INT, "code": STR, "name_ko": STR, "name_en": STR, "city": STR,
            "country": STR, "time_zone": STR,
            "languages": {"type": "array", "items": STR},
            "meeting_minutes": INT, "video_mode": STR,
        },
    },
    "Slot": {
        "type": "object",
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "minutes": INT, "seoul": LOCAL, "office": LOCAL, "viewer": LOCAL,
        },
    },
    "BookingInput": {
        "type": "object",
        "required": ["office_id", "start", "topic"],
        "additionalProperties": False,
        "properties": {
            "office_id": ID,
            "start": INSTANT,
            "minutes": {"type": "integer", "enum": [30, 60]},
            "topic": {"type": "string", "maxLength": 2000},
            "product_ids": {"type": "array", "items": ID, "maxItems": MAX_LIST},
            "languages": {"type": "array", "maxItems": MAX_LIST,
                          "items": {"type": "string", "minLength": 1,
                                    "maxLength": 10}},
            "buyer_id": ID | {"nullable": True},
            "interpreter_need": {"type": "string", "maxLength": 20,
                                 "description": "e.g. ko-de"},
            "interpreter_id": ID | {"nullable": True},
        },
    },
    "BookingAction": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reason": {"type": "string", "maxLength": 2000},
            "interpreter_id": ID | {"description": "confirm only"},
            "start": INSTANT | {"description": "reschedule only"},
            "minutes": {"type": "integer", "enum": [30, 60],
                        "description": "reschedule only"},
        },
    },
    "Booking": {
        "type": "object",
        "properties": {
            "id": INT, "uid": STR, "sequence": INT, "status": STR, "office_id": INT,
            "office_code": STR, "company_id": INT,
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "time_zone": STR, "seoul": LOCAL, "office_local": LOCAL, "topic": STR,
            "video_url": STR, "video_note": STR,
            "expires_at": {"type": "string", "format": "date-time", "nullable": True},
            "manage_url": {"type": "string",
                           "description": "only in the answer that made the booking"},
            "outcome": {"$ref": "#/components/schemas/Outcome",
                        "description": "once the office recorded one"},
        },
    },
    **OUTCOME_SCHEMAS,
}  # fmt: skip


def _utc(instant: dt.datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def office_json(office: Office) -> dict[str, Any]:
    return {
        "id": office.id,
        "code": office.code,
        "name_ko": office.name_ko,
        "name_en": office.name_en,
        "city": office.city,
        "country": office.country,
        "time_zone": office.time_zone,
        "languages": office.languages,
        "meeting_minutes": office.meeting_minutes,
        "video_mode": office.video_mode.value,
    }


def booking_json(
    booking: Booking,
    office: Office,
    outcome: OutcomeView | None = None,
    *,
    with_notes: bool = False,
) -> dict[str, Any]:
    """The booking as the API shows it; ``outcome`` once the office recorded
    one (its notes only ``with_notes``: the office and staff)."""
    data = {
        "id": booking.id,
        "uid": booking.uid,
        "sequence": booking.sequence,
        "status": booking.status.value,
        "office_id": office.id,
        "office_code": office.code,
        "company_id": booking.company_id,
        "start": _utc(booking.start_at),
        "end": _utc(booking.end_at),
        "minutes": int((booking.end_at - booking.start_at).total_seconds() // 60),
        "time_zone": booking.time_zone,
        "seoul": local_json(booking.start_at, SEOUL),
        "office_local": local_json(booking.start_at, booking.time_zone),
        "topic": booking.topic,
        "product_ids": booking.product_ids,
        "languages": booking.languages,
        "buyer_id": booking.buyer_id,
        "interpreter_need": booking.interpreter_need,
        "interpreter_id": booking.interpreter_id,
        "expires_at": _utc(booking.expires_at),
        "video_url": booking.video_url,
        "video_note": booking.video_note,
        "decision_reason": booking.decision_reason,
    }
    if outcome is not None:
        data["outcome"] = outcome.as_json(with_notes=with_notes)
    return data


async def list_offices(request: web.Request) -> web.Response:
    await booking_user(request)
    async with request.app[SESSIONS]() as db:
        offices = await db.scalars(
            select(Office).where(Office.active.is_(True)).order_by(Office.code)
        )
        return web.json_response({"offices": [office_json(o) for o in offices]})


def _date(
    value: str | None, field: str, default: dt.date, errors: FieldErrors
) -> dt.date:
    if not value:
        return default
    return clean_date(value, errors, field) or default


async def office_slots(request: web.Request) -> web.Response:
    """Free slots whose start falls on dates ``from``..``to`` (inclusive) in ``tz``."""
    user = await booking_user(request)
    zone = parse_zone(request.query.get("tz"))
    moment = now(request)
    errors = FieldErrors()
    today = moment.astimezone(ZoneInfo(zone)).date()
    first = _date(request.query.get("from"), "from", today, errors)
    last = _date(request.query.get("to"), "to", first + dt.timedelta(days=6), errors)
    minutes = parse_int(request.query.get("minutes"), "minutes", errors)
    interpreter_id = parse_int(
        request.query.get("interpreter_id"), "interpreter_id", errors
    )
    if not 0 <= (last - first).days < MAX_RANGE_DAYS:
        errors.add("to", "기간은 62일 이내로 해 주세요.", "Ask for at most 62 days.")
    if minutes not in (None, 30, 60):
        errors.add("minutes", "30 또는 60입니다.", "30 or 60.")
    errors.raise_if_any()
    start = dt.datetime.combine(first, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)
    end = dt.datetime.combine(
        last + dt.timedelta(days=1), dt.time(), ZoneInfo(zone)
    ).astimezone(dt.UTC)
    async with request.app[SESSIONS]() as db:
        office = await office_for(db, parse_id(request.match_info["office_id"]))
        interpreter = (
            await db.get(Interpreter, interpreter_id) if interpreter_id else None
        )
        slots = await find_slots(
            db, office, start, end, moment,
            minutes=minutes,
            company_id=user.company_id if user.role is Role.COMPANY else None,
            interpreter=interpreter,
        )  # fmt: skip
    return web.json_response(
        {
            "office": office_json(office),
            "tz": zone,
            "slots": [slot_json(s, office.time_zone, zone) for s in slots],
        }
    )


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.body_exists else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed(
            {"body": Text("JSON 객체를 보내 주세요.", "Send a JSON object.")}
        )
    return body


def booking_request(body: dict[str, Any], key: str | None) -> BookingRequest:
    """Validate the JSON body's types; the content rules are the service's."""
    refuse_unknown(body, BOOKING_FIELDS)
    errors = FieldErrors()
    office_id = parse_int(body.get("office_id"), "office_id", errors)
    start = parse_instant(str(body.get("start") or ""), "start", errors)
    minutes = parse_int(body.get("minutes"), "minutes", errors)
    buyer_id = parse_int(body.get("buyer_id"), "buyer_id", errors)
    interpreter_id = parse_int(body.get("interpreter_id"), "interpreter_id", errors)
    products = body.get("product_ids") or []
    languages = body.get("languages") or ["ko"]
    if not (
        isinstance(products, list)
        and len(products) <= MAX_LIST
        and all(clean_int(p, FieldErrors(), "_", lo=1) for p in products)
    ):
        errors.add(
            "product_ids", "제품 번호 목록이어야 합니다.", "A list of product ids."
        )
    if not (
        isinstance(languages, list)
        and len(languages) <= MAX_LIST
        and all(isinstance(x, str) and 0 < len(x) <= 10 for x in languages)
    ):
        errors.add(
            "languages", "언어 코드 목록이어야 합니다.", "A list of language codes."
        )
    if office_id is None:
        errors.add("office_id", "사무소를 골라 주세요.", "Choose an office.")
    for name in ("topic", "interpreter_need"):
        if not isinstance(body.get(name, ""), str | None):
            errors.add(name, "문자열이어야 합니다.", "Must be a string.")
    errors.raise_if_any()
    if office_id is None or start is None:  # pragma: no cover - errors raised above
        raise AssertionError
    return BookingRequest(
        office_id=office_id,
        start=start,
        minutes=minutes or 0,
        topic=str(body.get("topic") or ""),
        product_ids=tuple(products),
        languages=tuple(languages),
        buyer_id=buyer_id,
        interpreter_need=str(body.get("interpreter_need") or ""),
        interpreter_id=interpreter_id,
        idempotency_key=key,
    )


async def create_booking_api(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    body = await json_object(request)
    key = request.headers.get("Idempotency-Key") or None
    settings = request.app[SETTINGS]
    req = booking_request(body, key)
    async with request.app[SESSIONS]() as db:
        office = await office_for(db, req.office_id)
    if not req.minutes:
        req = dataclasses.replace(req, minutes=office.meeting_minutes)
    result = await request_booking(
        request.app[SESSIONS], settings, user, req, now(request)
    )
    data = booking_json(result.booking, office)
    if result.manage_token:
        data["manage_url"] = manage_url(settings, result.manage_token)
    return web.json_response(data, status=200 if result.replayed else 201)


async def _with_outcome(
    request: web.Request, booking_id: int, user: User
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        booking, office, actor = await booking_for_user(db, user, booking_id)
        outcome = (await outcome_views(db, [booking.id])).get(booking.id)
    notes = actor.kind in ("office", "staff")
    return web.json_response(booking_json(booking, office, outcome, with_notes=notes))


async def get_booking_api(request: web.Request) -> web.Response:
    user = await booking_user(request)
    return await _with_outcome(
        request, parse_id(request.match_info["booking_id"]), user
    )


async def put_outcome_api(request: web.Request) -> web.Response:
    """Record or edit what came of a held consultation (its office)."""
    user = await booking_user(request)
    booking_id = parse_id(request.match_info["booking_id"])
    body = await json_object(request)
    async with request.app[SESSIONS]() as db:
        booking, _, actor = await booking_for_user(db, user, booking_id)
    check_can_record(booking, actor, now(request))
    refuse_unknown(body, OUTCOME_FIELDS)
    data = clean_outcome(body)
    await save_outcome(request.app[SESSIONS], booking.id, actor, data, now(request))
    return await _with_outcome(request, booking.id, user)


def booking_action_api(action: str) -> Handler:
    """The handler of ``POST /api/v1/bookings/{id}/<action>``."""

    async def handler(request: web.Request) -> web.Response:
        user = await booking_user(request)
        body = await json_object(request)
        refuse_unknown(body, ACTION_FIELDS)
        async with request.app[SESSIONS]() as db:
            booking, office, actor = await booking_for_user(
                db, user, parse_id(request.match_info["booking_id"])
            )
        changed = await apply_action(request, booking, actor, action, body)
        return web.json_response(booking_json(changed, office))

    return handler


async def booking_ics_api(request: web.Request) -> web.Response:
    user = await booking_user(request)
    async with request.app[SESSIONS]() as db:
        booking, office, actor = await booking_for_user(
            db, user, parse_id(request.match_info["booking_id"])
        )
        parties = await load_parties(db, booking)
    return ics_response(booking, office, parties, now(request), actor.kind)


def invite_viewer(actor_kind: str) -> str:
    """Whose copy of the invite an actor downloads: the office's (with every
    address) for the office and the agency's staff, else the company's."""
    return "office" if actor_kind in ("office", "staff") else "company"


def ics_response(
    booking: Booking,
    office: Office,
    parties: Any,
    moment: dt.datetime,
    actor_kind: str,
) -> web.Response:
    body = build_invite(
        booking,
        office,
        parties.company.name_en,
        parties.everyone(),
        moment,
        viewer=invite_viewer(actor_kind),
    )
    method = "REQUEST" if booking.is_live else "CANCEL"
    return web.Response(
        body=body,
        headers={
            "Content-Type": f"text/calendar; charset=utf-8; method={method}",
            "Content-Disposition": (
                f'attachment; filename="consultation-{booking.id}.ics"'
            ),
        },
    )


BOOKING_POST_HELP = (
    "Send an `Idempotency-Key` header: a retry with the same key returns the same "
    "booking (200). A taken time answers 409 with `error.slots`, fresh free slots."
)


def setup(app: web.Application) -> None:
    for name, schema in SCHEMAS.items():
        add_schema(app, name, schema)
    v1, tag = API_PREFIX, "consultations"
    booking_path = f"{v1}/bookings/{{booking_id:\\d+}}"
    add_api_route(
        app,
        "GET",
        f"{v1}/offices",
        list_offices,
        tag=tag,
        summary="Overseas offices",
        responses=(401,),
        response_schema={
            "type": "object",
            "properties": {
                "offices": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Office"},
                }
            },
        },
    )
    add_api_route(
        app,
        "GET",
        f"{v1}/offices/{{office_id:\\d+}}/slots",
        office_slots,
        tag=tag,
        summary="Free slots, with Seoul, office and `tz` local times",
        responses=(400, 401, 404),
        query=(
            ("from", DATE, "first date (YYYY-MM-DD) in tz"),
            ("to", DATE, "last date, inclusive (at most 62 days)"),
            (
                "tz",
                {"type": "string", "maxLength": 64},
                "IANA zone for dates and `viewer`; Asia/Seoul",
            ),
            (
                "minutes",
                {"type": "integer", "enum": [30, 60]},
                "30 or 60; the office's default",
            ),
            ("interpreter_id", ID, "only the interpreter's free hours"),
        ),
        response_schema={
            "type": "object",
            "properties": {
                "slots": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Slot"},
                }
            },
        },
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/bookings",
        create_booking_api,
        tag=tag,
        summary="Request a consultation (pending until the office confirms)",
        description=BOOKING_POST_HELP,
        request_schema="BookingInput",
        response_schema="Booking",
        success=201,
        responses=(400, 401, 403, 404, 409),
    )
    add_api_route(
        app,
        "GET",
        booking_path,
        get_booking_api,
        tag=tag,
        summary="One booking",
        description=(
            "One booking, with its `outcome` once the office recorded one (the"
            " company sees no `notes`; the buyer's contact details are never in it)."
        ),
        response_schema="Booking",
    )
    add_api_route(
        app,
        "GET",
        f"{booking_path}.ics",
        booking_ics_api,
        tag=tag,
        summary="The booking's iCalendar invite (text/calendar)",
        response_schema={"type": "string"},
        response_content="text/calendar",
    )
    add_api_route(
        app,
        "PUT",
        f"{booking_path}/outcome",
        put_outcome_api,
        tag=tag,
        summary="Record or edit what came of a held consultation (its office)",
        description=(
            "Only the booking's office (or an admin), only once the confirmed"
            " meeting has ended (409 before). A `deal` needs `deal_value_usd` and"
            " `deal_on`; other outcomes take neither. `product_ids` are the"
            " company's own. Every change is audited. Send `version` to refuse"
            " a stale edit (409). Answers the booking with its `outcome`."
        ),
        request_schema="OutcomeInput",
        response_schema="Booking",
        responses=(400, 401, 403, 404, 409),
    )
    for action, text in (
        ("confirm", "Confirm a pending request (office); makes the video link"),
        ("decline", "Decline a pending request (office)"),
        ("cancel", "Cancel a pending or confirmed booking; frees the slot at once"),
        ("reschedule", "Move a booking to another free slot (`start`, `minutes`)"),
    ):
        add_api_route(
            app,
            "POST",
            f"{booking_path}/{action}",
            booking_action_api(action),
            tag=tag,
            summary=text,
            request_schema="BookingAction",
            response_schema="Booking",
            responses=(400, 401, 403, 404, 409),
        )
