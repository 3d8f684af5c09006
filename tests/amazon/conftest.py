"""Amazon fixtures: the SP-API emulator over HTTPS on a real socket (a test CA
from trustme), settings pointing at it, and connectors for its sellers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.amazon.client import AmazonListingsClient
from connectors.amazon.product_types import ProductTypeCache
from connectors.amazon.transport import AmazonTransport
from connectors.base import ListingPayload, Marketplace, SellerAccount
from emulators.amazon import (
    AmazonEmulator,
    EmulatorConfig,
    EmulatorTLS,
    SellerConfig,
    amazon_settings_overrides,
)
from export_hub.settings import AmazonSettings

US = "ATVPDKIKX0DER"
SELLER = "A1HANBITSELLER"
OTHER_SELLER = "A2ONSENSELLER"
REFRESH = "Atzr|test-refresh-hanbit"
OTHER_REFRESH = "Atzr|test-refresh-onsen"
#: Rates run this many times faster than documented in tests.
SCALE = 20.0


@pytest.fixture(scope="session")
def tls() -> EmulatorTLS:
    return EmulatorTLS()


@pytest.fixture(scope="session")
def ca_file(tls: EmulatorTLS, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tls.write_ca(tmp_path_factory.mktemp("amazon-ca") / "ca.pem")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Change it in a test before the ``emulator`` fixture starts."""
    return EmulatorConfig(
        sellers=[
            SellerConfig(SELLER, [REFRESH], ["Hanbit Farm"], "Hanbit Foods"),
            SellerConfig(OTHER_SELLER, [OTHER_REFRESH], [], "Yuseong Cosmetics"),
        ],
        processing_delay_seconds=0.2,
        feed_delay_seconds=0.2,
        rate_scale=SCALE,
        gzip_reports=True,
    )


@pytest.fixture
async def emulator(
    emulator_config: EmulatorConfig, tls: EmulatorTLS
) -> AsyncIterator[AmazonEmulator]:
    async with AmazonEmulator(emulator_config, tls=tls) as emu:
        yield emu


def amazon_settings(
    emulator: AmazonEmulator, ca_file: Path, **overrides: Any
) -> AmazonSettings:
    """Settings aimed at ``emulator``, with fast retries and polls."""
    values: dict[str, Any] = {
        **amazon_settings_overrides(emulator.base_url, str(ca_file)),
        "lwa_client_id": emulator.config.client_id,
        "lwa_client_secret": emulator.config.client_secret,
        "application_id": emulator.config.application_id,
        "rate_scale": SCALE,
        "retry_initial_wait_seconds": 0.01,
        "retry_max_wait_seconds": 0.2,
        "max_attempts": 5,
        "max_retry_seconds": 20.0,
        "request_timeout_seconds": 5.0,
        "feed_poll_seconds": 0.05,
        "feed_max_wait_seconds": 20.0,
    }
    values.update(overrides)
    return AmazonSettings(**values)


MakeClient = Callable[..., AmazonListingsClient]


@pytest.fixture
async def make_client(
    emulator: AmazonEmulator, ca_file: Path
) -> AsyncIterator[MakeClient]:
    """``make_client(seller=SELLER, refresh=REFRESH, **settings_overrides)``."""
    made: list[AmazonListingsClient] = []
    cache = ProductTypeCache()

    def make(
        seller: str = SELLER, refresh: str = REFRESH, **overrides: Any
    ) -> AmazonListingsClient:
        transport = AmazonTransport(amazon_settings(emulator, ca_file, **overrides))
        account = SellerAccount(Marketplace.AMAZON, seller, US, "na")
        client = AmazonListingsClient(transport, account, refresh, cache)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def client(make_client: MakeClient) -> AmazonListingsClient:
    return make_client()


def attributes(
    *,
    brand: str = "Hanbit Farm",
    name: str = "Yuseong Chrysanthemum Tea, 30 Bags",
    gtin: str | None = "8806001234015",
    exempt: bool | None = None,
    price: float = 12.9,
    quantity: int = 25,
    marketplace_id: str = US,
    **extra: Any,
) -> dict[str, Any]:
    """A complete TEA listing's attributes, as Export Hub renders them."""

    def text(value: str) -> list[dict[str, Any]]:
        return [
            {"value": value, "language_tag": "en_US", "marketplace_id": marketplace_id}
        ]

    attrs: dict[str, Any] = {
        "item_name": text(name),
        "brand": text(brand),
        "manufacturer": text("Hanbit Foods Co., Ltd."),
        "bullet_point": text("Caffeine free") + text("Made in Daejeon, Korea"),
        "product_description": text("Chrysanthemum tea from Yuseong, Daejeon."),
        "country_of_origin": [{"value": "KR", "marketplace_id": marketplace_id}],
        "condition_type": [{"value": "new_new", "marketplace_id": marketplace_id}],
        "supplier_declared_dg_hz_regulation": [
            {"value": "not_applicable", "marketplace_id": marketplace_id}
        ],
        "purchasable_offer": [
            {
                "currency": "USD",
                "marketplace_id": marketplace_id,
                "our_price": [{"schedule": [{"value_with_tax": price}]}],
            }
        ],
        "fulfillment_availability": [
            {"fulfillment_channel_code": "DEFAULT", "quantity": quantity}
        ],
    }
    if gtin:
        attrs["externally_assigned_product_identifier"] = [
            {"type": "ean", "value": gtin, "marketplace_id": marketplace_id}
        ]
    if exempt is not None:
        attrs["supplier_declared_has_product_identifier_exemption"] = [
            {"value": exempt, "marketplace_id": marketplace_id}
        ]
    attrs.update(extra)
    return attrs


def payload(
    sku: str = "HB-TEA-001", product_type: str = "TEA", **attrs: Any
) -> ListingPayload:
    return ListingPayload(
        sku=sku,
        content={"productType": product_type, "attributes": attributes(**attrs)},
        price=Decimal(str(attrs.get("price", 12.9))),
        quantity=attrs.get("quantity", 25),
    )
