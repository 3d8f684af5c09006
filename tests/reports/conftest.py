"""Report fixtures: two companies with orders in USD, EUR and KRW, some
cancelled or refunded, and USD/EUR rates entered either way round."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user
from export_hub.catalog.models import Product, ReviewState
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.models import Order, OrderLine
from export_hub.pricing.rates import record_rate

PASSWORD = "correct-horse-1"


@dataclass
class World:
    company: Company
    other: Company
    user: User
    other_user: User
    staff: User
    mug: Product
    cup: Product


def utc(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), dt.UTC)


async def add_order(
    db: AsyncSession,
    account: SellerAccount,
    number: str,
    purchased: str,
    lines: list[tuple[Product | None, int, int, str]],
    *,
    status: str = "shipped",
    currency: str = "USD",
    country: str = "US",
    refunded: str = "0",
) -> Order:
    """``lines``: (product, quantity, cancelled, line amount)."""
    order = Order(
        seller_account_id=account.id,
        company_id=account.company_id,
        marketplace=account.marketplace,
        marketplace_order_id=number,
        status=status,
        purchased_at=utc(purchased),
        marketplace_updated_at=utc(purchased),
        ship_to_country=country,
        currency=currency,
        total=sum(Decimal(a) for *_, a in lines),
        refunded=Decimal(refunded),
    )
    db.add(order)
    await db.flush()
    for index, (product, quantity, cancelled, amount) in enumerate(lines):
        db.add(
            OrderLine(
                order_id=order.id,
                line_id=f"{number}-{index}",
                sku=product.sku if product else "LOOSE",
                product_id=product.id if product else None,
                quantity=quantity,
                cancelled=cancelled,
                amount=Decimal(amount),
                currency=currency,
            )
        )
    await db.flush()
    return order


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    async with sessions.begin() as db:
        company = Company(name_ko="한빛식품", name_en="Hanbit Foods", brn="1234567891")
        other = Company(name_ko="대덕공예", name_en="Daedeok Crafts", brn="1234567892")
        db.add_all([company, other])
        await db.flush()
        user = await create_user(
            db,
            email="kim@hanbit.example",
            password=PASSWORD,
            role=Role.COMPANY,
            company=company,
        )
        other_user = await create_user(
            db,
            email="lee@daedeok.example",
            password=PASSWORD,
            role=Role.COMPANY,
            company=other,
        )
        staff = await create_user(
            db, email="staff@agency.example", password=PASSWORD, role=Role.STAFF
        )
        mug = Product(
            company_id=company.id,
            sku="MUG",
            name_ko="머그",
            name_en="Mug",
            state=ReviewState.APPROVED,
        )
        cup = Product(
            company_id=company.id,
            sku="CUP",
            name_ko="컵",
            name_en="Cup",
            state=ReviewState.APPROVED,
        )
        vase = Product(
            company_id=other.id,
            sku="VASE",
            name_ko="화병",
            name_en="Vase",
            state=ReviewState.APPROVED,
        )
        db.add_all([mug, cup, vase])
        amazon = SellerAccount(
            company_id=company.id,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            region="na",
            seller_id="A1HANBIT",
        )
        ebay = SellerAccount(
            company_id=company.id,
            marketplace="ebay",
            marketplace_id="EBAY_DE",
            region="eu",
            seller_id="hanbit",
        )
        other_amazon = SellerAccount(
            company_id=other.id,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            region="na",
            seller_id="A1DAEDEOK",
        )
        db.add_all([amazon, ebay, other_amazon])
        await db.flush()
        # 1 USD = 1300 KRW from Jan 1; from Jan 15 entered the other way round.
        await record_rate(
            db,
            base="USD",
            quote="KRW",
            rate=Decimal(1300),
            effective_on=dt.date(2026, 1, 1),
            source="staff",
        )
        await record_rate(
            db,
            base="KRW",
            quote="USD",
            rate=Decimal("0.0008"),
            effective_on=dt.date(2026, 1, 15),
            source="staff",
        )
        await record_rate(
            db,
            base="EUR",
            quote="KRW",
            rate=Decimal(1500),
            effective_on=dt.date(2026, 2, 1),
            source="staff",
        )
        # January, USD: 2 mugs at 20.00 + 1 cup at 10.00, one mug cancelled.
        await add_order(
            db,
            amazon,
            "A-1",
            "2026-01-10",
            [(mug, 2, 1, "40.00"), (cup, 1, 0, "10.00")],
        )
        # Jan 20 (rate 1250 by the inverse entry): 1 mug 20.00, 5.00 refunded.
        await add_order(
            db,
            amazon,
            "A-2",
            "2026-01-20",
            [(mug, 1, 0, "20.00")],
            refunded="5.00",
            country="CA",
        )
        # Cancelled and refunded orders count nothing.
        await add_order(
            db, amazon, "A-3", "2026-01-21", [(mug, 3, 0, "60.00")], status="cancelled"
        )
        await add_order(
            db,
            amazon,
            "A-4",
            "2026-01-22",
            [(cup, 1, 0, "10.00")],
            status="refunded",
            refunded="10.00",
        )
        # EUR in January has no rate yet (from Feb 1); in February it has.
        await add_order(
            db,
            ebay,
            "E-1",
            "2026-01-25",
            [(cup, 1, 0, "12.00")],
            currency="EUR",
            country="DE",
        )
        await add_order(
            db,
            ebay,
            "E-2",
            "2026-02-03",
            [(mug, 2, 0, "30.00")],
            currency="EUR",
            country="DE",
        )
        # The other company's order must never show in the company's figures.
        await add_order(db, other_amazon, "O-1", "2026-01-12", [(vase, 1, 0, "99.00")])
    return World(company, other, user, other_user, staff, mug, cup)
