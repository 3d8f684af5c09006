"""An emulator of the parts of SP-API and Login with Amazon Export Hub uses."""

from connectors.amazon.emulator.config import EmulatorConfig, FaultConfig, SellerConfig
from connectors.amazon.emulator.server import (
    AmazonEmulator,
    EmulatorTLS,
    amazon_settings_overrides,
)

__all__ = [
    "AmazonEmulator",
    "EmulatorConfig",
    "EmulatorTLS",
    "FaultConfig",
    "SellerConfig",
    "amazon_settings_overrides",
]
