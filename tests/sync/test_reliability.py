"""A sync survives cancellation halfway, 429 storms, 5xx answers and dropped
connections on both emulators: no duplicate listing, no lost update."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emulators.amazon import AmazonEmulator, EmulatorConfig, FaultConfig
from emulators.ebay import EbayEmulator
from emulators.ebay import EmulatorConfig as EbayConfig
from export_hub.listings.models import Listing
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.registry import ConnectorRegistry
from tests.sync.conftest import (
    COMPANIES,
    SCALE,
    amazon_skus,
    ebay_offers,
    listings,
    seed,
    sync_settings,
)
from tests.sync.test_sync_e2e import settle


async def assert_all_live_once(sessions, settings, amazon, ebay, world) -> None:
    """Every product live once on each marketplace, and nothing left to send."""
    await settle(sessions, settings)
    rows = await listings(sessions)
    assert Counter(r.status for r in rows) == {"live": 2 * len(world.products)}
    assert not [r for r in rows if r.in_doubt_operation]
    for company in COMPANIES:
        skus = sorted(s for s in world.products if s.startswith(company.prefix + "-"))
        if not skus:
            continue
        assert amazon_skus(amazon, company.amazon_seller) == skus
        offers = [o.sku for o in ebay_offers(ebay, company.ebay_user)]
        assert sorted(offers) == skus  # one offer per SKU: no duplicate
    again = await run_sync(sessions, settings)
    assert again.planned == 0, again.as_counts()


async def in_doubt(sessions) -> int:
    async with sessions() as db:
        return await db.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.in_doubt_operation.is_not(None))
        )


@pytest.fixture
def amazon_config(amazon_config: EmulatorConfig) -> EmulatorConfig:
    amazon_config.faults = FaultConfig(latency_seconds=0.02)
    return amazon_config


@pytest.fixture
def ebay_config(ebay_config: EbayConfig) -> EbayConfig:
    ebay_config.latency = (0.02, 0.04)
    return ebay_config


# Cancelling the run mid-flight can cut an HTTP call whose socket the HTTP
# library closes only when it is collected (a ResourceWarning, not a leak of
# work): what this test proves is that nothing is sent twice afterwards.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_cancelled_halfway_then_finished_without_duplicates(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, products=30)
    task = asyncio.create_task(run_sync(sessions, settings))
    for _ in range(500):
        if await in_doubt(sessions):
            break
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await in_doubt(sessions) > 0  # cut while batches were in flight
    report = await run_sync(sessions, settings)
    assert report.counts["check"]["found"] + report.counts["check"].get("absent", 0)
    await assert_all_live_once(sessions, settings, amazon, ebay, world)


async def test_429_storms_and_5xx_finish_slower_with_nothing_lost(
    database_url: str,
    tmp_path: Path,
    sessions,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    # The clients believe in five times the rate the emulators grant, with
    # bursts of 2 on the emulators: storms of 429. And a fifth of the answers
    # are 500/503.
    amazon.config.rates = {"putListingsItem": (5.0, 2), "patchListingsItem": (5.0, 2)}
    # Pacing alone may not reach the emulator's limit on a slow machine, so a
    # share of answers are 429 whatever the rate.
    amazon.config.faults = FaultConfig(
        error_500_share=0.1, error_503_share=0.1, throttle_share=0.2, seed=3
    )
    ebay.state.config.rate_per_second = 0.5
    ebay.state.config.rate_burst = 1
    ebay.state.script_fault("bulk_create_offer", "429", times=3)
    ebay.state.config.fault_rate = 0.2
    settings = sync_settings(database_url, tmp_path, amazon, ebay)
    settings = settings.model_copy(
        update={
            "amazon": settings.amazon.model_copy(update={"rate_scale": SCALE * 5}),
            "ebay": settings.ebay.model_copy(update={"rate_scale": SCALE * 5}),
        }
    )
    world = await seed(sessions, settings, ebay, products=15)
    async with ConnectorRegistry(settings) as connectors:
        report = await run_sync(sessions, settings, connectors=connectors)
        ebay_stats = [
            t.stats["inventory"]
            for t in connectors.builder("ebay").pool._transports.values()
        ]
    assert report.counts["create"]["ok"] == 2 * len(world.products), report.as_counts()
    assert amazon.state.throttled >= 5
    assert sum(s.throttled for s in ebay_stats) >= 1
    assert sum(s.attempts - s.calls for s in ebay_stats) >= 1  # retried
    amazon.config.faults = FaultConfig()
    ebay.state.config.fault_rate = 0.0
    await assert_all_live_once(sessions, settings, amazon, ebay, world)


async def test_lost_answers_are_looked_up_before_repeating(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    """Sent, applied, answer lost every time (retries exhausted): the listings
    stay in doubt; the next run looks each up first and sends no duplicate."""
    world = await seed(sessions, settings, ebay, COMPANIES[:1], products=5)
    ebay.state.script_fault("bulk_publish_offer", "drop_after", times=100)
    amazon.config.faults = FaultConfig(drop_share=1.0)
    fast = settings.model_copy(
        update={
            "amazon": settings.amazon.model_copy(update={"max_attempts": 2}),
            "ebay": settings.ebay.model_copy(update={"max_attempts": 2}),
        }
    )
    first = await run_sync(sessions, fast)
    # eBay applied the publish but the answer was lost ("unknown"); Amazon's
    # calls all failed (even the schema lookup before the PUT): "failed".
    assert first.counts["create"] == {"unknown": 5, "failed": 5}, first.as_counts()
    assert await in_doubt(sessions) == 10
    ebay.state.faults.clear()
    amazon.config.faults = FaultConfig()
    second = await run_sync(sessions, settings)
    assert sum(second.counts["check"].values()) == 10, second.as_counts()
    await assert_all_live_once(sessions, settings, amazon, ebay, world)
