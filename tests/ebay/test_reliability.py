"""The connector under the emulator's own limits and seeded random faults."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from connectors.base import ListingStatus, PriceQuantityUpdate, SubmissionStatus
from connectors.ebay.inventory import EbayInventoryClient
from emulators.ebay import EbayEmulator
from tests.ebay.conftest import SELLER, MakeTransport, listing


async def test_the_emulators_rate_limit_is_waited_out(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    emulator.config.rate_per_second = 40.0
    emulator.config.rate_burst = 2
    client = EbayInventoryClient(make_transport(max_attempts=10))
    await client.setup.ensure()
    states = await asyncio.gather(*(client.get_listing(f"none-{i}") for i in range(8)))
    assert states == [None] * 8
    assert emulator.state.refused["rate"] > 0


@pytest.mark.parametrize("seed", [3, 11])
async def test_random_faults_lose_nothing_and_duplicate_nothing(
    make_transport: MakeTransport, emulator: EbayEmulator, seed: int
) -> None:
    emulator.config.fault_rate = 0.15
    emulator.config.drop_rate = 0.1
    emulator.state.random.seed(seed)
    client = EbayInventoryClient(make_transport(max_attempts=12, max_retry_seconds=30))
    payloads = [listing(f"R{seed}-{i:02d}") for i in range(40)]
    created = await client.bulk_put_listings(payloads)
    assert [r.status for r in created] == [SubmissionStatus.DONE] * 40
    changed = await client.update_price_quantity(
        [
            PriceQuantityUpdate(
                r.sku, Decimal("11.00"), quantity=3, listing_id=r.submission_id
            )
            for r in created
        ]
    )
    assert [r.status for r in changed] == [SubmissionStatus.DONE] * 40
    seller = emulator.state.sellers[SELLER]
    for payload in payloads:
        [offer] = seller.offers_for(payload.sku)
        assert offer.status == "PUBLISHED"
        assert offer.body["pricingSummary"]["price"]["value"] == "11.00"
    injected = emulator.state.injected
    assert injected.get("500", 0) + injected.get("503", 0) > 0
    assert injected.get("drop", 0) + injected.get("drop_after", 0) > 0
    assert {k: len(v) for k, v in seller.policies.items()} == {
        "fulfillment": 1,
        "payment": 1,
        "return": 1,
    }
    emulator.config.fault_rate = emulator.config.drop_rate = 0.0
    state = await client.get_listing(payloads[0].sku)
    assert state is not None
    assert state.status is ListingStatus.LIVE
