"""Order fixtures: two companies, seller accounts on Amazon and eBay, products
with stock, their listings, and the in-memory marketplace of orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user
from export_hub.catalog.models import Product, ReviewState
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.importer import ImportReport, import_orders
from export_hub.settings import Settings
from export_hub.stock import ledger
from tests.conftest import make_settings
from tests.orders import fakes

PASSWORD = "correct-horse-1"
#: One hour after the fake orders' default update instant.
NOW = fakes.T0 + dt.timedelta(hours=1)


@dataclass
class World:
    company: Company
    other: Company
    user: User
    other_user: User
    staff: User
    amazon: SellerAccount
    ebay: SellerAccount
    other_amazon: SellerAccount
    mug: Product
    cup: Product
    other_product: Product
    listings: dict[tuple[int, int], Listing]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path,
        orders={"connector_factory": "tests.orders.fakes:factory"},
    )


@pytest.fixture
def market() -> Iterator[fakes.FakeMarket]:
    fresh = fakes.FakeMarket()
    fakes.MARKET = fresh
    yield fresh
    fakes.MARKET = fakes.FakeMarket()


async def _product(
    db: AsyncSession, company: Company, sku: str, on_hand: int
) -> Product:
    product = Product(
        company_id=company.id,
        sku=sku,
        name_ko=f"제품 {sku}",
        name_en=f"Product {sku}",
        state=ReviewState.APPROVED,
    )
    db.add(product)
    await db.flush()
    await ledger.set_on_hand(db, product.id, on_hand)
    return product


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession], market: fakes.FakeMarket
) -> World:
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
        english = await create_user(
            db,
            email="jo@hanbit.example",
            password=PASSWORD,
            role=Role.COMPANY,
            company=company,
        )
        english.language = "en"
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
            marketplace_id="EBAY_US",
            seller_id="hanbit_ebay",
        )
        other_amazon = SellerAccount(
            company_id=other.id,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            region="na",
            seller_id="A2DAEDEOK",
        )
        db.add_all([amazon, ebay, other_amazon])
        await db.flush()
        mug = await _product(db, company, "MUG-1", 10)
        cup = await _product(db, company, "CUP-1", 5)
        other_product = await _product(db, other, "VASE-1", 3)
        listings: dict[tuple[int, int], Listing] = {}
        for product, account, sku in (
            (mug, amazon, "AMZ-MUG-1"),
            (mug, ebay, "MUG-1"),
            (cup, amazon, "CUP-1"),
            (cup, ebay, "CUP-1"),
            (other_product, other_amazon, "VASE-1"),
        ):
            listing = Listing(
                product_id=product.id,
                seller_account_id=account.id,
                marketplace=account.marketplace,
                sku=sku,
                status="live",
                last_quantity_assert_at=NOW - dt.timedelta(hours=1),
            )
            db.add(listing)
            listings[(product.id, account.id)] = listing
        await db.flush()
    return World(
        company,
        other,
        user,
        other_user,
        staff,
        amazon,
        ebay,
        other_amazon,
        mug,
        cup,
        other_product,
        listings,
    )


async def pull(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    account: SellerAccount,
    market: fakes.FakeMarket,
    now: dt.datetime = NOW,
) -> ImportReport:
    return await import_orders(
        sessions, settings, account.id, factory=fakes.connectors_for(market), now=now
    )


async def stock(sessions: async_sessionmaker[AsyncSession], product: Product) -> Any:
    async with sessions() as db:
        await ledger.verify(db, product.id)
        return await ledger.level(db, product.id)
