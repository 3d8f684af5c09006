"""The order import killed at random moments (``kill -9``), then run to the
end: every order is imported exactly once and no stock is counted twice.

The import runs as ``python -m export_hub orders pull --company BRN`` in a
subprocess (the checkout under test, not the shared console script),
against both emulators serving on loopback ports from this test process,
and is SIGKILLed at seeded random moments — while reading, writing, or
pushing the other channel's quantity.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.listings.sync.run import run_sync
from export_hub.orders.models import Order, OrderLine
from export_hub.settings import Settings
from export_hub.stock import ledger
from tests.orders.e2e import amazon_emulator, e2e_settings, ebay_emulator, on_hand
from tests.orders.test_one_stock_e2e import listed
from tests.sync.conftest import COMPANIES

ROOT = Path(__file__).resolve().parents[2]
HANBIT = COMPANIES[0]
KILLS = 5


@pytest.fixture
async def amazon() -> AsyncIterator[AmazonEmulator]:
    async for emu in amazon_emulator():
        yield emu


@pytest.fixture
async def ebay() -> AsyncIterator[EbayEmulator]:
    async for emu in ebay_emulator():
        yield emu


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, amazon: AmazonEmulator, ebay: EbayEmulator
) -> Settings:
    return e2e_settings(database_url, tmp_path, amazon, ebay)


def _plain(value: Any) -> Any:
    """A settings value as JSON, secrets revealed (for the child's env)."""
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def child_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORT_HUB_")}
    env["PYTHONPATH"] = str(ROOT)
    for name in type(settings).model_fields:
        value = _plain(getattr(settings, name))
        env[f"EXPORT_HUB_{name.upper()}"] = (
            json.dumps(value) if isinstance(value, dict | list) else str(value)
        )
    return env


async def pull(env: dict[str, str], *, kill_after: float | None) -> int | None:
    """Run ``orders pull`` once; SIGKILL it after ``kill_after`` seconds.
    Returns its exit code (negative when killed)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "export_hub", "orders", "pull", "--company", HANBIT.brn,
        cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await asyncio.wait_for(proc.wait(), kill_after or 120)
    except TimeoutError:
        if kill_after is None:
            raise
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    if kill_after is None and proc.returncode != 0:
        assert proc.stderr is not None
        raise AssertionError((await proc.stderr.read()).decode()[-3000:])
    return proc.returncode


async def test_killed_imports_rerun_import_every_order_once(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    world = await listed(sessions, settings, ebay)
    rng = random.Random(20260311)
    for sku in world.products:
        await on_hand(sessions, world.products[sku], 500)
    await run_sync(sessions, settings)  # both channels offer 499 of each
    t0 = utcnow() - dt.timedelta(minutes=20)
    expected: Counter[str] = Counter()
    placed: set[str] = set()
    for n in range(120):
        sku = rng.choice(sorted(world.products))
        units = rng.randint(1, 3)
        at = t0 + dt.timedelta(seconds=n)
        if n % 3:
            order = ebay.state.orders.place_order(HANBIT.ebay_user, sku, units, at=at)
            placed.add(order.order_id)
        else:
            placed.add(
                amazon.state.orders.place_order(
                    HANBIT.amazon_seller, sku, units, at=at
                ).order_id
            )
        expected[sku] += units
    env = child_env(settings)
    killed = 0
    for round_ in range(KILLS):
        code = await pull(env, kill_after=rng.uniform(0.3, 4.0))
        killed += code == -signal.SIGKILL
        # Buyers go on between runs: a cancellation changes an order seen
        # (or not yet seen) by an earlier, killed import.
        for order in list(ebay.state.orders.orders.values())[round_::17]:
            if order.fulfillment_status == "NOT_STARTED" and not order.cancelled:
                ebay.state.orders.cancel(
                    order.order_id, at=t0 + dt.timedelta(minutes=5)
                )
                expected[order.lines[0].sku] -= order.lines[0].quantity
    assert killed >= 2  # the test must actually kill imports
    await pull(env, kill_after=None)

    async with sessions() as db:
        orders = list(await db.scalars(select(Order)))
        lines = list(await db.scalars(select(OrderLine)))
        assert {o.marketplace_order_id for o in orders} == placed
        assert len(orders) == len(placed)
        assert len({(ln.order_id, ln.line_id) for ln in lines}) == len(lines)
        for sku, product_id in world.products.items():
            on, reserved = await ledger.verify(db, product_id)
            product = await db.get_one(Product, product_id)
            open_units = await db.scalar(
                select(func.coalesce(func.sum(OrderLine.stock_reserved), 0)).where(
                    OrderLine.product_id == product_id
                )
            )
            assert (on, reserved) == (500, expected[sku]), sku
            assert product.reserved == open_units == expected[sku], sku
