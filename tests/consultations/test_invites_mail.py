"""Invites (UID and SEQUENCE across the booking's life), e-mails in each
recipient's language and zone, SMTP delivery to a real loopback server, and
reminders sent exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import socket
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from export_hub.consultations.booking import Actor, run_booking_change
from export_hub.consultations.changes import (
    confirm_booking,
    end_booking,
    reschedule_booking,
)
from export_hub.consultations.models import BookingStatus
from export_hub.db import create_engine, session_factory
from export_hub.mail import OutboxMessage, OutboxStatus
from jobs.consultations import deliver_mail, expire_pending, send_reminders
from tests.conftest import make_settings
from tests.consultations.conftest import FRA_SLOT, NOW, book, logged_in

OFFICE = Actor("office")


async def change(sessions, settings, work) -> Any:
    return await run_booking_change(
        sessions, settings, work, office_id=1, near=FRA_SLOT, now=NOW
    )


async def life_of_a_booking(world, sessions, settings) -> int:
    """Request (with buyer), confirm (with interpreter), move, cancel."""
    made = await book(
        sessions,
        settings,
        world.company_user,
        world.offices["FRA"],
        FRA_SLOT,
        buyer_id=world.buyer.id,
        interpreter_need="ko-de",
    )
    bid = made.booking.id
    await change(
        sessions,
        settings,
        lambda db: confirm_booking(
            db, settings, bid, OFFICE, NOW, interpreter_id=world.interpreter.id
        ),
    )
    await change(
        sessions,
        settings,
        lambda db: reschedule_booking(
            db, settings, bid, OFFICE, FRA_SLOT + dt.timedelta(days=1), NOW
        ),
    )
    await change(
        sessions,
        settings,
        lambda db: end_booking(
            db, settings, bid, OFFICE, NOW, BookingStatus.CANCELLED, reason="buyer ill"
        ),
    )
    return bid


async def mails_to(sessions, address: str) -> list[email.message.EmailMessage]:
    async with sessions() as db:
        rows = await db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
        return [row.parsed() for row in rows]


def invite_of(message: email.message.EmailMessage) -> Calendar:
    [part] = [
        p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    return Calendar.from_ical(part.get_content())


async def test_uid_is_stable_and_sequence_rises_through_cancel(
    world, sessions, settings
):
    await life_of_a_booking(world, sessions, settings)
    for address in ("kim@hanbit.example", "frankfurt.office@export-hub.example"):
        messages = await mails_to(sessions, address)
        calendars = [invite_of(m) for m in messages]
        events = [next(iter(c.walk("VEVENT"))) for c in calendars]
        assert len({str(e["UID"]) for e in events}) == 1
        sequences = [int(e["SEQUENCE"]) for e in events]
        assert sequences == [0, 1, 2, 3]
        assert [str(c["METHOD"]) for c in calendars] == [
            "REQUEST",
            "REQUEST",
            "REQUEST",
            "CANCEL",
        ]
        assert [str(e["STATUS"]) for e in events] == [
            "TENTATIVE",
            "CONFIRMED",
            "CONFIRMED",
            "CANCELLED",
        ]
        for event in events:
            assert event.decoded("DTSTAMP").tzinfo is not None
            assert (
                str(event["ORGANIZER"]) == "mailto:frankfurt.office@export-hub.example"
            )
        assert events[1].decoded("DTSTART") == FRA_SLOT
        assert events[2].decoded("DTSTART") == FRA_SLOT + dt.timedelta(days=1)
        assert str(events[1]["LOCATION"]).startswith("https://teams.microsoft.com/")
        found = events[1].get("ATTENDEE")
        attendees = {str(a) for a in (found if isinstance(found, list) else [found])}
        everyone = {
            "mailto:kim@hanbit.example",
            "mailto:jonas@weber.example",
            "mailto:anna@interp.example",
        }
        if address == "kim@hanbit.example":
            # The company's copy: its own address; the buyer by name only.
            assert attendees == {"mailto:kim@hanbit.example"}
            raw = invite_of(messages[1]).to_ical().decode()
            assert "weber.example" not in raw
            assert "interp.example" not in raw
            assert "Buyer" in str(events[1]["DESCRIPTION"])
        else:
            assert everyone <= attendees


async def test_buyer_and_interpreter_hear_only_about_the_meeting(
    world, sessions, settings
):
    await life_of_a_booking(world, sessions, settings)
    buyer = await mails_to(sessions, "jonas@weber.example")
    # confirmed, rescheduled, cancelled: not the pending request
    assert [m["Subject"].split(":")[0] for m in buyer] == [
        "[Export Hub] Consultation confirmed",
        "[Export Hub] Consultation rescheduled",
        "[Export Hub] Consultation cancelled",
    ]
    assert all(m["Content-Language"] == "en" for m in buyer)


async def test_invite_page_and_mail_show_the_same_instant(
    web_client, world, sessions, settings
):
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    [request_mail] = await mails_to(sessions, "kim@hanbit.example")
    event = next(iter(invite_of(request_mail).walk("VEVENT")))
    start = event.decoded("DTSTART")
    assert start == made.booking.start_at == FRA_SLOT
    body = request_mail.get_body(preferencelist=("plain",)).get_content()
    seoul, berlin = "2026-12-03 (목) 16:00–17:00 KST", "2026-12-03 (목) 08:00–09:00 CET"
    assert f"내 시각: {seoul} (Asia/Seoul)" in body
    assert f"{berlin} (Europe/Berlin)" in body
    assert "/consultations/manage/" in body
    await logged_in(web_client, "kim@hanbit.example")
    page = await (
        await web_client.get(f"/consultations/bookings/{made.booking.id}")
    ).text()
    assert seoul in page
    assert berlin in page
    [office_mail] = await mails_to(sessions, "frankfurt.office@export-hub.example")
    office_body = office_mail.get_body(preferencelist=("plain",)).get_content()
    assert f"내 시각: {berlin} (Europe/Berlin)" in office_body
    assert seoul in office_body


async def test_reminders_go_out_once_even_when_runs_overlap(world, sessions, settings):
    made = await book(
        sessions,
        settings,
        world.company_user,
        world.offices["FRA"],
        FRA_SLOT,
        buyer_id=world.buyer.id,
    )
    await change(
        sessions,
        settings,
        lambda db: confirm_booking(db, settings, made.booking.id, OFFICE, NOW),
    )
    day_before = FRA_SLOT - dt.timedelta(hours=23)
    runs = await asyncio.gather(
        *(send_reminders(sessions, settings, day_before) for _ in range(3))
    )
    assert sum(runs) == 1
    assert (
        await send_reminders(sessions, settings, day_before + dt.timedelta(minutes=5))
        == 0
    )
    hour_before = FRA_SLOT - dt.timedelta(minutes=50)
    runs = await asyncio.gather(
        *(send_reminders(sessions, settings, hour_before) for _ in range(3))
    )
    assert sum(runs) == 1
    subjects = [m["Subject"] for m in await mails_to(sessions, "jonas@weber.example")]
    assert sum("24 hours" in s for s in subjects) == 1
    assert sum("1 hour" in s for s in subjects) == 1
    assert (
        await send_reminders(sessions, settings, FRA_SLOT + dt.timedelta(minutes=1))
        == 0
    )


async def test_pending_requests_expire_and_free_the_slot(world, sessions, settings):
    made = await book(
        sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
    )
    assert made.booking.expires_at == NOW + dt.timedelta(hours=48)
    assert await expire_pending(sessions, settings, made.booking.expires_at) == 1
    assert await expire_pending(sessions, settings, made.booking.expires_at) == 0
    subjects = [m["Subject"] for m in await mails_to(sessions, "kim@hanbit.example")]
    assert "수출상담 요청 만료" in subjects[-1]
    again = await book(
        sessions, settings, world.other_company_user, world.offices["FRA"], FRA_SLOT
    )
    assert again.booking.status is BookingStatus.PENDING


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


async def test_smtp_delivery_to_a_loopback_server(
    world, database_url, tmp_path, smtp_server
):
    inbox, port = smtp_server
    settings = make_settings(
        database_url, tmp_path, mail={"backend": "smtp", "smtp_port": port}
    )
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await book(
            sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
        )
        async with sessions() as db:
            queued = list(await db.scalars(select(OutboxMessage)))
        assert {m.status for m in queued} == {OutboxStatus.QUEUED}
        sent = await deliver_mail(sessions, settings, NOW)
        assert sent == len(queued) == 2
        assert await deliver_mail(sessions, settings, NOW) == 0
        recipients = sorted(str(m["To"]) for m in inbox.messages)
        assert recipients == [
            "frankfurt.office@export-hub.example",
            "kim@hanbit.example",
        ]
        company_mail = next(
            m for m in inbox.messages if m["To"] == "kim@hanbit.example"
        )
        assert str(company_mail["Subject"]).startswith(
            "[Export Hub] 수출상담 요청 접수"
        )
        calendar = invite_of(company_mail)
        assert str(calendar["METHOD"]) == "REQUEST"
        async with sessions() as db:
            statuses = set(await db.scalars(select(OutboxMessage.status)))
        assert statuses == {OutboxStatus.SENT}
    finally:
        await engine.dispose()


async def test_an_unreachable_smtp_server_leaves_mail_queued(
    world, database_url, tmp_path
):
    settings = make_settings(
        database_url, tmp_path, mail={"backend": "smtp", "smtp_port": free_port()}
    )
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await book(
            sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
        )
        assert await deliver_mail(sessions, settings, NOW) == 0
        async with sessions() as db:
            rows = list(await db.scalars(select(OutboxMessage)))
        assert {r.status for r in rows} == {OutboxStatus.QUEUED}
        assert all(r.attempts == 1 and r.last_error for r in rows)
    finally:
        await engine.dispose()


class Authenticator:
    """Accepts one user name and password (AUTH PLAIN/LOGIN)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert isinstance(auth_data, LoginPassword)
        self.seen.append(auth_data.login.decode())
        ok = auth_data.login == b"agency" and auth_data.password == b"mail-secret-1"
        return AuthResult(success=ok)


async def test_smtp_log_in_from_settings(world, database_url, tmp_path):
    inbox, auth = Inbox(), Authenticator()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=auth,
        auth_require_tls=False,
    )
    controller.start()
    try:
        settings = make_settings(
            database_url,
            tmp_path,
            mail={
                "backend": "smtp",
                "smtp_port": controller.port,
                "smtp_username": "agency",
                "smtp_password": "mail-secret-1",
            },
        )
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        try:
            await book(
                sessions, settings, world.company_user, world.offices["FRA"], FRA_SLOT
            )
            assert await deliver_mail(sessions, settings, NOW) == 2
        finally:
            await engine.dispose()
    finally:
        controller.stop()
    assert auth.seen == ["agency", "agency"]
    assert len(inbox.messages) == 2
