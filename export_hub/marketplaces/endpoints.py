"""Where the marketplace connectors call: the configured hosts, or the
in-process emulators when ``settings.emulators.enabled`` (``make run``, demos).

The emulator URLs follow from the emulator's base URL alone (plain HTTP on
``127.0.0.1`` and the configured port), so the application derives them here
without importing the emulators: production code never loads them. Build
every transport from these settings so a demo never reaches a real host.
"""

from __future__ import annotations

from typing import Any

from export_hub.settings import AmazonSettings, EbaySettings, Settings

LOOPBACK = "127.0.0.1"


def amazon_emulator_overrides(base_url: str, ca_bundle: str = "") -> dict[str, Any]:
    """``AmazonSettings`` fields aiming the connector at an SP-API emulator
    serving every region, LWA and the consent page at ``base_url``."""
    return {
        "endpoints": {region: base_url for region in ("na", "eu", "fe")},
        "lwa_token_url": f"{base_url}/auth/o2/token",
        "consent_url": f"{base_url}/apps/authorize/consent",
        "ca_bundle": ca_bundle,
    }


def ebay_emulator_overrides(base_url: str) -> dict[str, Any]:
    """``EbaySettings`` fields aiming the connector at an eBay emulator
    serving OAuth, the REST APIs, Commerce Identity and Trading at ``base_url``."""
    return {
        "authorize_url": f"{base_url}/oauth2/authorize",
        "token_url": f"{base_url}/identity/v1/oauth2/token",
        "api_base_url": base_url,
        "identity_url": f"{base_url}/commerce/identity/v1/user/",
        "trading_url": f"{base_url}/ws/api.dll",
    }


def effective_amazon_settings(settings: Settings) -> AmazonSettings:
    """``settings.amazon``, aimed at the in-process emulator when
    ``settings.emulators.enabled`` (plain HTTP on ``emulators.amazon_port``)."""
    if not settings.emulators.enabled:
        return settings.amazon
    base = f"http://{LOOPBACK}:{settings.emulators.amazon_port}"
    return settings.amazon.model_copy(update=amazon_emulator_overrides(base))


def effective_ebay_settings(settings: Settings) -> EbaySettings:
    """``settings.ebay``, aimed at the in-process emulator when
    ``settings.emulators.enabled`` (plain HTTP on ``emulators.ebay_port``)."""
    if not settings.emulators.enabled:
        return settings.ebay
    base = f"http://{LOOPBACK}:{settings.emulators.ebay_port}"
    return settings.ebay.model_copy(update=ebay_emulator_overrides(base))
