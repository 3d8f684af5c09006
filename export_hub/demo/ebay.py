"""eBay in the demo: the eBay emulator inside the web app when
``settings.emulators.enabled`` (named in
:data:`~export_hub.marketplaces.adapters.EMULATOR_FACTORIES`), its demo
sellers, and the demo step that connects the demo companies' eBay accounts to
it.

Hanbit Foods already sells on eBay: its emulator account has legacy (Trading)
listings to import, one of them with a SKU of its catalogue. Daedeok Precision
is connected and opted in to business policies; Yuseong Cosmetics is left to
try "Connect eBay". The demo refresh tokens are fixed demo-only values known
to the emulator only; they are encrypted at rest like real ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.ebay import EbayEmulator, EmulatorConfig
from export_hub.accounts.models import Company
from export_hub.db import utcnow
from export_hub.demo.base import DemoLogin
from export_hub.marketplaces.adapters import Grant
from export_hub.marketplaces.service import account_for, save_grant
from export_hub.security import SecretBox
from export_hub.settings import Settings

log = logging.getLogger(__name__)

#: Demo company BRN -> the eBay username connected in the demo.
DEMO_SELLERS: dict[str, str] = {
    "3058112341": "hanbit_foods_kr",
    "3148620457": "daedeok_precision",
}
#: Listings Hanbit Foods made on eBay before Export Hub (Trading API).
LEGACY_ITEMS = [
    (
        "120000000001",
        "HB-HNY-003",
        "Daecheong Lake Acacia Honey 500 g, Raw",
        "18.90",
        12,
    ),
    ("120000000002", "HB-OLD-900", "Korean Barley Tea, Roasted, 300 g", "9.50", 30),
]
#: The emulators serving now, by port (the demo's order history reaches them).
SERVING: dict[int, EbayEmulator] = {}


def demo_refresh_token(username: str) -> str:
    """The demo-only refresh token the emulator knows for ``username``."""
    return f"v^1.1#demo-only-{username}"


def demo_emulator(settings: Settings, *, port: int | None = None) -> EbayEmulator:
    """The emulator with the demo sellers, accepting this app's callback."""
    callback = settings.web.public_base_url.rstrip("/") + "/marketplaces/ebay/callback"
    config = EmulatorConfig(
        client_id=settings.ebay.client_id,
        client_secret=settings.ebay.client_secret.get_secret_value(),
        ru_names={settings.ebay.ru_name: callback},
        consent_username="yuseong_cosmetics",
    )
    emulator = EbayEmulator(
        config, port=settings.emulators.ebay_port if port is None else port
    )
    state = emulator.state
    for username in DEMO_SELLERS.values():
        state.add_seller(username, opted_in=True)
        state.refresh_tokens[demo_refresh_token(username)] = username
    hanbit = DEMO_SELLERS["3058112341"]
    for item_id, sku, title, price, quantity in LEGACY_ITEMS:
        state.add_legacy_item(
            hanbit,
            item_id=item_id,
            sku=sku,
            title=title,
            price=price,
            currency="USD",
            quantity=quantity,
            category_id="38180",
        )
    return emulator


@contextlib.asynccontextmanager
async def serve_for_settings(settings: Settings) -> AsyncIterator[EbayEmulator]:
    """Serve the demo emulator on ``127.0.0.1:emulators.ebay_port``."""
    emulator = demo_emulator(settings)
    await emulator.start()
    log.info("eBay emulator at %s", emulator.url)
    SERVING[settings.emulators.ebay_port] = emulator
    try:
        yield emulator
    finally:
        SERVING.pop(settings.emulators.ebay_port, None)
        await emulator.aclose()


async def connect_demo_ebay_sellers(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> list[DemoLogin]:
    """Demo step: the demo companies' eBay accounts, connected (idempotent)."""
    if not settings.emulators.enabled:
        return []
    box = SecretBox.from_settings(settings)
    marketplace_id = settings.ebay.default_marketplace
    async with sessions.begin() as db:
        for brn, username in DEMO_SELLERS.items():
            company = await db.scalar(select(Company).where(Company.brn == brn))
            if company is None:
                continue
            if await account_for(db, company.id, "ebay", marketplace_id):
                continue
            await save_grant(
                db,
                box,
                company_id=company.id,
                user_id=None,
                marketplace="ebay",
                marketplace_id=marketplace_id,
                grant=Grant(
                    seller_id=username,
                    refresh_token=demo_refresh_token(username),
                    refresh_token_expires_at=utcnow() + dt.timedelta(days=540),
                ),
            )
    return []
