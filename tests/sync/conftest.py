"""Sync fixtures: both emulators on real sockets, settings aimed at them, and
demo-like companies with approved products and connected seller accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.amazon import (
    AmazonEmulator,
    EmulatorConfig,
    SellerConfig,
    amazon_settings_overrides,
)
from emulators.ebay import EbayEmulator
from emulators.ebay import EmulatorConfig as EbayConfig
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.db import transaction, utcnow
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.models import ExchangeRate
from export_hub.security import SecretBox
from export_hub.settings import Settings
from tests.conftest import make_settings

US = "ATVPDKIKX0DER"
#: Emulator rates run this many times faster than documented.
SCALE = 20.0


@dataclass(frozen=True)
class DemoCompany:
    brn: str
    name: str
    brand: str
    prefix: str
    amazon_seller: str
    ebay_user: str
    #: Brands the Amazon seller may use; ``[]``: none approved yet.
    approved: list[str] | None
    products: int = 3


COMPANIES = [
    DemoCompany(
        "3058112341",
        "Hanbit Foods Co., Ltd.",
        "Hanbit Farm",
        "HB",
        "A2HANBITTEST01",
        "hanbit_foods",
        ["Hanbit Farm"],
    ),
    DemoCompany(
        "3148620457",
        "Daedeok Precision Co., Ltd.",
        "DDK Steel",
        "DDK",
        "A3DAEDEOKTEST2",
        "daedeok_precision",
        ["DDK Steel"],
    ),
]
#: A company whose Amazon seller is not approved for its brand.
UNAPPROVED = DemoCompany(
    "3068127814",
    "Yuseong Cosmetics",
    "Onsen Lab",
    "YC",
    "A1YUSEONGTEST3",
    "yuseong_cosmetics",
    [],
    products=1,
)


def refresh_token(seller: str) -> str:
    return f"Atzr|test-{seller}"


def amazon_emulator_config() -> EmulatorConfig:
    """The Amazon emulator the sync tests (and the order e2e tests) run."""
    return EmulatorConfig(
        sellers=[
            SellerConfig(
                c.amazon_seller, [refresh_token(c.amazon_seller)], c.approved, c.name
            )
            for c in (*COMPANIES, UNAPPROVED)
        ],
        processing_delay_seconds=0.1,
        feed_delay_seconds=0.1,
        rate_scale=SCALE,
    )


def ebay_emulator_config() -> EbayConfig:
    return EbayConfig(rate_per_second=10.0, rate_burst=10, rate_scale=SCALE)


@pytest.fixture
def amazon_config() -> EmulatorConfig:
    return amazon_emulator_config()


@pytest.fixture
def ebay_config() -> EbayConfig:
    return ebay_emulator_config()


@pytest.fixture
async def amazon(amazon_config: EmulatorConfig) -> AsyncIterator[AmazonEmulator]:
    async with AmazonEmulator(amazon_config) as emu:
        yield emu


@pytest.fixture
async def ebay(ebay_config: EbayConfig) -> AsyncIterator[EbayEmulator]:
    async with EbayEmulator(ebay_config) as emu:
        yield emu


def sync_settings(
    database_url: str,
    tmp_path: Path,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
    **overrides: Any,
) -> Settings:
    """Settings aimed at both emulators, retrying fast."""
    return make_settings(
        database_url,
        tmp_path,
        amazon={
            **amazon_settings_overrides(amazon.base_url),
            "lwa_client_id": amazon.config.client_id,
            "lwa_client_secret": amazon.config.client_secret,
            "application_id": amazon.config.application_id,
            "rate_scale": SCALE,
            "retry_initial_wait_seconds": 0.01,
            "retry_max_wait_seconds": 0.2,
            "max_attempts": 8,
            "max_retry_seconds": 30.0,
            "request_timeout_seconds": 5.0,
            "feed_poll_seconds": 0.05,
            "feed_max_wait_seconds": 20.0,
        },
        ebay={
            **ebay.settings_overrides(),
            "retry_initial_wait_seconds": 0.01,
            "max_retry_seconds": 30.0,
            "max_attempts": 8,
            "requests_per_second": 10.0,
            "rate_scale": SCALE,
            "max_concurrency_per_seller": 8,
        },
        **overrides,
    )


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, amazon: AmazonEmulator, ebay: EbayEmulator
) -> Settings:
    return sync_settings(database_url, tmp_path, amazon, ebay)


@dataclass
class World:
    """What :func:`seed` created."""

    companies: dict[str, int] = field(default_factory=dict)
    accounts: dict[tuple[str, str], int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    ebay: EbayEmulator,
    companies: list[DemoCompany] = COMPANIES,
    *,
    products: int | None = None,
    ebay_category: str = "38180",
) -> World:
    """Companies with approved products and seller accounts on both
    marketplaces (as if they had consented), plus a KRW→USD rate."""
    box = SecretBox.from_settings(settings)
    world = World()
    async with transaction(sessions) as db:
        if await db.scalar(select(ExchangeRate).limit(1)) is None:
            db.add(
                ExchangeRate(
                    base_currency="KRW",
                    quote_currency="USD",
                    rate=Decimal("0.00075"),
                    effective_on=dt.date(2026, 1, 1),
                    source="test",
                )
            )
        for c in companies:
            company = Company(
                name_ko=c.name,
                name_en=c.name,
                brn=c.brn,
                own_brand=c.brand,
                margin_floor_percent=10.0,
            )
            db.add(company)
            await db.flush()
            world.companies[c.brn] = company.id
            for n in range(products if products is not None else c.products):
                product = Product(
                    company_id=company.id,
                    sku=f"{c.prefix}-{n:05d}",
                    name_ko=f"제품 {n}",
                    name_en=f"Daejeon Made Item Number {n}",
                    description_en="A well made product from Daejeon, Korea.",
                    bullets_en=["Made in Daejeon"],
                    category="test",
                    amazon_product_type="TEA",
                    ebay_category_id=ebay_category,
                    brand=c.brand,
                    gtin=None,
                    gtin_exempt=True,
                    price_krw=20000 + n,
                    cost_krw=8000,
                    weight_g=300,
                    quantity=10 + n % 5,
                    state=ReviewState.APPROVED,
                    reviewed_at=utcnow(),
                )
                db.add(product)
                await db.flush()
                db.add(
                    ProductImage(
                        product_id=product.id,
                        stored_name=f"{c.prefix.lower()}-{n}.jpg",
                        content_type="image/jpeg",
                        width=1000,
                        height=1000,
                        size_bytes=1000,
                        sha256="0" * 64,
                    )
                )
                world.products[product.sku] = product.id
            amazon_account = SellerAccount(
                company_id=company.id,
                marketplace="amazon",
                marketplace_id=US,
                region="na",
                seller_id=c.amazon_seller,
                refresh_token_encrypted=box.encrypt(refresh_token(c.amazon_seller)),
                status="connected",
                approved_brands=[],
                setup={},
            )
            ebay.state.add_seller(c.ebay_user, opted_in=True)
            ebay_account = SellerAccount(
                company_id=company.id,
                marketplace="ebay",
                marketplace_id="EBAY_US",
                region="",
                seller_id=c.ebay_user,
                refresh_token_encrypted=box.encrypt(
                    ebay.state.issue_refresh_token(c.ebay_user)
                ),
                status="connected",
                approved_brands=[],
                setup={},
            )
            db.add_all([amazon_account, ebay_account])
            await db.flush()
            world.accounts[(c.brn, "amazon")] = amazon_account.id
            world.accounts[(c.brn, "ebay")] = ebay_account.id
    return world


async def listings(sessions: async_sessionmaker[AsyncSession]) -> list[Listing]:
    async with sessions() as db:
        return list(await db.scalars(select(Listing).order_by(Listing.id)))


def amazon_skus(amazon: AmazonEmulator, seller: str) -> list[str]:
    return sorted(sku for (s, _, sku) in amazon.state.listings if s == seller)


def ebay_offers(ebay: EbayEmulator, user: str) -> list[Any]:
    seller = ebay.state.sellers[user]
    return [o for o in seller.offers.values()]


@pytest.fixture(autouse=True)
def fresh_amazon_tokens() -> None:
    """Each test's emulator is a new Amazon: forget access tokens cached
    process-wide by python-amazon-sp-api for an earlier test's emulator."""
    from connectors.amazon import spapi_adapter

    spapi_adapter.clear_token_cache()
