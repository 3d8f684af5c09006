"""Demo wiring: the emulator's demo sellers, serving it inside the web app
when ``settings.emulators.enabled``, and the demo step that connects the demo
companies' seller accounts to it.

The demo refresh tokens are fixed demo-only values (like the demo passwords),
known to the emulator only; they are encrypted at rest like real ones.
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
from export_hub.accounts.models import Company
from export_hub.brand.sent import BRAND_RESTRICTED
from export_hub.db import utcnow
from export_hub.demo import DemoLogin
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


def demo_refresh_token(seller_id: str) -> str:
    return f"Atzr|demo-only-{seller_id}"


def demo_config(settings: Settings) -> EmulatorConfig:
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
    await emulator.start()
    log.info("Amazon SP-API emulator at %s", emulator.base_url)
    try:
        yield emulator
    finally:
        await emulator.aclose()


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
