"""Daily call budgets and revision counts, in memory and in the database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.ebay.budget import BudgetStore, CallBudget, MemoryBudgetStore
from connectors.ebay.errors import seconds_until_quota_reset
from export_hub.errors import TransientError
from export_hub.marketplaces.ebay_budget import SqlBudgetStore
from export_hub.settings import Settings

NOON = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def budget(store: BudgetStore, now: list[dt.datetime]) -> CallBudget:
    return CallBudget(
        store, daily_calls=3, revisions_per_listing=2, clock=lambda: now[0]
    )


async def check_budget(store: BudgetStore) -> None:
    now = [NOON]
    calls = budget(store, now)
    await asyncio.gather(
        *(calls.spend_call("seller", "trading", "x") for _ in range(3))
    )
    with pytest.raises(TransientError) as caught:
        await calls.spend_call("seller", "trading", "x")
    assert caught.value.retry_after == 12 * 3600
    await calls.spend_call("seller", "inventory", "x")  # another API
    await calls.spend_call("other", "trading", "x")  # another seller
    assert await calls.spend_revisions("seller", ["A", "B"]) == set()
    assert await calls.spend_revisions("seller", ["A"]) == set()
    assert await calls.spend_revisions("seller", ["A", "B"]) == {"A"}
    now[0] = NOON + dt.timedelta(hours=12)  # the next UTC day
    await calls.spend_call("seller", "trading", "x")
    assert await calls.spend_revisions("seller", ["A"]) == set()


async def test_memory_budget() -> None:
    await check_budget(MemoryBudgetStore())


async def test_sql_budget_survives_a_restart(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await check_budget(SqlBudgetStore(sessions))
    restarted = budget(SqlBudgetStore(sessions), [NOON])
    with pytest.raises(TransientError):
        await restarted.spend_call("seller", "trading", "x")
    assert (
        await SqlBudgetStore(sessions).count("seller", "api:trading", NOON.date()) == 3
    )


async def test_sql_store_with_its_own_engine(settings: Settings) -> None:
    store = SqlBudgetStore.from_url(settings.database.url)
    try:
        assert await store.take("seller", "api:inventory", NOON.date(), 1, 1)
        assert not await store.take("seller", "api:inventory", NOON.date(), 1, 1)
    finally:
        await store.aclose()


def test_quota_resets_at_utc_midnight() -> None:
    assert seconds_until_quota_reset(NOON) == 12 * 3600


@pytest.mark.backend("postgresql")
async def test_workers_on_postgresql_share_one_daily_budget(
    database_url: str, tmp_path
) -> None:
    """Two sync processes (each with its own connector registry) spend one
    seller's eBay quota together on PostgreSQL, never twice over."""
    from export_hub.marketplaces.registry import ConnectorRegistry, SharedState
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path, ebay={"daily_call_budget": 3})
    first = ConnectorRegistry(settings, shared=SharedState())
    second = ConnectorRegistry(settings, shared=SharedState())
    try:
        budgets = [r.builder("ebay").budget for r in (first, second)]  # type: ignore[attr-defined]
        await budgets[0].spend_call("seller", "inventory", "x")
        await budgets[1].spend_call("seller", "inventory", "x")
        await budgets[0].spend_call("seller", "inventory", "x")
        with pytest.raises(TransientError):
            await budgets[1].spend_call("seller", "inventory", "x")
        await budgets[1].spend_call("other-seller", "inventory", "x")
    finally:
        await first.aclose()
        await second.aclose()
