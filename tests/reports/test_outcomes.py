"""Consultation outcomes: the office records and edits them (audited), the
company sees them, other offices cannot, bad input changes nothing; and the
programme report attributes the sales of the products discussed inside the
window only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.catalog.models import Product, ReviewState
from export_hub.consultations.access import CLOCK
from export_hub.consultations.booking import SYSTEM, run_booking_change
from export_hub.consultations.changes import confirm_booking
from export_hub.consultations.models import (
    ConsultationOutcome,
    OutcomeEvent,
    OutcomeProduct,
)
from export_hub.marketplaces.models import SellerAccount
from export_hub.reports.attribution import consultation_attribution
from tests.consultations.conftest import (
    FRA_SLOT,
    NOW,
    PASSWORD,
    book,
    web_client,
    world,
)
from tests.consultations.test_concurrency import bearer
from tests.reports.conftest import add_order

__all__ = ["web_client", "world"]

#: The day after the meeting (FRA_SLOT + 1 h ends it).
AFTER = FRA_SLOT + dt.timedelta(days=1)
MEETING_END = FRA_SLOT + dt.timedelta(hours=1)


@pytest.fixture
async def held(sessions, settings, world) -> dict[str, Any]:
    """A confirmed FRA consultation that has ended, with the company's mug
    and cup and another company's vase; an office user of LAX."""
    async with sessions.begin() as db:
        mug = Product(company_id=world.company.id, sku="MUG", name_ko="머그",
                      name_en="Mug", state=ReviewState.APPROVED)  # fmt: skip
        cup = Product(company_id=world.company.id, sku="CUP", name_ko="컵",
                      name_en="Cup", state=ReviewState.APPROVED)  # fmt: skip
        vase = Product(
            company_id=world.other_company_user.company_id, sku="VASE",
            name_ko="화병", name_en="Vase", state=ReviewState.APPROVED,
        )  # fmt: skip
        db.add_all([mug, cup, vase])
        await create_user(db, email="lax@office.example", password=PASSWORD,
                          role=Role.OFFICE, office_code="LAX")  # fmt: skip
    office = world.offices["FRA"]
    made = await book(
        sessions, settings, world.company_user, office, FRA_SLOT,
        product_ids=(mug.id,), buyer_id=world.buyer.id,
    )  # fmt: skip

    async def confirm(db):
        return await confirm_booking(db, settings, made.booking.id, SYSTEM, NOW)

    await run_booking_change(
        sessions, settings, confirm, office_id=office.id, near=FRA_SLOT, now=NOW
    )
    return {"booking": made.booking, "mug": mug, "cup": cup, "vase": vase}


def outcome_url(held) -> str:
    return f"/api/v1/bookings/{held['booking'].id}/outcome"


async def count_outcomes(sessions) -> tuple[int, int, int]:
    async with sessions() as db:
        return (
            await db.scalar(select(func.count(ConsultationOutcome.id))),
            await db.scalar(select(func.count(OutcomeEvent.id))),
            await db.scalar(select(func.count()).select_from(OutcomeProduct)),
        )


async def test_record_edit_audit_and_the_company_sees_it(
    web_client, world, sessions, held
):
    web_client.app[CLOCK].fixed = AFTER
    office = await bearer(sessions, world.office_user)
    deal = {
        "kind": "deal", "deal_value_usd": 12500.5, "deal_on": "2027-02-01",
        "product_ids": [held["mug"].id, held["cup"].id],
        "notes": "Buyer wants 500 units", "next_step": "Send the price list",
    }  # fmt: skip
    resp = await web_client.put(outcome_url(held), json=deal, headers=office)
    body = await resp.json()
    assert resp.status == 200, body
    assert body["outcome"]["kind"] == "deal"
    assert body["outcome"]["deal_value_usd"] == "12500.50"
    assert body["outcome"]["notes"] == "Buyer wants 500 units"
    assert body["outcome"]["version"] == 1

    edit = deal | {"kind": "quote_sent", "deal_value_usd": None, "deal_on": None,
                   "product_ids": [held["mug"].id], "version": 1}  # fmt: skip
    resp = await web_client.put(outcome_url(held), json=edit, headers=office)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["outcome"]["version"] == 2
    # A stale version is refused, and changes nothing.
    stale = await web_client.put(
        outcome_url(held), json=edit | {"kind": "no_interest"}, headers=office
    )
    assert stale.status == 409
    assert (await stale.json())["error"]["message_en"]

    async with sessions() as db:
        events = list(await db.scalars(select(OutcomeEvent).order_by(OutcomeEvent.id)))
    assert [e.action for e in events] == ["recorded", "edited"]
    assert all(e.actor_user_id == world.office_user.id for e in events)
    assert events[1].at == AFTER
    changes = events[1].details["changes"]
    assert changes["kind"] == {"old": "deal", "new": "quote_sent"}
    assert changes["deal_value_usd"] == {"old": "12500.50", "new": None}
    assert changes["product_ids"]["new"] == [held["mug"].id]
    assert "notes" not in changes

    company = await bearer(sessions, world.company_user)
    resp = await web_client.get(
        f"/api/v1/bookings/{held['booking'].id}", headers=company
    )
    text = await resp.text()
    seen = (await resp.json())["outcome"]
    assert seen["kind"] == "quote_sent"
    assert seen["next_step"] == "Send the price list"
    assert "notes" not in seen
    assert "jonas@weber.example" not in text

    # The company's bookings page shows the outcome and the next step.
    await web_client.post(
        "/login",
        data={"email": "kim@hanbit.example", "password": PASSWORD,
              "csrf_token": await _csrf(web_client)},
    )  # fmt: skip
    page = await (await web_client.get("/consultations/bookings?lang=en")).text()
    assert "Quote sent" in page
    assert "Send the price list" in page
    assert "Buyer wants 500 units" not in page


