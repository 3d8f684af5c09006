"""A company sees a buyer's name and company, never their contact details;
the office, which organises the meeting, sees everyone's."""

from __future__ import annotations

from urllib.parse import quote

from icalendar import Calendar

from tests.consultations.conftest import FRA_SLOT, book, logged_in

BUYER_EMAIL = "jonas@weber.example"
INTERPRETER_EMAIL = "anna@interp.example"


async def test_company_pages_and_invites_hide_contacts(
    web_client, world, sessions, settings
) -> None:
    made = await book(
        sessions,
        settings,
        world.company_user,
        world.offices["FRA"],
        FRA_SLOT,
        buyer_id=world.buyer.id,
        interpreter_need="ko-de",
        interpreter_id=world.interpreter.id,
        languages=("ko", "de"),
    )
    booking_id = made.booking.id
    await logged_in(web_client, world.company_user.email)
    form = await web_client.get(
        f"/consultations/offices/FRA/request?start={quote(FRA_SLOT.isoformat())}"
    )
    page = await form.text()
    assert form.status == 200
    assert "Jonas Weber" in page
    assert "Weber Handel GmbH" in page
    assert BUYER_EMAIL not in page
    detail = await (
        await web_client.get(f"/consultations/bookings/{booking_id}")
    ).text()
    assert "Jonas Weber" in detail
    assert BUYER_EMAIL not in detail
    assert INTERPRETER_EMAIL not in detail
    resp = await web_client.get(f"/consultations/bookings/{booking_id}/invite.ics")
    assert resp.status == 200
    raw = (await resp.read()).decode()
    assert BUYER_EMAIL not in raw
    assert INTERPRETER_EMAIL not in raw
    event = next(iter(Calendar.from_ical(raw).walk("VEVENT")))
    assert "Jonas Weber (Weber Handel GmbH)" in str(event["DESCRIPTION"])
    assert str(event["ATTENDEE"]) == f"mailto:{world.company_user.email}"
    # The manage link is the company too.
    manage = f"/consultations/manage/{made.manage_token}/invite.ics"
    web_client.session.cookie_jar.clear()
    raw = (await (await web_client.get(manage)).read()).decode()
    assert "BEGIN:VCALENDAR" in raw
    assert BUYER_EMAIL not in raw
    # The office's copy names every participant's address.
    await logged_in(web_client, world.office_user.email)
    resp = await web_client.get(f"/consultations/bookings/{booking_id}/invite.ics")
    raw = (await resp.read()).decode()
    assert BUYER_EMAIL in raw
    assert INTERPRETER_EMAIL in raw
    assert world.company_user.email in raw
