"""eBay fixtures: the emulator on a real socket and clients wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import ListingPayload, Marketplace, SellerAccount
from connectors.ebay.inventory import EbayInventoryClient
from connectors.ebay.oauth import EbayOAuthClient, EbayTokenSource
from connectors.ebay.transport import EbayTransport
from emulators.ebay import EbayEmulator, EmulatorConfig
from export_hub.settings import EbaySettings, Settings
from tests.conftest import make_settings

RU_NAME = "Export_Hub-ExportHu-demo-PRD"
SELLER = "daejeon_tea"


@pytest.fixture
async def emulator() -> AsyncIterator[EbayEmulator]:
    emu = EbayEmulator(
        EmulatorConfig(ru_names={RU_NAME: "http://127.0.0.1:9/callback"})
    )
    async with emu:
        yield emu


def ebay_settings(emulator: EbayEmulator, **overrides: Any) -> EbaySettings:
    """Settings pointing at ``emulator``, retrying fast."""
    values: dict[str, Any] = {
        **emulator.settings_overrides(),
        "ru_name": RU_NAME,
        "retry_initial_wait_seconds": 0.01,
        "max_retry_seconds": 10.0,
        "requests_per_second": 1000.0,
        "max_concurrency_per_seller": 8,
    }
    values.update(overrides)
    return EbaySettings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, emulator: EbayEmulator) -> Settings:
    values = ebay_settings(emulator).model_dump(mode="json")
    values["client_secret"] = emulator.config.client_secret
    return make_settings(database_url, tmp_path, ebay=values)


@pytest.fixture
async def web(aiohttp_client: Any, settings: Settings) -> Any:
    from export_hub.web.app import create_app

    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


MakeTransport = Callable[..., EbayTransport]


@pytest.fixture
def make_transport(
    emulator: EbayEmulator, http: aiohttp.ClientSession
) -> MakeTransport:
    def make(
        username: str = SELLER,
        *,
        opted_in: bool = True,
        marketplace_id: str = "EBAY_US",
        refresh_token: str | None = None,
        **overrides: Any,
    ) -> EbayTransport:
        settings = ebay_settings(emulator, **overrides)
        emulator.state.add_seller(username, opted_in=opted_in)
        token = refresh_token or emulator.state.issue_refresh_token(username)
        oauth = EbayOAuthClient(settings, http)
        account = SellerAccount(Marketplace.EBAY, username, marketplace_id)
        return EbayTransport(
            settings, account, EbayTokenSource(oauth, username, token), session=http
        )

    return make


@pytest.fixture
def client(make_transport: MakeTransport) -> EbayInventoryClient:
    return EbayInventoryClient(make_transport())


def listing(
    sku: str,
    *,
    title: str = "Daejeon Green Tea, Organic Sejak Leaf, 100 g",
    aspects: dict[str, list[str]] | None = None,
    category: str = "183440",
    price: str = "24.90",
    quantity: int = 10,
) -> ListingPayload:
    """A valid eBay listing of a Daejeon tea (override to break it)."""
    return ListingPayload(
        sku=sku,
        content={
            "inventory_item": {
                "condition": "NEW",
                "product": {
                    "title": title,
                    "description": "Hand-picked green tea from Daejeon, Korea.",
                    "aspects": aspects
                    if aspects is not None
                    else {
                        "Brand": ["Hanbat Tea"],
                        "Type": ["Green Tea"],
                        "MPN": ["Does not apply"],
                    },
                    "imageUrls": ["https://images.example/tea.jpg"],
                },
            },
            "offer": {
                "categoryId": category,
                "listingDescription": "Green tea from Daejeon.",
            },
        },
        price=Decimal(price),
        currency="USD",
        quantity=quantity,
    )
