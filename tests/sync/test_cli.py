"""``export-hub sync`` as a real process: dry run with its summary, and a
process killed halfway whose work the next sync finishes without duplicates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

from emulators.amazon import AmazonEmulator, FaultConfig
from emulators.ebay import EbayEmulator
from export_hub.listings.models import Listing, SyncRun
from export_hub.listings.sync.run import run_sync
from export_hub.settings import Settings
from jobs.models import JobRun
from tests.sync.conftest import COMPANIES, seed
from tests.sync.test_reliability import assert_all_live_once


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value


def cli_env(settings: Settings) -> dict[str, str]:
    """The test settings as ``EXPORT_HUB_*`` variables for a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORT_HUB_")}
    for section in ("database", "web", "security", "amazon", "ebay", "brand"):
        for key, value in getattr(settings, section):
            plain = _plain(value)
            env[f"EXPORT_HUB_{section.upper()}__{key.upper()}"] = (
                plain if isinstance(plain, str) else json.dumps(plain)
            )
    env["EXPORT_HUB_ENVIRONMENT"] = "test"
    env["EXPORT_HUB_CONFIG"] = os.devnull
    return env


async def export_hub(settings: Settings, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "export_hub",
        *args,
        env=cli_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_dry_run_reports_and_sends_nothing(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    await seed(sessions, settings, ebay)
    process = await export_hub(settings, "sync", "--dry-run")
    out, _ = await process.communicate()
    text = out.decode()
    assert process.returncode == 0, text
    assert "create" in text
    assert "planned" in text
    assert amazon.state.calls == []
    assert ebay.state.log == []
    async with sessions() as db:
        run = await db.scalar(select(SyncRun))
        job = await db.scalar(select(JobRun).where(JobRun.kind == "sync.run"))
        assert await db.scalar(select(func.count()).select_from(Listing)) == 0
    assert run.status == "succeeded"
    assert run.dry_run
    # Amazon: 6 new listings. eBay: the seller's business policies are set up
    # by the first real run (a dry run makes no call), so pre-flight says so.
    assert run.counts["create"] == {"planned": 6}
    assert run.counts["preflight"] == {"planned": 6}
    assert job.started_by == "cli"
    assert job.runner == "foreground"
    assert job.counts == run.counts


async def test_killed_process_then_next_sync_finishes_without_duplicates(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, COMPANIES, products=40)
    amazon.config.faults = FaultConfig(latency_seconds=0.03)
    ebay.state.config.latency = (0.03, 0.05)
    process = await export_hub(settings, "sync")
    try:
        for _ in range(1000):
            async with sessions() as db:
                sent = await db.scalar(
                    select(func.count())
                    .select_from(Listing)
                    .where(Listing.in_doubt_operation.is_not(None))
                )
            if sent:
                break
            await asyncio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    amazon.config.faults = FaultConfig()
    ebay.state.config.latency = (0.0, 0.0)
    report = await run_sync(sessions, settings)
    assert "busy" not in report.counts.get("seller", {})  # dead owner's claim taken
    await assert_all_live_once(sessions, settings, amazon, ebay, world)
