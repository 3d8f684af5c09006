"""Amazon in the demo: the SP-API emulator's demo sellers, serving it inside
the web app when ``settings.emulators.enabled`` (named in
:data:`~export_hub.marketplaces.adapters.EMULATOR_FACTORIES`), and the demo
step that connects the demo companies' seller accounts to it.

The demo refresh tokens are fixed demo-only values (like the demo passwords),
known to the emulator only; they are encrypted at rest like real ones.
Hanbit Foods' seller also has a listing it made in Seller Central before
Export Hub (:data:`UNMANAGED_SKU`, not in its catalogue): its orders are shown
and touch no stock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.amazon.config import EmulatorConfig, SellerConfig
from emulators.amazon.server import AmazonEmulator
from emulators.amazon.state import ListingRecord
from export_hub.accounts.models import Company
from export_hub.brand.sent import BRAND_RESTRICTED
from export_hub.db import utcnow
from export_hub.demo.base import DemoLogin
from export_hub.marketplaces.adapters import Grant
from export_hub.marketplaces.service import account_for, save_grant
from export_hub.security import SecretBox
from export_hub.settings import Settings

log = logging.getLogger(__name__)

#: Demo company BRN -> (seller id, approved brands). Yuseong Cosmetics is not
#: approved for its brand yet, so its listings show Amazon's brand issue.
DEMO_SELLERS: dict[str, tuple[str, list[str]]] = {
    "3058112341": ("A2HANBITDEMO01", ["Hanbit Farm"]),
    "3148620457": ("A3DAEDEOKDEMO2", ["DDK Steel"]),
    "3068127814": ("A1YUSEONGDEMO3", []),
}
#: Hanbit Foods' own Amazon listing, not managed by Export Hub.
UNMANAGED_SKU = "HB-OLD-900"
#: The emulators serving now, by port (the demo's order history reaches them).
SERVING: dict[int, AmazonEmulator] = {}


def demo_refresh_token(seller_id: str) -> str:
    """The demo-only refresh token the emulator knows for ``seller_id``."""
    return f"Atzr|demo-only-{seller_id}"


def demo_config(settings: Settings) -> EmulatorConfig:
    """The emulator's configuration: this app's LWA client and the demo sellers."""
    return EmulatorConfig(
        client_id=settings.amazon.lwa_client_id,
        client_secret=settings.amazon.lwa_client_secret.get_secret_value(),
        application_id=settings.amazon.application_id,
        sellers=[
            SellerConfig(
                seller_id=seller_id,
                refresh_tokens=[demo_refresh_token(seller_id)],
                approved_brands=brands,
                name=f"Demo seller {seller_id}",
            )
            for seller_id, brands in DEMO_SELLERS.values()
        ],
        processing_delay_seconds=20.0,
        feed_delay_seconds=30.0,
    )


@contextlib.asynccontextmanager
async def serve_for_settings(settings: Settings) -> AsyncIterator[AmazonEmulator]:
    """Serve the emulator on ``127.0.0.1:emulators.amazon_port`` (plain HTTP)."""
    emulator = AmazonEmulator(
        demo_config(settings), port=settings.emulators.amazon_port
    )
    add_unmanaged_listing(emulator)
    await emulator.start()
    log.info("Amazon SP-API emulator at %s", emulator.base_url)
    SERVING[settings.emulators.amazon_port] = emulator
    try:
        yield emulator
    finally:
        SERVING.pop(settings.emulators.amazon_port, None)
        await emulator.aclose()


def add_unmanaged_listing(emulator: AmazonEmulator) -> None:
    """Hanbit Foods' barley tea, listed in Seller Central (buyable, 30 units)."""
    seller_id = DEMO_SELLERS["3058112341"][0]
    marketplace_id = "ATVPDKIKX0DER"
    emulator.state.listings[(seller_id, marketplace_id, UNMANAGED_SKU)] = ListingRecord(
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        sku=UNMANAGED_SKU,
        product_type="TEA",
        requirements="LISTING",
        attributes={
            "item_name": [{"value": "Korean Barley Tea, Roasted, 300 g"}],
            "purchasable_offer": [
                {
                    "currency": "USD",
                    "our_price": [{"schedule": [{"value_with_tax": 9.5}]}],
                }
            ],
            "fulfillment_availability": [
                {"fulfillment_channel_code": "DEFAULT", "quantity": 30}
            ],
        },
        asin="B0HBOLD900",
        status=["BUYABLE", "DISCOVERABLE"],
    )


async def connect_demo_sellers(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> list[DemoLogin]:
    """Demo step: the demo companies' Amazon accounts, connected (idempotent)."""
    if not settings.emulators.enabled:
        return []
    box = SecretBox.from_settings(settings)
    marketplace_id = settings.amazon.default_marketplace
    async with sessions.begin() as db:
        for brn, (seller_id, brands) in DEMO_SELLERS.items():
            company = await db.scalar(select(Company).where(Company.brn == brn))
            if company is None:
                continue
            if await account_for(db, company.id, "amazon", marketplace_id):
                continue
            account = await save_grant(
                db,
                box,
                company_id=company.id,
                user_id=None,
                marketplace="amazon",
                marketplace_id=marketplace_id,
                grant=Grant(
                    seller_id=seller_id,
                    refresh_token=demo_refresh_token(seller_id),
                    refresh_token_expires_at=utcnow()
                    + dt.timedelta(days=settings.amazon.reauthorize_after_days),
                    region="na",
                ),
            )
            # What the connection test learns from the emulator's schema:
            # unchecked sellers get nothing sent.
            account.approved_brands = list(brands)
            account.setup = {**(account.setup or {}), BRAND_RESTRICTED: True}
            account.last_check_ok = True
    return []
