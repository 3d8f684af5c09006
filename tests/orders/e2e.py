"""Helpers of the order end-to-end tests: both emulators on real sockets,
settings aimed at them, stock recorded through the ledger, and what each
emulator offers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.amazon import AmazonEmulator
from emulators.amazon.orders import offered_quantity
from emulators.ebay import EbayEmulator
from emulators.ebay.fulfillment import available
from export_hub.catalog.models import Product
from export_hub.db import transaction
from export_hub.settings import Settings
from export_hub.stock import ledger
from export_hub.stock.models import StockMovement
from tests.sync.conftest import (
    US,
    amazon_emulator_config,
    ebay_emulator_config,
    sync_settings,
)


async def amazon_emulator() -> AsyncIterator[AmazonEmulator]:
    from connectors.amazon import spapi_adapter

    # Each test's emulator is a new Amazon: forget cached access tokens.
    spapi_adapter.clear_token_cache()
    async with AmazonEmulator(amazon_emulator_config()) as emu:
        yield emu


async def ebay_emulator() -> AsyncIterator[EbayEmulator]:
    async with EbayEmulator(ebay_emulator_config()) as emu:
        yield emu


def e2e_settings(
    database_url: str, tmp_path: Path, amazon: AmazonEmulator, ebay: EbayEmulator
) -> Settings:
    """Settings aimed at both emulators, with the real order connectors (the
    default factory) and the embedded runner, so the push after an import
    runs in this process on PostgreSQL too."""
    return sync_settings(database_url, tmp_path, amazon, ebay, jobs={"embedded": True})


async def on_hand(
    sessions: async_sessionmaker[AsyncSession], product_id: int, units: int
) -> None:
    """Count ``units`` on the shelf through the ledger (the seed wrote the
    product row directly: it is first brought back to what the ledger says)."""
    async with transaction(sessions) as db:
        recorded = await db.scalar(
            select(func.coalesce(func.sum(StockMovement.delta_on_hand), 0)).where(
                StockMovement.product_id == product_id
            )
        )
        await db.execute(
            update(Product).where(Product.id == product_id).values(quantity=recorded)
        )
        await ledger.set_on_hand(db, product_id, units)


def amazon_offers(amazon: AmazonEmulator, seller: str, sku: str) -> int:
    record = amazon.state.listing(seller, US, sku)
    assert record is not None, sku
    return offered_quantity(record)


def ebay_offers_units(ebay: EbayEmulator, user: str, sku: str) -> int:
    offers = ebay.state.sellers[user].offers_for(sku, "EBAY_US")
    assert offers, sku
    return available(offers[0])
