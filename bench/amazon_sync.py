"""S sellers × M new SKUs through the Amazon connector, against the in-process
SP-API emulator at the documented putListingsItem limit (5/s, burst 10),
time-compressed by ``--scale``.

``bound_seconds`` is what the limits allow at best: every seller's first
``burst`` PUTs at once, then one per 1/rate seconds, sellers in parallel:
``(M - burst) / (5 * scale)``. ``efficiency`` is bound / measured.

The baseline is what a user writes with the library alone: for each seller a
loop over python-amazon-sp-api's ``ListingsItems.put_listings_item`` wrapped
in the library's own ``throttle_retry`` decorator (delays divided by
``--scale`` so both runs live in the same compressed time), all sellers
concurrently (``asyncio.gather``), on its own sellers: ``--baseline-sellers``
(default: as many as ``--sellers``) × ``--skus``, measured the same way.

Prints one JSON line last: sellers, skus, seconds, bound_seconds, efficiency,
throttled, failed, and ``baseline`` with the same figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.amazon.client import AmazonListingsClient
from connectors.amazon.product_types import ProductTypeCache
from connectors.amazon.spapi_adapter import lwa_client_class
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
RATE, BURST = 5.0, 10


def attributes(sku: str) -> dict[str, Any]:
    def text(value: str) -> list[dict[str, Any]]:
        return [{"value": value, "language_tag": "en_US", "marketplace_id": US}]

    return {
        "item_name": text(f"Daejeon Chrysanthemum Tea {sku}"),
        "brand": text("Hanbit Farm"),
        "bullet_point": text("Made in Daejeon, Korea"),
        "product_description": text("Chrysanthemum tea from Yuseong, Daejeon."),
        "country_of_origin": [{"value": "KR", "marketplace_id": US}],
        "supplier_declared_dg_hz_regulation": [
            {"value": "not_applicable", "marketplace_id": US}
        ],
        "supplier_declared_has_product_identifier_exemption": [
            {"value": True, "marketplace_id": US}
        ],
        "purchasable_offer": [
            {
                "currency": "USD",
                "marketplace_id": US,
                "our_price": [{"schedule": [{"value_with_tax": 12.9}]}],
            }
        ],
        "fulfillment_availability": [
            {"fulfillment_channel_code": "DEFAULT", "quantity": 10}
        ],
    }


def seller_id(index: int) -> str:
    return f"A{index:04d}BENCHSELLER"


def figures(
    sellers: int, skus: int, seconds: float, throttled: int, failed: int, scale: float
) -> dict[str, Any]:
    bound = max(0, skus // max(sellers, 1) - BURST) / (RATE * scale)
    return {
        "sellers": sellers,
        "skus": skus,
        "seconds": round(seconds, 3),
        "bound_seconds": round(bound, 3),
        "efficiency": round(bound / seconds, 3) if seconds else 0.0,
        "throttled": throttled,
        "failed": failed,
    }


async def run_connector(
    emulator: AmazonEmulator, settings: AmazonSettings, sellers: int, skus: int
) -> dict[str, Any]:
    transport = AmazonTransport(settings)
    cache = ProductTypeCache()
    clients = [
        AmazonListingsClient(
            transport,
            SellerAccount(Marketplace.AMAZON, seller_id(i), US, "na"),
            f"Atzr|bench-{i}",
            cache,
        )
        for i in range(sellers)
    ]
    failed = 0

    async def put(client: AmazonListingsClient, sku: str) -> None:
        nonlocal failed
        listing = ListingPayload(
            sku, {"productType": "TEA", "attributes": attributes(sku)}
        )
        try:
            result = await client.put_listing(listing)
        except Exception as exc:
            failed += 1
            print(f"failed {sku}: {exc}", file=sys.stderr)
            return
        if not result.ok:
            failed += 1

    throttled_before = emulator.state.throttled
    started = time.perf_counter()
    await asyncio.gather(
        *(
            put(client, f"S{i:02d}-SKU-{n:04d}")
            for i, client in enumerate(clients)
            for n in range(skus)
        )
    )
    seconds = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return figures(
        sellers,
        sellers * skus,
        seconds,
        emulator.state.throttled - throttled_before,
        failed,
        settings.rate_scale,
    )


async def run_baseline(
    emulator: AmazonEmulator,
    settings: AmazonSettings,
    first: int,
    sellers: int,
    skus: int,
) -> dict[str, Any]:
    from sp_api.asyncio.api import ListingsItems
    from sp_api.asyncio.util import throttle_retry
    from sp_api.base import Marketplaces

    scale = settings.rate_scale
    credentials = {
        "lwa_app_id": settings.lwa_client_id,
        "lwa_client_secret": settings.lwa_client_secret.get_secret_value(),
    }
    marketplace = Marketplaces.US
    failed = 0

    async def one_seller(i: int) -> None:
        nonlocal failed
        client = ListingsItems(
            marketplace,
            refresh_token=f"Atzr|bench-{i}",
            credentials=credentials,
            version="2021-08-01",
            verify=_context(settings),
            auth_token_client_class=lwa_client_class(settings.lwa_token_url),
        )
        client.endpoint = emulator.base_url

        @throttle_retry(delay=5 / scale)
        async def put(sku: str) -> Any:
            return await client.put_listings_item(
                seller_id(i),
                sku,
                marketplaceIds=[US],
                body={
                    "productType": "TEA",
                    "requirements": "LISTING",
                    "attributes": attributes(sku),
                },
            )

        for n in range(skus):
            try:
                answer = await put(f"B{i:02d}-SKU-{n:04d}")
                if answer.payload.get("status") != "ACCEPTED":
                    failed += 1
            except Exception as exc:
                failed += 1
                print(f"baseline failed: {exc!r}", file=sys.stderr)
        await client.aclose()

    throttled_before = emulator.state.throttled
    started = time.perf_counter()
    await asyncio.gather(*(one_seller(i) for i in range(first, first + sellers)))
    seconds = time.perf_counter() - started
    return figures(
        sellers,
        sellers * skus,
        seconds,
        emulator.state.throttled - throttled_before,
        failed,
        scale,
    )


def _context(settings: AmazonSettings) -> Any:
    import ssl

    return ssl.create_default_context(cafile=settings.ca_bundle or None)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    if args.baseline_sellers is None:
        args.baseline_sellers = args.sellers
    total = args.sellers + args.baseline_sellers
    config = EmulatorConfig(
        sellers=[
            SellerConfig(seller_id(i), [f"Atzr|bench-{i}"], None) for i in range(total)
        ],
        rate_scale=args.scale,
        processing_delay_seconds=1.0,
    )
    tls = EmulatorTLS() if args.tls else None
    with tempfile.TemporaryDirectory() as tmp:
        ca = str(tls.write_ca(Path(tmp) / "ca.pem")) if tls else ""
        async with AmazonEmulator(config, tls=tls) as emulator:
            settings = AmazonSettings(
                **amazon_settings_overrides(emulator.base_url, ca),
                rate_scale=args.scale,
                retry_initial_wait_seconds=0.05,
                retry_max_wait_seconds=2.0,
            )
            result = await run_connector(emulator, settings, args.sellers, args.skus)
            if args.baseline_sellers:
                result["baseline"] = await run_baseline(
                    emulator, settings, args.sellers, args.baseline_sellers, args.skus
                )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--skus", type=int, default=100, help="new SKUs per seller")
    parser.add_argument("--scale", type=float, default=1.0, help="rate multiplier")
    parser.add_argument(
        "--baseline-sellers",
        type=int,
        default=None,
        help="sellers of the library-only baseline (default: --sellers); 0: none",
    )
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the emulator over HTTPS (a test CA), as Amazon",
    )
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
