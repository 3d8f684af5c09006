"""Consultation jobs: expire pending requests, send reminders, deliver mail.

Each job is ``async def job(sessions, settings, now) -> int`` (how much it
did), idempotent, safe to run twice or concurrently, and unaware of which
runner calls it. :data:`PERIODIC_JOBS` lists them with their intervals for the
embedded scheduler and procrastinate's periodic tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.consultations.booking import SYSTEM
from export_hub.consultations.changes import end_booking
from export_hub.consultations.models import Booking, BookingReminder, BookingStatus
from export_hub.consultations.notify import notify
from export_hub.errors import Conflict
from export_hub.mail import deliver_queued
from export_hub.settings import Settings

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
BATCH = 200
#: (kind, how long before the start it is due)
REMINDERS = (("1h", dt.timedelta(hours=1)), ("24h", dt.timedelta(hours=24)))


async def expire_pending(
    sessions: Sessions, settings: Settings, now: dt.datetime
) -> int:
    """Expire pending requests past their deadline and free their slots.

    Runs every minute; tells the company and the office by mail.

    Each expiry is its own compare-and-swap transaction: a request the office
    confirms at the same moment is either confirmed or expired, never both.
    """
    async with sessions() as db:
        due = list(
            await db.scalars(
                select(Booking.id)
                .where(
                    Booking.status == BookingStatus.PENDING, Booking.expires_at <= now
                )
                .order_by(Booking.expires_at)
                .limit(BATCH)
            )
        )
    expired = 0
    for booking_id in due:
        try:
            async with sessions() as db, db.begin():
                await end_booking(
                    db, settings, booking_id, SYSTEM, now, BookingStatus.EXPIRED
                )
            expired += 1
        except Conflict:
            continue  # confirmed, declined or cancelled meanwhile
    return expired


class _NoLongerConfirmed(Exception):
    """Rolls back a reminder for a meeting cancelled since it was selected."""


def reminder_due(start: dt.datetime, now: dt.datetime) -> str | None:
    """Which reminder a meeting starting at ``start`` is due at ``now``:
    ``1h`` within the last hour, ``24h`` within the last day, else None."""
    if start <= now:
        return None
    for kind, before in REMINDERS:
        if start - before <= now:
            return kind
    return None


async def send_reminders(
    sessions: Sessions, settings: Settings, now: dt.datetime
) -> int:
    """Send the 24-hour and 1-hour reminders of confirmed meetings. Every minute.

    A reminder is recorded (UNIQUE booking, kind, start) in the transaction
    that queues its mails, so it goes out once even if the job runs twice or
    on two workers at once; a rescheduled meeting earns new reminders.
    """
    async with sessions() as db:
        rows = await db.execute(
            select(Booking.id, Booking.start_at)
            .where(
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at > now,
                Booking.start_at <= now + REMINDERS[-1][1],
            )
            .order_by(Booking.start_at)
            .limit(BATCH)
        )
        due = [(bid, start, reminder_due(start, now)) for bid, start in rows]
        sent_before = set(
            await db.execute(
                select(
                    BookingReminder.booking_id,
                    BookingReminder.kind,
                    BookingReminder.start_at,
                ).where(BookingReminder.booking_id.in_([d[0] for d in due]))
            )
        )
    sent = 0
    for booking_id, start, kind in due:
        if kind is None or (booking_id, kind, start) in sent_before:
            continue
        try:
            async with sessions() as db, db.begin():
                db.add(
                    BookingReminder(
                        booking_id=booking_id, kind=kind, start_at=start, sent_at=now
                    )
                )
                await db.flush()
                booking = await db.get_one(Booking, booking_id)
                if booking.status is not BookingStatus.CONFIRMED:
                    raise _NoLongerConfirmed
                await notify(db, f"reminder_{kind}", booking, settings, now)
            sent += 1
        except (IntegrityError, _NoLongerConfirmed):
            continue  # another run sent it, or the meeting changed meanwhile
    return sent


async def deliver_mail(sessions: Sessions, settings: Settings, now: dt.datetime) -> int:
    """Send queued mail over SMTP (``mail.backend = "smtp"``). Every 30 s."""
    return await deliver_queued(sessions, settings.mail, now)


def _smtp(settings: Settings) -> bool:
    return settings.mail.backend == "smtp"


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[Sessions, Settings, dt.datetime], Awaitable[int]]
    interval_seconds: int
    #: Whether the settings give the job anything to do; a job with nothing
    #: to do is not registered, so it neither runs nor fills the runs list.
    needed: Callable[[Settings], bool] | None = None


#: For the job runner to register: name, function, interval.
PERIODIC_JOBS = (
    PeriodicJob("consultations.expire_pending", expire_pending, 60),
    PeriodicJob("consultations.send_reminders", send_reminders, 60),
    # With the outbox backend mail stays in the database: nothing to deliver.
    PeriodicJob("mail.deliver", deliver_mail, 30, needed=_smtp),
)