async def _csrf(client) -> str:
    from tests.conftest import csrf_from

    return await csrf_from(client, "/login")


async def test_only_its_office_records_and_only_after_the_meeting(
    web_client, world, sessions, held
):
    body = {"kind": "follow_up", "next_step": "Call in January"}
    web_client.app[CLOCK].fixed = FRA_SLOT + dt.timedelta(minutes=30)
    office = await bearer(sessions, world.office_user)
    early = await web_client.put(outcome_url(held), json=body, headers=office)
    assert early.status == 409
    assert "ended" in (await early.json())["error"]["message_en"]

    web_client.app[CLOCK].fixed = AFTER
    async with sessions() as db:
        from export_hub.accounts.models import User

        lax = await db.scalar(select(User).where(User.email == "lax@office.example"))
    other_office = await web_client.put(
        outcome_url(held), json=body, headers=await bearer(sessions, lax)
    )
    assert other_office.status == 404
    company = await web_client.put(
        outcome_url(held), json=body, headers=await bearer(sessions, world.company_user)
    )
    assert company.status == 403
    other_company = await web_client.get(
        f"/api/v1/bookings/{held['booking'].id}",
        headers=await bearer(sessions, world.other_company_user),
    )
    assert other_company.status == 404
    assert await count_outcomes(sessions) == (0, 0, 0)
    ok = await web_client.put(outcome_url(held), json=body, headers=office)
    assert ok.status == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "deal", "deal_on": "2027-01-10"}, "deal_value_usd"),
        ({"kind": "deal", "deal_value_usd": -5, "deal_on": "2027-01-10"},
         "deal_value_usd"),
        ({"kind": "deal", "deal_value_usd": "10.001", "deal_on": "2027-01-10"},
         "deal_value_usd"),
        ({"kind": "deal", "deal_value_usd": 100, "deal_on": "2026-11-01"}, "deal_on"),
        ({"kind": "deal", "deal_value_usd": 100, "deal_on": "2031-01-01"}, "deal_on"),
        ({"kind": "follow_up", "deal_value_usd": 100}, "deal_value_usd"),
        ({"kind": "maybe"}, "kind"),
        ({"kind": "follow_up", "product_ids": "VASE"}, "product_ids"),
        ({"kind": "follow_up", "surprise": 1}, "surprise"),
    ],
)  # fmt: skip
async def test_bad_input_gets_a_bilingual_400_and_saves_nothing(
    web_client, world, sessions, held, change, field
):
    web_client.app[CLOCK].fixed = AFTER
    office = await bearer(sessions, world.office_user)
    resp = await web_client.put(outcome_url(held), json=change, headers=office)
    error = (await resp.json())["error"]
    assert resp.status == 400, error
    assert error["fields"][field]["ko"]
    assert error["fields"][field]["en"]
    assert await count_outcomes(sessions) == (0, 0, 0)


async def test_a_product_of_another_company_is_refused(
    web_client, world, sessions, held
):
    web_client.app[CLOCK].fixed = AFTER
    office = await bearer(sessions, world.office_user)
    body = {
        "kind": "sample_requested",
        "product_ids": [held["mug"].id, held["vase"].id],
    }
    resp = await web_client.put(outcome_url(held), json=body, headers=office)
    assert resp.status == 400
    assert "product_ids" in (await resp.json())["error"]["fields"]
    assert await count_outcomes(sessions) == (0, 0, 0)


