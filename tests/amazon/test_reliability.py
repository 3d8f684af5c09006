"""Throttling, server errors, dropped connections, timeouts and revoked
authorizations: retried where Amazon says to, mapped where not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from connectors.amazon.client import AmazonListingsClient
from connectors.amazon.transport import AmazonTransport
from connectors.base import Marketplace, SellerAccount, SubmissionStatus
from emulators.amazon import AmazonEmulator, FaultConfig
from export_hub.errors import (
    AuthorizationError,
    NeedsHumanError,
    OutcomeUnknown,
    TransientError,
)
from export_hub.logging import configure_logging
from tests.amazon.conftest import (
    REFRESH,
    SCALE,
    SELLER,
    US,
    MakeClient,
    amazon_settings,
    payload,
)


async def test_429_storm_is_paced_and_retried(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    # Amazon grants far less than documented: 1/s burst 2 (scaled).
    emulator.config.rates = {"putListingsItem": (1.0, 2)}
    client = make_client(max_attempts=8)
    results = await asyncio.gather(
        *(client.put_listing(payload(sku=f"STORM-{i}")) for i in range(12))
    )
    assert {r.status for r in results} == {SubmissionStatus.ACCEPTED}
    assert emulator.state.throttled > 0
    assert client.transport.stats.throttled == emulator.state.throttled
    # The granted rate from x-amzn-RateLimit-Limit replaced the documented one.
    bucket = client.transport.registry.bucket("putListingsItem", SELLER, US)
    assert bucket.rate.per_second == pytest.approx(1.0 * SCALE)


async def test_server_errors_are_retried(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    # 40% of answers fail; ten attempts make a lost call about 1 in 10,000.
    emulator.config.faults = FaultConfig(error_500_share=0.2, error_503_share=0.2)
    client = make_client(max_attempts=10)
    results = await asyncio.gather(
        *(client.put_listing(payload(sku=f"FLAKY-{i}")) for i in range(8))
    )
    assert {r.status for r in results} == {SubmissionStatus.ACCEPTED}
    assert client.transport.stats.attempts > client.transport.stats.calls


async def test_persistent_server_errors_end_in_a_transient_error(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    emulator.config.faults = FaultConfig(error_503_share=1.0)
    client = make_client(max_attempts=3)
    with pytest.raises(TransientError) as caught:
        await client.get_listing("ANY")
    assert caught.value.status == 503
    assert caught.value.request_id
    assert caught.value.operation == "getListingsItem"
    assert caught.value.seller_id == SELLER
    assert caught.value.sku == "ANY"
    assert client.transport.stats.attempts == 3


async def test_dropped_connections_leave_writes_in_doubt(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    client = make_client(max_attempts=2)
    await client.definition("TEA")  # fetched before the faults start
    emulator.config.faults = FaultConfig(drop_share=1.0)
    with pytest.raises(OutcomeUnknown):
        await client.put_listing(payload())
    with pytest.raises(TransientError) as caught:
        await client.get_listing("HB-TEA-001")
    assert not isinstance(caught.value, OutcomeUnknown)  # a read can be repeated


async def test_timeouts_are_retried_then_reported(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    client = make_client(max_attempts=2, request_timeout_seconds=0.2)
    await client.definition("TEA")
    emulator.config.faults = FaultConfig(latency_seconds=1.0)
    with pytest.raises(OutcomeUnknown) as caught:
        await client.put_listing(payload())
    assert caught.value.sku == "HB-TEA-001"
    emulator.config.faults = FaultConfig(latency_seconds=0.05)
    assert (await client.put_listing(payload())).status is SubmissionStatus.ACCEPTED


async def test_a_revoked_refresh_token_needs_reauthorization(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    client = make_client(refresh="Atzr|never-issued")
    with pytest.raises(AuthorizationError) as caught:
        await client.check_connection()
    assert caught.value.code == "invalid_grant"
    assert "Atzr" not in str(caught.value)

    working = make_client()
    await working.check_connection()
    emulator.state.revoke(REFRESH)  # the seller removed the app
    with pytest.raises(AuthorizationError):
        await working.check_connection()


async def test_a_wrong_client_secret_is_an_authorization_error(
    make_client: MakeClient,
) -> None:
    client = make_client(lwa_client_secret="wrong", refresh="Atzr|other-cache-key")
    with pytest.raises(AuthorizationError) as caught:
        await client.check_connection()
    assert caught.value.code == "invalid_client"


async def test_bad_request_is_not_retried(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    client = make_client()
    with pytest.raises(NeedsHumanError) as caught:
        await client.transport.call(
            "searchListingsItems",
            client.session,
            lambda: client.session.listings.search_listings_items(
                SELLER, marketplaceIds=["NOT-A-MARKETPLACE"]
            ),
        )
    assert caught.value.status == 400
    assert [op for op, _ in emulator.state.calls].count("searchListingsItems") == 1


@pytest.fixture
async def bare_503() -> AsyncIterator[str]:
    """A server answering 503 with a text body (no JSON ``errors``)."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=503, text="Service Unavailable")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_error_status_without_errors_body_is_not_success(
    emulator: AmazonEmulator, ca_file: Path, bare_503: str
) -> None:
    # The library would return an empty response here; the transport raises.
    settings = amazon_settings(emulator, ca_file, max_attempts=2)
    settings = settings.model_copy(update={"endpoints": {"na": bare_503}})
    transport = AmazonTransport(settings)
    account = SellerAccount(Marketplace.AMAZON, SELLER, US, "na")
    async with AmazonListingsClient(transport, account, REFRESH) as client:
        with pytest.raises(TransientError) as caught:
            await client.get_listing("ANY")
    assert caught.value.status == 503


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_no_token_reaches_the_logs_at_debug(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    collect = _Collect()
    try:
        configure_logging("DEBUG")
        root.addHandler(collect)
        client = make_client()
        await client.put_listing(payload())
        await client.get_listing("HB-TEA-001")
        # The application's own DEBUG records do get through: the libraries
        # that would log tokens are the ones held back.
        logging.getLogger("export_hub.probe").debug("debug logging is on")
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
    secrets = [REFRESH, *emulator.state.access_tokens, emulator.config.client_secret]
    text = "\n".join(collect.lines)
    assert "debug logging is on" in text
    for secret in secrets:
        assert secret not in text
