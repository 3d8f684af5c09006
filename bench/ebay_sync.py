"""S sellers × N new SKUs, then N price/quantity changes each, through the eBay
connector against the in-process eBay emulator over real sockets.

New SKUs go through ``bulk_put_listings`` (bulk_create_or_replace_inventory_item,
bulk_create_offer, bulk_publish_offer: 25 a call); the changes through
``update_price_quantity`` (bulk_update_price_quantity: 25 a call). Sellers run
concurrently, each with its own token, limits and budget.

Prints one JSON line last:

* ``skus``: SKUs created plus SKUs changed (S × 2N);
* ``calls``: every eBay call sent (token, set-up and bulk calls included);
* ``bulk_calls`` and ``skus_per_call``: SKU entries carried per bulk call
  (the target is at least 24 when N ≥ 250);
* ``seconds``, ``failed`` (SKUs not DONE), ``faults`` injected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import (
    ListingPayload,
    Marketplace,
    PriceQuantityUpdate,
    SellerAccount,
    SubmissionStatus,
)
from connectors.ebay.inventory import EbayInventoryClient
from connectors.ebay.oauth import EbayOAuthClient, EbayTokenSource
from connectors.ebay.transport import EbayTransport
from emulators.ebay import EbayEmulator, EmulatorConfig
from export_hub.settings import EbaySettings

BULK = (
    "bulk_create_or_replace_inventory_item",
    "bulk_create_offer",
    "bulk_publish_offer",
    "bulk_update_price_quantity",
)


def payload(seller: int, index: int) -> ListingPayload:
    return ListingPayload(
        sku=f"S{seller}-TEA-{index:05d}",
        content={
            "inventory_item": {
                "condition": "NEW",
                "product": {
                    "title": f"Daejeon Green Tea No. {index}, Organic Sejak, 100 g",
                    "description": "Hand-picked green tea from Daejeon, Korea.",
                    "aspects": {"Brand": ["Hanbat Tea"], "Type": ["Green Tea"]},
                    "imageUrls": ["https://images.example/tea.jpg"],
                },
            },
            "offer": {"categoryId": "183440", "listingDescription": "Green tea."},
        },
        price=Decimal("24.90"),
        quantity=10,
    )


async def run_seller(
    emulator: EbayEmulator,
    settings: EbaySettings,
    http: aiohttp.ClientSession,
    seller: int,
    n: int,
) -> tuple[int, int]:
    """Create then change ``n`` SKUs; returns (calls, failed)."""
    username = f"bench_seller_{seller}"
    emulator.state.add_seller(username, opted_in=True)
    refresh = emulator.state.issue_refresh_token(username)
    tokens = EbayTokenSource(EbayOAuthClient(settings, http), username, refresh)
    account = SellerAccount(Marketplace.EBAY, username, "EBAY_US")
    transport = EbayTransport(settings, account, tokens, session=http)
    client = EbayInventoryClient(transport)
    created = await client.bulk_put_listings([payload(seller, i) for i in range(n)])
    changes = [
        PriceQuantityUpdate(
            r.sku, Decimal("19.90"), quantity=7, listing_id=r.submission_id
        )
        for r in created
    ]
    changed = await client.update_price_quantity(changes)
    failed = sum(r.status is not SubmissionStatus.DONE for r in [*created, *changed])
    calls = sum(s.attempts for s in transport.stats.values()) + tokens.refresh_count
    return calls, failed


async def main(args: argparse.Namespace) -> dict[str, Any]:
    config = EmulatorConfig(
        rate_per_second=1000.0,
        rate_burst=1000,
        daily_quota=10**6,
        fault_rate=args.fault_rate,
        seed=args.seed,
    )
    async with EbayEmulator(config) as emulator, aiohttp.ClientSession() as http:
        settings = EbaySettings(
            **emulator.settings_overrides(),
            requests_per_second=args.rate,
            daily_call_budget=10**6,
            retry_initial_wait_seconds=0.05,
        )
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(
                run_seller(emulator, settings, http, s, args.n)
                for s in range(args.sellers)
            )
        )
        seconds = time.perf_counter() - started
        bulk = [
            body
            for _, path, _, body in emulator.state.log
            if path.rsplit("/", 1)[-1] in BULK
        ]
    entries = sum(len(body["requests"]) for body in bulk)
    return {
        "sellers": args.sellers,
        "skus": 2 * args.n * args.sellers,
        "calls": sum(c for c, _ in outcomes),
        "bulk_calls": len(bulk),
        "skus_per_call": round(entries / max(1, len(bulk)), 2),
        "seconds": round(seconds, 3),
        "failed": sum(f for _, f in outcomes),
        "fault_rate": args.fault_rate,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=250, help="new SKUs per seller")
    parser.add_argument("--sellers", type=int, default=4)
    parser.add_argument(
        "--rate", type=float, default=10.0, help="client calls/s per seller"
    )
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of 500/503"
    )
    parser.add_argument("--seed", type=int, default=1)
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps(result))
