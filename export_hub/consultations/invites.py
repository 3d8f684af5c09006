"""iCalendar invites (RFC 5545/5546) and the per-office calendar feed.

One ``UID`` per booking for its whole life; ``SEQUENCE`` is the booking's own
counter, raised on every change including cancellation. Times are UTC
(``...Z``), so no VTIMEZONE is needed and no client can misread them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from icalendar import Calendar, Event, vCalAddress, vText

from export_hub.consultations.models import Booking, BookingStatus, Office
from export_hub.consultations.slots import SEOUL, describe

PRODID = "-//Export Hub//Consultations//KO"


@dataclass(frozen=True)
class Participant:
    """Someone who takes part and gets mail: company, office, buyer, interpreter."""

    role: str  # company | office | buyer | interpreter
    name: str
    email: str
    language: str  # ko | en
    zone: str
    #: Who they work for (a buyer's company), shown beside their name.
    affiliation: str = ""


ROLE_LABELS = {
    "company": "기업 / Company",
    "buyer": "바이어 / Buyer",
    "interpreter": "통역 / Interpreter",
}


def shown_to(
    viewer: str, people: Sequence[Participant]
) -> tuple[list[Participant], list[str]]:
    """Split ``people`` for ``viewer``'s copy of the invite into attendees
    (with their addresses) and name-only lines.

    The office organises the meeting and sees everyone's address; any other
    party (the company, a buyer, an interpreter) sees its own address and the
    others by name (and company) only, never their contact details.
    """
    if viewer == "office":
        return list(people), []
    attendees, names = [], []
    for person in people:
        if person.role == viewer:
            attendees.append(person)
        elif person.role != "office":
            who = (
                f"{person.name} ({person.affiliation})"
                if person.affiliation
                else (person.name)
            )
            names.append(f"{ROLE_LABELS.get(person.role, person.role)}: {who}")
    return attendees, names


def _address(person: Participant, *, organizer: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    if not organizer:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
        address.params["CUTYPE"] = vText("INDIVIDUAL")
    return address


def _event(
    booking: Booking,
    office: Office,
    company_name: str,
    attendees: Sequence[Participant],
    now: dt.datetime,
    viewer: str = "office",
) -> Event:
    attendees, named = shown_to(viewer, attendees)
    seoul = describe(booking.start_at, SEOUL)
    local = describe(booking.start_at, office.time_zone)
    event = Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", booking.start_at.astimezone(dt.UTC))
    event.add("dtend", booking.end_at.astimezone(dt.UTC))
    event.add(
        "summary", f"수출상담 / Export consultation: {office.name_en} · {company_name}"
    )
    description = [
        f"서울 / Seoul: {seoul.label}",
        f"{office.city}: {local.label}",
        f"주제 / Topic: {booking.topic}",
        *named,
    ]
    if booking.video_url:
        description.append(f"화상회의 / Video: {booking.video_url}")
    if booking.video_note:
        description.append(booking.video_note)
    event.add("description", "\n".join(description))
    event.add(
        "status",
        {
            BookingStatus.PENDING: "TENTATIVE",
            BookingStatus.CONFIRMED: "CONFIRMED",
        }.get(booking.status, "CANCELLED"),
    )
    if booking.video_url:
        event.add("location", booking.video_url)
        event.add("url", booking.video_url)
    organizer = Participant(
        "office", office.name_en, office.contact_email, "en", office.time_zone
    )
    event.add("organizer", _address(organizer, organizer=True))
    for person in attendees:
        if person.email and person.role != "office":
            event.add("attendee", _address(person))
    return event


def build_invite(
    booking: Booking,
    office: Office,
    company_name: str,
    attendees: Sequence[Participant],
    now: dt.datetime,
    *,
    viewer: str,
) -> bytes:
    """``viewer``'s copy of the invite for the booking's current state.

    ``METHOD:REQUEST`` while it is live (pending shows as TENTATIVE),
    ``METHOD:CANCEL`` once declined, cancelled or expired. ``viewer`` is the
    role of who receives it (see :func:`shown_to`).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST" if booking.is_live else "CANCEL")
    calendar.add_component(
        _event(booking, office, company_name, attendees, now, viewer)
    )
    return bytes(calendar.to_ical())


def invite_method(booking: Booking) -> str:
    return "REQUEST" if booking.is_live else "CANCEL"


def build_feed(
    office: Office,
    bookings: Sequence[tuple[Booking, str]],
    now: dt.datetime,
) -> bytes:
    """The office's calendar feed: its bookings (with company names) as PUBLISH."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Export Hub · {office.name_en}")
    for booking, company_name in bookings:
        calendar.add_component(_event(booking, office, company_name, (), now))
    return bytes(calendar.to_ical())
