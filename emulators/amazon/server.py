"""Running the emulator: in-process (tests, ``make run``) or standalone.

Over HTTPS with a throwaway CA (``trustme``) the connector sends the Host
header python-amazon-sp-api derives from the endpoint, exactly as against
Amazon; the CA goes to ``settings.amazon.ca_bundle``. Plain HTTP also works
(the emulator never looks at ``Host``), which ``make run`` uses so a browser
opens the consent page without a certificate warning.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from emulators.amazon.app import create_app
from emulators.amazon.common import BASE_URL
from emulators.amazon.config import EmulatorConfig
from emulators.amazon.state import EmulatorState


class EmulatorTLS:
    """A throwaway certificate authority and a certificate for loopback."""

    def __init__(self) -> None:
        # trustme is in the ``demo`` extra; importing this module (for
        # ``amazon_settings_overrides``) must not need it.
        import trustme

        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._cert.configure_cert(context)
        return context

    def write_ca(self, path: Path) -> Path:
        """Write the CA certificate (PEM) for clients to trust; returns ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._ca.cert_pem.write_to_path(str(path))
        return path


class AmazonEmulator:
    """The emulator serving on ``host:port`` (``port=0`` picks a free one).

    ``async with AmazonEmulator(config) as emu: emu.base_url, emu.state``.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: EmulatorTLS | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.host = host
        self.port = port
        self.tls = tls
        self.state = EmulatorState(config, clock)
        self.app = create_app(self.state)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.host,
            self.port,
            ssl_context=self.tls.server_context() if self.tls else None,
        )
        await site.start()
        port = self._runner.addresses[0][1]
        scheme = "https" if self.tls else "http"
        self.base_url = f"{scheme}://{self.host}:{port}"
        self.app[BASE_URL][0] = self.base_url
        return self.base_url

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> AmazonEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def amazon_settings_overrides(base_url: str, ca_bundle: str = "") -> dict[str, Any]:
    """``AmazonSettings`` fields pointing the connector at an emulator."""
    return {
        "endpoints": {region: base_url for region in ("na", "eu", "fe")},
        "lwa_token_url": f"{base_url}/auth/o2/token",
        "consent_url": f"{base_url}/apps/authorize/consent",
        "ca_bundle": ca_bundle,
    }
