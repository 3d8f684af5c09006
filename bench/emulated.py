"""Both marketplace emulators in a child process (real sockets), and bench
settings aimed at them; shared by the sync benchmarks.

The child answers ``"stats"`` with the calls each emulator saw so far and
stops on ``"stop"``: the benchmarks count calls where the marketplace sees
them, not where the sync says it made them.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from emulators.amazon import (
    AmazonEmulator,
    EmulatorConfig,
    SellerConfig,
    amazon_settings_overrides,
)
from emulators.ebay import EbayEmulator
from emulators.ebay import EmulatorConfig as EbayConfig


def serve_emulators(conn: Connection, companies: int, scale: float) -> None:
    """Child process: both emulators until told to stop (see the module)."""

    async def serve() -> None:
        sellers = [f"A{c:03d}BENCHSELLER" for c in range(companies)]
        amazon_config = EmulatorConfig(
            sellers=[SellerConfig(s, [f"Atzr|bench-{s}"], None, s) for s in sellers],
            processing_delay_seconds=0.5,
            rate_scale=scale,
        )
        ebay_config = EbayConfig(rate_scale=scale)
        async with (
            AmazonEmulator(amazon_config) as amazon,
            EbayEmulator(ebay_config) as ebay,
        ):
            users = [f"bench_user_{c}" for c in range(companies)]
            for user in users:
                ebay.state.add_seller(user, opted_in=True)
            conn.send(
                {
                    "amazon_url": amazon.base_url,
                    "amazon_client_id": amazon_config.client_id,
                    "amazon_client_secret": amazon_config.client_secret,
                    "amazon_sellers": [(s, f"Atzr|bench-{s}") for s in sellers],
                    "ebay": ebay.settings_overrides(),
                    "ebay_sellers": [
                        (u, ebay.state.issue_refresh_token(u)) for u in users
                    ],
                    "ebay_rate": (ebay_config.rate_per_second, ebay_config.rate_burst),
                    "amazon_feed_seconds": amazon_config.processing_delay_seconds,
                }
            )
            loop = asyncio.get_running_loop()
            while True:
                message = await loop.run_in_executor(None, conn.recv)
                if message == "stop":
                    return
                conn.send(
                    (
                        list(amazon.state.calls),
                        [(path, user) for _, path, user, _ in ebay.state.log],
                    )
                )

    asyncio.run(serve())


@contextlib.contextmanager
def emulators(companies: int, scale: float) -> Iterator[tuple[Connection, Any]]:
    """Start the child; yields (connection, what it told about itself)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=serve_emulators, args=(child, companies, scale), daemon=True
    )
    process.start()
    info = parent.recv()
    try:
        yield parent, info
    finally:
        parent.send("stop")
        process.join(10)


def emulator_overrides(info: dict[str, Any], scale: float) -> dict[str, Any]:
    """Settings overrides aiming both connectors at the emulators."""
    return {
        "amazon": {
            **amazon_settings_overrides(info["amazon_url"]),
            "lwa_client_id": info["amazon_client_id"],
            "lwa_client_secret": info["amazon_client_secret"],
            "rate_scale": scale,
            "retry_initial_wait_seconds": 0.05,
        },
        "ebay": {
            **info["ebay"],
            "rate_scale": scale,
            "requests_per_second": info["ebay_rate"][0],
            "retry_initial_wait_seconds": 0.05,
        },
    }


def call_counts(conn: Connection) -> tuple[int, int]:
    """Calls seen so far by (Amazon, eBay)."""
    conn.send("stats")
    amazon_calls, ebay_calls = conn.recv()
    return len(amazon_calls), len(ebay_calls)