async def test_the_office_page_lists_records_and_counts(
    web_client, world, sessions, held
):
    from tests.conftest import login

    web_client.app[CLOCK].fixed = AFTER
    csrf = await login(web_client, "fra@office.example", PASSWORD)
    home = await (await web_client.get("/office?lang=en")).text()
    booking_id = held["booking"].id
    assert 'id="awaiting"' in home
    assert f'data-booking="{booking_id}"' in home
    assert "Record outcome" in home
    form = {
        "csrf_token": csrf, "kind": "deal", "deal_value_usd": "", "deal_on": "",
        "notes": "", "next_step": "", "product_ids": str(held["mug"].id),
    }  # fmt: skip
    bad = await web_client.post(f"/office/bookings/{booking_id}/outcome", data=form)
    text = await bad.text()
    assert bad.status == 400
    assert "A deal needs its expected value in USD." in text
    assert "계약은 예상 금액(USD)이 필요합니다." in text
    form |= {"deal_value_usd": "2,000", "deal_on": "2027-03-01"}
    saved = await web_client.post(
        f"/office/bookings/{booking_id}/outcome", data=form, allow_redirects=False
    )
    assert saved.status == 303
    page = await (await web_client.get(saved.headers["Location"])).text()
    assert 'id="history"' in page
    assert "fra@office.example" in page
    home = await (await web_client.get("/office?lang=en")).text()
    assert "Every held consultation has its outcome." in home
    assert "USD 2,000" in home
    assert 'data-kind="deal"><span class="n">1<' in home


async def test_attribution_counts_sales_inside_the_window_only(
    sessions, settings, world, held
):
    async with sessions.begin() as db:
        outcome = ConsultationOutcome(
            booking_id=held["booking"].id, kind="deal",
            deal_value_usd=Decimal("900.00"), deal_on=dt.date(2027, 1, 5),
        )  # fmt: skip
        db.add(outcome)
        await db.flush()
        db.add(OutcomeProduct(outcome_id=outcome.id, product_id=held["mug"].id))
        account = SellerAccount(
            company_id=world.company.id, marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER", region="na", seller_id="A1HANBIT",
        )  # fmt: skip
        db.add(account)
        await db.flush()
        mug, cup = held["mug"], held["cup"]
        # Inside: 10 days after; 2 mugs at 40.00, one cancelled.
        await add_order(db, account, "IN-1", "2026-12-13", [(mug, 2, 1, "40.00")])
        # Inside, on the window's last day (meeting end + 179 days).
        await add_order(db, account, "IN-2", "2027-05-31", [(mug, 1, 0, "25.00")])
        # Outside: the day after the window closes (meeting end + 181 days).
        await add_order(db, account, "OUT-1", "2027-06-02", [(mug, 5, 0, "100.00")])
        # Before the meeting; a product not discussed; a cancelled order.
        await add_order(db, account, "OUT-2", "2026-12-02", [(mug, 1, 0, "20.00")])
        await add_order(db, account, "OUT-3", "2026-12-14", [(cup, 1, 0, "10.00")])
        await add_order(
            db, account, "OUT-4", "2026-12-15", [(mug, 1, 0, "20.00")],
            status="cancelled",
        )  # fmt: skip
    assert MEETING_END.date() + dt.timedelta(days=180) == dt.date(2027, 6, 1)
    async with sessions() as db:
        report = await consultation_attribution(
            db, dt.date(2026, 1, 1), dt.date(2027, 1, 1),
            dt.datetime(2027, 12, 1, tzinfo=dt.UTC), 180,
        )  # fmt: skip
        shorter = await consultation_attribution(
            db, dt.date(2026, 1, 1), dt.date(2027, 1, 1),
            dt.datetime(2027, 12, 1, tzinfo=dt.UTC), 30,
        )  # fmt: skip
    [office] = report.by_office
    assert (office.key, office.held, office.outcomes, office.deals) == ("FRA", 1, 1, 1)
    assert office.deal_value_usd == Decimal("900.00")
    assert (office.orders, office.units) == (2, 2)
    assert office.sales == {"USD": Decimal("45.00")}
    [country] = report.by_country
    assert country.key == "DE"
    assert country.sales == {"USD": Decimal("45.00")}
    assert shorter.by_office[0].sales == {"USD": Decimal("20.00")}


async def test_the_staff_dashboard_and_csv_show_the_section(
    web_client, world, sessions, held
):
    from tests.conftest import login

    await login(web_client, "staff@agency.example", PASSWORD)
    page = await (await web_client.get("/?lang=en")).text()
    assert 'id="consultation-results"' in page
    assert "What the consultations led to" in page
    resp = await web_client.get(
        "/reports/consultations.csv?from=2026-01-01&to=2026-12-31"
    )
    text = await resp.text()
    assert resp.status == 200
    assert "Consultations held" in text
    assert "attribution_days=180" in text
    bad = await web_client.get(
        "/reports/consultations.csv?from=2026-12-31&to=2026-01-01"
    )
    assert bad.status == 400
    await login(web_client, "kim@hanbit.example", PASSWORD)
    assert (await web_client.get("/reports/consultations.csv")).status == 403
