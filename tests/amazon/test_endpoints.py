"""The application aims the connectors at the emulators without importing
them, and the URLs it derives are the ones the emulators serve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from emulators.amazon import amazon_settings_overrides
from emulators.ebay import EbayEmulator
from export_hub.marketplaces.endpoints import (
    amazon_emulator_overrides,
    effective_amazon_settings,
    effective_ebay_settings,
)
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_derived_urls_are_the_emulators_own(tmp_path: Path) -> None:
    base = "http://127.0.0.1:8123"
    assert amazon_emulator_overrides(base, "ca.pem") == amazon_settings_overrides(
        base, "ca.pem"
    )
    emulator = EbayEmulator(port=8124)
    ebay = effective_ebay_settings(
        make_settings(
            "sqlite+aiosqlite:///unused.db",
            tmp_path,
            emulators={"enabled": True, "ebay_port": 8124},
        )
    )
    for field, url in emulator.settings_overrides().items():
        if field.endswith("_url"):
            assert getattr(ebay, field) == url, field


def test_settings_are_untouched_unless_the_emulators_are_enabled(
    tmp_path: Path,
) -> None:
    settings = make_settings("sqlite+aiosqlite:///unused.db", tmp_path)
    assert effective_amazon_settings(settings) is settings.amazon
    assert effective_ebay_settings(settings) is settings.ebay
    enabled = make_settings(
        "sqlite+aiosqlite:///unused.db",
        tmp_path,
        emulators={"enabled": True, "amazon_port": 8125},
    )
    amazon = effective_amazon_settings(enabled)
    assert set(amazon.endpoints.values()) == {"http://127.0.0.1:8125"}
    assert amazon.lwa_token_url == "http://127.0.0.1:8125/auth/o2/token"


def test_production_code_never_loads_the_emulators() -> None:
    modules = (
        "connectors.amazon.transport",
        "connectors.amazon.client",
        "connectors.ebay.inventory",
        "export_hub.marketplaces.registry",
        "export_hub.marketplaces.amazon",
        "export_hub.marketplaces.ebay_legacy",
    )
    probe = (
        f"import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] == 'emulators'))\n"
    )
    done = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
