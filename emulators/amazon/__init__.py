"""An emulator of the parts of SP-API and Login with Amazon Export Hub uses."""

from emulators.amazon.config import EmulatorConfig, FaultConfig, SellerConfig
from emulators.amazon.server import (
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
