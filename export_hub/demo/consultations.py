"""Consultation demo data: the offices with their hours and holidays,
interpreters, buyers, and bookings in every state (pending, confirmed with a
video link, declined, cancelled, expired).

Idempotent: offices by code, people by e-mail, bookings by their idempotency
key. Every state is reached through the real service functions, so history,
invites and outbox mails read as if people had done it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Role, User
from export_hub.consultations.availability import find_slots
from export_hub.consultations.booking import (
    Actor,
    BookingRequest,
    request_booking,
    run_booking_change,
)
from export_hub.consultations.changes import confirm_booking, end_booking
from export_hub.consultations.models import (
    Booking,
    BookingStatus,
    Buyer,
    Interpreter,
    Office,
)
from export_hub.consultations.offices import (
    add_closed_days,
    load_offices,
    read_closures,
    read_offices,
)
from export_hub.db import utcnow
from export_hub.demo.base import DemoLogin
from export_hub.settings import Settings
from jobs.consultations import expire_pending

Sessions = async_sessionmaker[AsyncSession]
WEEKDAYS = [{"weekday": d, "start": "07:00", "end": "22:00"} for d in range(5)]

INTERPRETERS = [
    (
        "Sophie Lee",
        "sophie.lee@interpreters.example",
        ["ko-en", "ko-de"],
        "Europe/Berlin",
    ),
    (
        "Minh Nguyen",
        "minh.nguyen@interpreters.example",
        ["ko-vi", "ko-en"],
        "Asia/Ho_Chi_Minh",
    ),
    (
        "Yuki Tanaka",
        "yuki.tanaka@interpreters.example",
        ["ko-ja", "ko-en"],
        "Asia/Tokyo",
    ),
]
BUYERS = [
    ("LAX", "Emily Carter", "Pacific Gourmet Imports", "US", "America/Los_Angeles"),
    ("FRA", "Jonas Weber", "Weber Feinkost GmbH", "DE", "Europe/Berlin"),
    ("SGN", "Tran Thi Mai", "Saigon Home Living", "VN", "Asia/Ho_Chi_Minh"),
    ("TYO", "Haruto Sato", "Sato Trading K.K.", "JP", "Asia/Tokyo"),
]

#: (idempotency key, office, company login, topic, what happens after the request)
BOOKINGS = [
    (
        "demo-pending-fra",
        "FRA",
        "hanbit",
        "유럽 유통망 진출 상담 / German retail entry",
        "pending",
    ),
    (
        "demo-confirmed-lax",
        "LAX",
        "hanbit",
        "미국 아마존 판매 전략 / Amazon US strategy",
        "confirmed",
    ),
    (
        "demo-confirmed-sgn",
        "SGN",
        "daedeok",
        "베트남 바이어 미팅 / Vietnamese buyer",
        "confirmed",
    ),
    (
        "demo-declined-sha",
        "SHA",
        "daedeok",
        "중국 위생 인증 / China hygiene certificate",
        "declined",
    ),
    (
        "demo-cancelled-tyo",
        "TYO",
        "hanbit",
        "일본 라쿠텐 입점 / Rakuten Japan",
        "cancelled",
    ),
    (
        "demo-expired-jkt",
        "JKT",
        "daedeok",
        "인도네시아 할랄 인증 / Halal certification",
        "expired",
    ),
]


async def load_consultations_demo(
    sessions: Sessions, settings: Settings
) -> list[DemoLogin]:
    """Offices, interpreters, buyers and demo bookings (idempotent)."""
    now = utcnow()
    async with sessions.begin() as db:
        await load_offices(db, read_offices(settings.consultations.offices_file))
        await add_closed_days(db, read_closures(settings.consultations.closures_file))
        await _people(db)
    for key, code, login, topic, outcome in BOOKINGS:
        await _demo_booking(sessions, settings, now, key, code, login, topic, outcome)
    return []


async def _people(db: AsyncSession) -> None:
    if not await db.scalar(select(func.count(Interpreter.id))):
        for name, email, pairs, zone in INTERPRETERS:
            db.add(
                Interpreter(
                    name=name,
                    email=email,
                    language_pairs=pairs,
                    time_zone=zone,
                    availability=WEEKDAYS,
                )
            )
    if not await db.scalar(select(func.count(Buyer.id))):
        offices = {o.code: o.id for o in await db.scalars(select(Office))}
        for code, name, company, country, zone in BUYERS:
            db.add(
                Buyer(
                    office_id=offices.get(code),
                    name=name,
                    company=company,
                    country=country,
                    time_zone=zone,
                    email=f"{name.split()[0].lower()}@buyers.example",
                )
            )


async def _demo_booking(
    sessions: Sessions,
    settings: Settings,
    now: dt.datetime,
    key: str,
    code: str,
    login: str,
    topic: str,
    outcome: str,
) -> None:
    async with sessions() as db:
        user = await db.scalar(
            select(User).where(User.email.like(f"{login}@%"), User.role == Role.COMPANY)
        )
        if user is None or await db.scalar(
            select(Booking.id).where(Booking.idempotency_key == key)
        ):
            return
        office = await db.scalar(select(Office).where(Office.code == code))
        if office is None:
            return
        buyer = await db.scalar(select(Buyer).where(Buyer.office_id == office.id))
        # An expired request was made long enough ago for its deadline to pass.
        asked_at = now - dt.timedelta(
            hours=settings.consultations.pending_expiry_hours + 2
        )
        at = asked_at if outcome == "expired" else now
        slots = await find_slots(
            db,
            office,
            at + dt.timedelta(days=2),
            at + dt.timedelta(days=30),
            at,
            company_id=user.company_id,
        )
    if not slots:
        return
    slot = slots[min(2, len(slots) - 1)]
    request = BookingRequest(
        office_id=office.id,
        start=slot.start,
        minutes=int((slot.end - slot.start).total_seconds() // 60),
        topic=topic,
        languages=("ko", "en"),
        buyer_id=buyer.id if buyer and outcome == "confirmed" else None,
        idempotency_key=key,
    )
    made = await request_booking(sessions, settings, user, request, at)
    booking_id = made.booking.id
    office_actor, company_actor = Actor("office"), Actor("company", user)

    async def finish(db: AsyncSession) -> Booking:
        if outcome == "confirmed":
            return await confirm_booking(db, settings, booking_id, office_actor, now)
        if outcome == "declined":
            return await end_booking(
                db,
                settings,
                booking_id,
                office_actor,
                now,
                BookingStatus.DECLINED,
                reason="이 주제는 본사 담당입니다 / handled at headquarters",
            )
        return await end_booking(
            db,
            settings,
            booking_id,
            company_actor,
            now,
            BookingStatus.CANCELLED,
            reason="일정 변경 / schedule change",
        )

    if outcome in ("confirmed", "declined", "cancelled"):
        await run_booking_change(
            sessions, settings, finish, office_id=office.id, near=slot.start, now=now
        )
    elif outcome == "expired":
        await expire_pending(sessions, settings, now)
