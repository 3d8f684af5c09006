"""A stateful eBay emulator (aiohttp) for tests, benchmarks and ``make run``.

It follows eBay's published documents: OAuth consent and token endpoint, the
Sell Inventory and Account APIs (JSON, eBay's error bodies, 200/207 bulk
answers), the Commerce Identity ``user`` call and the Trading API's XML on
``/ws/api.dll``. It validates like eBay (title length, required aspects and
closed value lists of a small category tree per site, policies before
publish, sane price and quantity),
enforces rate limits and daily quotas, and injects faults on request.

``EbayEmulator`` runs it on a real 127.0.0.1 socket in the current event loop;
``export-hub emulate ebay`` runs it standalone.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulators.ebay import account, fulfillment_api, inventory, oauth, offers, trading
from emulators.ebay.common import (
    STATE,
    fault_middleware,
    rest_auth_middleware,
)
from emulators.ebay.state import EmulatorConfig, EmulatorState

__all__ = ["EbayEmulator", "EmulatorConfig", "EmulatorState", "create_emulator_app"]


def create_emulator_app(state: EmulatorState) -> web.Application:
    """The emulator's aiohttp application around ``state``."""
    app = web.Application(middlewares=[fault_middleware, rest_auth_middleware])
    app[STATE] = state
    for module in (oauth, inventory, offers, account, trading, fulfillment_api):
        module.setup(app)
    return app


class EbayEmulator:
    """The emulator on a real socket: ``await start()``, ``url``, ``aclose()``."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.state = EmulatorState(config or EmulatorConfig())
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def config(self) -> EmulatorConfig:
        return self.state.config

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> EbayEmulator:
        self._runner = web.AppRunner(
            create_emulator_app(self.state), handle_signals=False, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EbayEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def settings_overrides(self) -> dict[str, Any]:
        """The ``ebay`` settings section pointing every endpoint here."""
        return {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "authorize_url": f"{self.url}/oauth2/authorize",
            "token_url": f"{self.url}/identity/v1/oauth2/token",
            "api_base_url": self.url,
            "identity_url": f"{self.url}/commerce/identity/v1/user/",
            "trading_url": f"{self.url}/ws/api.dll",
        }
