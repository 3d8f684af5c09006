"""Every code DOMAIN.md lists (and every pre-flight code) is explained."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from export_hub.listings.explain import PREFLIGHT, explain, known_codes, pause_until
from export_hub.validation import contains_hangul

DOMAIN_AMAZON = ["8566", "8572", "5461", "8571", "90220", "99001"]
DOMAIN_EBAY = ["21919303", "37", "21916750", "518", "931", "932", "25002"]
#: Codes the Amazon connector and emulator emit besides DOMAIN.md's.
CONNECTOR_AMAZON = [
    "5665",
    "4000000",
    "4000001",
    "4000003",
    "4000004",
    "HANGUL_IN_CONTENT",
]
SOURCES = Path(__file__).resolve().parents[2] / "export_hub" / "brand"


def _preflight_codes_in_code() -> set[str]:
    found: set[str] = set()
    for path in SOURCES.glob("*.py"):
        found |= set(re.findall(r'"(PREFLIGHT_[A-Z_]+)"', path.read_text("utf-8")))
    return found


@pytest.mark.parametrize(
    ("marketplace", "code"),
    [("amazon", c) for c in DOMAIN_AMAZON]
    + [("ebay", c) for c in DOMAIN_EBAY]
    + [("amazon", c) for c in CONNECTOR_AMAZON]
    + [("amazon", c) for c in sorted(_preflight_codes_in_code())]
    + [("ebay", c) for c in sorted(_preflight_codes_in_code())],
)
def test_specific_bilingual_explanation(marketplace: str, code: str) -> None:
    e = explain(marketplace, code, "raw message")
    assert code in known_codes(marketplace)
    assert "raw message" not in e.what.en  # specific text, not the generic one
    for text in (e.what, e.action):
        assert contains_hangul(text.ko)
        assert text.en
        assert not contains_hangul(text.en)
    assert e.owner in ("company", "staff")


def test_every_code_the_preflight_emits_is_explained() -> None:
    assert _preflight_codes_in_code() <= set(PREFLIGHT)


def test_who_acts() -> None:
    assert explain("amazon", "5461").owner == "staff"
    assert explain("amazon", "8572").owner == "company"
    assert explain("ebay", "932").owner == "company"
    assert explain("ebay", "PREFLIGHT_HANGUL_IN_ENGLISH").owner == "company"


def test_unknown_code_is_generic_and_quotes_the_marketplace() -> None:
    e = explain("ebay", "99999", "Something odd happened")
    assert "99999" in e.what.ko
    assert "Something odd happened" in e.what.en
    assert e.marketplace_message == "Something odd happened"
    assert e.needs_human
    assert e.owner == "staff"
    # An Amazon code is not an eBay code.
    assert "21919303" not in e.what.en
    assert "raw" in explain("amazon", "21919303", "raw").what.en


def test_pause_only_when_a_person_must_act() -> None:
    now = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    assert pause_until(explain("amazon", "8566"), now) == now + dt.timedelta(hours=24)
    assert pause_until(explain("amazon", "8566"), now, 6) == now + dt.timedelta(hours=6)
    assert pause_until(explain("ebay", "518"), now) is None
    assert pause_until(explain("ebay", "25001"), now) is None
    assert "한도" in explain("ebay", "518").summary("ko")
