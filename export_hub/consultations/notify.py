"""E-mails about bookings, each in its recipient's language and time zone.

Every mail names the date and time in the recipient's zone and the other
party's local time, and carries the booking's current invite (.ics). Mails go
through :func:`export_hub.mail.enqueue`, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company, User
from export_hub.consultations.invites import Participant, build_invite
from export_hub.consultations.models import Booking, Buyer, Interpreter, Office
from export_hub.consultations.slots import describe
from export_hub.consultations.video import video_note
from export_hub.mail import Attachment, Mail, enqueue
from export_hub.settings import Settings

WEEKDAYS = {
    "ko": ("월", "화", "수", "목", "금", "토", "일"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

#: kind -> (Korean subject, English subject, Korean lead, English lead)
SUBJECTS: dict[str, tuple[str, str, str, str]] = {
    "requested": (
        "수출상담 요청 접수",
        "Consultation requested",
        "수출상담 요청이 접수되었습니다. 사무소가 확정하면 다시 알려 드립니다.",
        "A consultation was requested. You will hear again once the office confirms.",
    ),
    "confirmed": (
        "수출상담 확정",
        "Consultation confirmed",
        "수출상담이 확정되었습니다.",
        "The consultation is confirmed.",
    ),
    "declined": (
        "수출상담 요청 거절",
        "Consultation declined",
        "사무소가 수출상담 요청을 거절했습니다.",
        "The office declined the consultation request.",
    ),
    "expired": (
        "수출상담 요청 만료",
        "Consultation request expired",
        "기한 안에 확정되지 않아 요청이 만료되었습니다. 다른 시간을 골라 주세요.",
        "The request was not confirmed in time and has expired. Please pick "
        "another time.",
    ),
    "cancelled": (
        "수출상담 취소",
        "Consultation cancelled",
        "수출상담이 취소되었습니다.",
        "The consultation was cancelled.",
    ),
    "rescheduled": (
        "수출상담 일정 변경",
        "Consultation rescheduled",
        "수출상담 일정이 변경되었습니다.",
        "The consultation was moved to a new time.",
    ),
    "reminder_24h": (
        "내일 수출상담 알림",
        "Reminder: consultation in 24 hours",
        "24시간 뒤에 수출상담이 있습니다.",
        "Your consultation starts in 24 hours.",
    ),
    "reminder_1h": (
        "1시간 뒤 수출상담 알림",
        "Reminder: consultation in 1 hour",
        "1시간 뒤에 수출상담이 시작됩니다.",
        "Your consultation starts in 1 hour.",
    ),
}

#: Who hears about what: company and office always, buyer and interpreter
#: only about a meeting that is (or was) confirmed.
EVERYONE_KINDS = frozenset({"confirmed", "reminder_24h", "reminder_1h"})


def when_label(start: dt.datetime, end: dt.datetime, zone: str, lang: str) -> str:
    """``2026-12-03 (목) 16:00–17:00 KST (Asia/Seoul)``."""
    first, last = describe(start, zone), describe(end, zone)
    weekday = WEEKDAYS["en" if lang == "en" else "ko"][first.date.weekday()]
    until = f"{last.time:%H:%M}"
    if last.date != first.date:
        until = f"{last.date.isoformat()} {until}"
    return (
        f"{first.date.isoformat()} ({weekday}) {first.time:%H:%M}–{until} "
        f"{first.abbreviation} ({zone})"
    )


@dataclass(frozen=True)
class Parties:
    company: Company
    requester: User
    office: Office
    buyer: Buyer | None
    interpreter: Interpreter | None

    def everyone(self) -> list[Participant]:
        people = [
            Participant(
                "company",
                self.requester.name or self.company.name_ko,
                self.requester.email,
                self.requester.language,
                self.requester.time_zone,
            ),
            Participant(
                "office",
                self.office.name_ko
                if self.office.notify_language == "ko"
                else self.office.name_en,
                self.office.contact_email,
                self.office.notify_language,
                self.office.time_zone,
            ),
        ]
        if self.buyer is not None:
            people.append(
                Participant(
                    "buyer",
                    self.buyer.name,
                    self.buyer.email,
                    self.buyer.language,
                    self.buyer.time_zone,
                    self.buyer.company,
                )
            )
        if self.interpreter is not None:
            people.append(
                Participant(
                    "interpreter",
                    self.interpreter.name,
                    self.interpreter.email,
                    "ko",
                    self.interpreter.time_zone,
                )
            )
        return people


async def load_parties(db: AsyncSession, booking: Booking) -> Parties:
    company = await db.get_one(Company, booking.company_id)
    requester = await db.get_one(User, booking.requester_user_id)
    office = await db.get_one(Office, booking.office_id)
    buyer = await db.get(Buyer, booking.buyer_id) if booking.buyer_id else None
    interpreter = (
        await db.get(Interpreter, booking.interpreter_id)
        if booking.interpreter_id
        else None
    )
    return Parties(company, requester, office, buyer, interpreter)


def _other_zone(person: Participant, parties: Parties) -> tuple[str, str, str]:
    """(zone, Korean label, English label) of the other side for ``person``."""
    if person.role == "company":
        office = parties.office
        return office.time_zone, office.name_ko, office.name_en
    name = parties.company.name_ko, parties.company.name_en
    return parties.requester.time_zone, name[0], name[1]


def compose(
    kind: str,
    booking: Booking,
    parties: Parties,
    person: Participant,
    settings: Settings,
    now: dt.datetime,
    *,
    manage_url: str = "",
) -> Mail:
    """The mail about ``kind`` for ``person``, with the current invite."""
    ko_subject, en_subject, ko_lead, en_lead = SUBJECTS[kind]
    en = person.language == "en"
    office = parties.office
    other_zone, other_ko, other_en = _other_zone(person, parties)
    lines = [en_lead if en else ko_lead, ""]
    own = when_label(booking.start_at, booking.end_at, person.zone, person.language)
    theirs = when_label(booking.start_at, booking.end_at, other_zone, person.language)
    office_name = office.name_en if en else office.name_ko
    company_name = parties.company.name_en if en else parties.company.name_ko
    lines += [
        f"{'Office' if en else '사무소'}: {office_name} ({office.city})",
        f"{'Company' if en else '기업'}: {company_name}",
        f"{'Your time' if en else '내 시각'}: {own}",
        f"{'Their local time' if en else '상대방 현지 시각'} "
        f"({other_en if en else other_ko}): {theirs}",
        f"{'Topic' if en else '주제'}: {booking.topic}",
    ]
    if booking.video_url and booking.is_live:
        lines.append(f"{'Video link' if en else '화상회의 링크'}: {booking.video_url}")
        note = video_note(booking.video_url, person.language)
        if note:
            lines.append(note)
    if kind == "requested" and booking.expires_at is not None:
        expiry = describe(booking.expires_at, person.zone).label
        lines.append(
            f"Waiting for the office until {expiry}."
            if en
            else f"{expiry}까지 사무소의 확정을 기다립니다."
        )
    if booking.decision_reason and kind in ("declined", "cancelled"):
        lines.append(f"{'Reason' if en else '사유'}: {booking.decision_reason}")
    if manage_url and person.role == "company":
        lines.append(f"{'Change or cancel' if en else '변경·취소'}: {manage_url}")
    base = settings.web.public_base_url.rstrip("/")
    lines += ["", f"{base}/consultations/bookings/{booking.id}"]
    invite = build_invite(
        booking,
        office,
        parties.company.name_en,
        parties.everyone(),
        now,
        viewer=person.role,
    )
    method = "REQUEST" if booking.is_live else "CANCEL"
    subject = f"[Export Hub] {en_subject if en else ko_subject}: {own}"
    return Mail(
        to=person.email,
        subject=subject,
        body="\n".join(lines) + "\n",
        language="en" if en else "ko",
        related=f"booking:{booking.id}",
        attachments=(
            Attachment(
                "invite.ics", f"text/calendar; method={method}; charset=utf-8", invite
            ),
        ),
    )


async def notify(
    db: AsyncSession,
    kind: str,
    booking: Booking,
    settings: Settings,
    now: dt.datetime,
    *,
    include_guests: bool = False,
    manage_url: str = "",
) -> int:
    """Queue the ``kind`` mail for everyone concerned; returns how many.

    Buyer and interpreter hear about confirmed meetings (and, with
    ``include_guests``, about changes to one that was confirmed).
    """
    parties = await load_parties(db, booking)
    guests = include_guests or kind in EVERYONE_KINDS
    count = 0
    for person in parties.everyone():
        if person.role in ("buyer", "interpreter") and not guests:
            continue
        mail = compose(
            kind, booking, parties, person, settings, now, manage_url=manage_url
        )
        if enqueue(db, settings.mail, mail, now) is not None:
            count += 1
    return count
