"""The token source against the emulator's token endpoint, on a fake clock."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest

from connectors.ebay.oauth import EbayOAuthClient, EbayTokenSource, TokenGrant
from emulators.ebay import EbayEmulator
from export_hub.errors import AuthorizationError, MarketplaceError, NeedsHumanError
from tests.ebay.conftest import SELLER, ebay_settings

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.grants: list[TokenGrant] = []
        self.rejected: list[MarketplaceError] = []

    async def access_token_refreshed(self, grant: TokenGrant) -> None:
        self.grants.append(grant)

    async def refresh_token_rejected(self, error: MarketplaceError) -> None:
        self.rejected.append(error)


async def test_refreshes_shortly_before_expiry_once_for_all_callers(
    emulator: EbayEmulator, http: aiohttp.ClientSession
) -> None:
    clock, recorder = Clock(), Recorder()
    oauth = EbayOAuthClient(ebay_settings(emulator), http, clock=clock)
    tokens = EbayTokenSource(
        oauth,
        SELLER,
        emulator.state.issue_refresh_token(SELLER),
        access_token="cached",
        access_expires_at=START + dt.timedelta(minutes=10),
        listener=recorder,
        skew_seconds=300,
        clock=clock,
    )
    assert await tokens.get() == "cached"
    assert tokens.refresh_count == 0
    clock.now = START + dt.timedelta(minutes=6)  # 4 minutes left: inside the skew
    fresh = await asyncio.gather(*(tokens.get() for _ in range(20)))
    assert len(set(fresh)) == 1
    assert fresh[0] != "cached"
    assert tokens.refresh_count == 1
    assert emulator.state.token_calls["refresh_token"] == 1
    [grant] = recorder.grants
    assert grant.access_expires_at == clock.now + dt.timedelta(hours=2)
    assert "v^1.1" not in repr(grant)


async def test_a_rejected_refresh_token_is_reported_once(
    emulator: EbayEmulator, http: aiohttp.ClientSession
) -> None:
    recorder = Recorder()
    oauth = EbayOAuthClient(ebay_settings(emulator), http)
    tokens = EbayTokenSource(oauth, SELLER, "v^1.1#revoked", listener=recorder)
    results = await asyncio.gather(
        *(tokens.get() for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, AuthorizationError) for r in results)
    assert emulator.state.token_calls["refresh_token"] == 1
    assert len(recorder.rejected) == 1
    assert recorder.rejected[0].code == "invalid_grant"


async def test_code_exchange_and_wrong_client_credentials(
    emulator: EbayEmulator, http: aiohttp.ClientSession
) -> None:
    oauth = EbayOAuthClient(ebay_settings(emulator), http)
    with pytest.raises(AuthorizationError) as caught:
        await oauth.exchange_code("not-a-code")
    assert caught.value.code == "invalid_grant"
    wrong = EbayOAuthClient(ebay_settings(emulator, client_secret="wrong"), http)
    with pytest.raises(NeedsHumanError) as refused:
        await wrong.refresh(emulator.state.issue_refresh_token(SELLER))
    assert type(refused.value) is NeedsHumanError  # the app's keys, not the seller
    assert refused.value.code == "invalid_client"
