"""What the web pages and the JSON API share: the clock, who may act on a
booking, and running one booking action as a unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Role, User
from export_hub.consultations.booking import Actor, actor_for, run_booking_change
from export_hub.consultations.changes import (
    confirm_booking,
    end_booking,
    reschedule_booking,
)
from export_hub.consultations.models import Booking, BookingStatus, Office
from export_hub.db import utcnow
from export_hub.errors import FieldErrors, NotFound, PermissionDenied, Text
from export_hub.validation import clean_instant, clean_int, is_zone
from export_hub.web.auth import require_user
from export_hub.web.keys import SESSIONS, SETTINGS


@dataclass
class Clock:
    """The consultations' notion of now; tests pin it with ``fixed``."""

    fixed: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self.fixed if self.fixed is not None else utcnow()


CLOCK = web.AppKey("consultations_clock", Clock)
ACTIONS = ("confirm", "decline", "cancel", "reschedule")
OFFICE_ONLY = frozenset({"confirm", "decline"})


def now(request: web.Request) -> dt.datetime:
    return request.app[CLOCK].now()


async def office_for(db: AsyncSession, code_or_id: str | int) -> Office:
    query = select(Office).where(
        Office.id == code_or_id
        if isinstance(code_or_id, int)
        else Office.code == code_or_id
    )
    office = await db.scalar(query)
    if office is None:
        raise NotFound()
    return office


async def booking_for_user(
    db: AsyncSession, user: User, booking_id: int
) -> tuple[Booking, Office, Actor]:
    """The booking, its office and the role ``user`` acts in; 404 if not theirs."""
    booking = await db.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    office = await db.get_one(Office, booking.office_id)
    return booking, office, actor_for(user, booking, office)


async def booking_user(request: web.Request) -> User:
    return await require_user(
        request, Role.ADMIN, Role.STAFF, Role.OFFICE, Role.COMPANY
    )


def parse_instant(value: str, field: str, errors: FieldErrors) -> dt.datetime | None:
    """An ISO 8601 instant with an offset (``2026-12-03T07:00:00Z``), 2000..2100."""
    return clean_instant(value, errors, field)


def parse_zone(value: str | None, default: str = "Asia/Seoul") -> str:
    """An IANA zone name (``value`` or ``default``); 400 on ``tz`` otherwise."""
    zone = (value or default).strip()
    if not is_zone(zone):
        FieldErrors(
            {"tz": Text("알 수 없는 시간대입니다.", "Unknown time zone.")}
        ).raise_if_any()
    return zone


def parse_int(value: object, field: str, errors: FieldErrors) -> int | None:
    """A non-negative integer (JSON number or ASCII digits) up to 2^31-1."""
    return clean_int(value, errors, field, lo=0)


async def apply_action(
    request: web.Request,
    booking: Booking,
    actor: Actor,
    action: str,
    values: Mapping[str, object],
) -> Booking:
    """Run ``action`` (confirm, decline, cancel, reschedule) on ``booking`` as
    ``actor``, in its own transaction. Raises 400/403/404/409 errors."""
    if action not in ACTIONS:
        raise NotFound()
    if action in OFFICE_ONLY and actor.kind not in ("office", "staff"):
        raise PermissionDenied(
            Text(
                "사무소만 확정하거나 거절할 수 있습니다.",
                "Only the office confirms or declines.",
            )
        )
    settings = request.app[SETTINGS]
    moment = now(request)
    errors = FieldErrors()
    reason = str(values.get("reason") or "")
    work: Callable[[AsyncSession], object]
    near = booking.start_at
    if action == "confirm":
        interpreter_id = parse_int(
            values.get("interpreter_id"), "interpreter_id", errors
        )
        errors.raise_if_any()

        async def work(db: AsyncSession) -> Booking:
            return await confirm_booking(
                db, settings, booking.id, actor, moment, interpreter_id=interpreter_id
            )
    elif action == "reschedule":
        start = parse_instant(str(values.get("start") or ""), "start", errors)
        minutes = parse_int(values.get("minutes"), "minutes", errors)
        errors.raise_if_any()
        assert start is not None  # noqa: S101 - parse_instant added an error otherwise
        near = start

        async def work(db: AsyncSession) -> Booking:
            return await reschedule_booking(
                db, settings, booking.id, actor, start, moment, minutes=minutes
            )
    else:
        to = BookingStatus.DECLINED if action == "decline" else BookingStatus.CANCELLED

        async def work(db: AsyncSession) -> Booking:
            return await end_booking(
                db, settings, booking.id, actor, moment, to, reason=reason
            )

    return await run_booking_change(
        request.app[SESSIONS],
        settings,
        work,
        office_id=booking.office_id,
        near=near,
        now=moment,
    )
