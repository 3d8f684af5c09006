"""Translation completeness: every stored code has a Korean and an English
label, no template shows a code or a UTC time raw, and the formatting helpers
label times with the reader's zone."""

from __future__ import annotations

import datetime as dt
import enum
import re
from pathlib import Path

import pytest

from export_hub.accounts.models import Role
from export_hub.brand.config import BrandingMode
from export_hub.catalog.models import Condition, ReviewState, RevisionState
from export_hub.catalog.review import ReviewAction
from export_hub.consultations.models import BookingStatus, OutcomeKind
from export_hub.i18n import (
    format_local_date,
    format_local_time,
    format_money,
    format_number,
    zone_or_default,
)
from export_hub.labels import DOMAINS, label, label_text
from export_hub.listings.sync.plan import Action
from export_hub.mail import OutboxStatus
from export_hub.marketplaces.service import ConnectionStatus
from export_hub.orders.models import ShipmentStatus
from export_hub.orders.web import STATUS_LABELS as ORDER_STATUS_LABELS
from export_hub.stock.models import Cause
from jobs.defaults import default_registry
from tests.conftest import make_settings

TEMPLATES = Path(__file__).parents[2] / "export_hub" / "web" / "templates"
HANGUL = re.compile(r"[\uac00-\ud7a3]")

ENUM_DOMAINS: list[tuple[type[enum.Enum], str]] = [
    (Role, "role"),
    (ReviewState, "review_state"),
    (RevisionState, "revision_state"),
    (Condition, "condition"),
    (ReviewAction, "audit_action"),
    (BookingStatus, "booking_status"),
    (OutcomeKind, "outcome_kind"),
    (ShipmentStatus, "shipment_status"),
    (Cause, "stock_cause"),
    (ConnectionStatus, "connection_status"),
    (Action, "sync_action"),
    (OutboxStatus, "mail_status"),
    (BrandingMode, "branding_mode"),
]


@pytest.mark.parametrize(("kind", "domain"), ENUM_DOMAINS)
def test_every_enumerated_code_has_a_label(kind: type[enum.Enum], domain: str) -> None:
    missing = [m.value for m in kind if label_text(domain, m) is None]
    assert not missing, f"{domain}: no label for {missing}"


def test_every_order_status_and_registered_job_has_a_label(tmp_path: Path) -> None:
    assert set(ORDER_STATUS_LABELS) <= set(DOMAINS["order_status"])
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path)
    names = {spec.name for spec in default_registry(settings)}
    assert names, "no jobs registered"
    assert names <= set(DOMAINS["job"]), names - set(DOMAINS["job"])


def test_every_label_has_korean_and_english() -> None:
    for domain, vocabulary in DOMAINS.items():
        for code, text in vocabulary.items():
            assert text.ko.strip(), (domain, code)
            assert text.en.strip(), (domain, code)
            assert HANGUL.search(text.ko), f"{domain}.{code}: Korean label {text.ko!r}"
            assert not HANGUL.search(text.en), f"{domain}.{code}: {text.en!r}"


def test_label_shows_the_word_and_an_unknown_code_as_it_is() -> None:
    assert label("ko", "booking_status", BookingStatus.PENDING) == "승인 대기"
    assert label("en", "sync_status", "succeeded") == "Succeeded"
    assert label("ko", "marketplace", "amazon") == "아마존"
    assert label("ko", "sync_outcome", "brand_new_outcome") == "brand_new_outcome"
    assert label("ko", "marketplace", None) == ""
    with pytest.raises(KeyError):
        label("ko", "no_such_domain", "x")


#: ``{{ x.status }}``, ``{{ x.action }}``, ``{{ booking.status.value }}`` ...:
#: a stored code printed as it is instead of through ``label(...)``.
RAW_CODE = re.compile(
    r"\{\{\s*[\w.\[\]\"']+\.(status|action|outcome|marketplace|severity|runner|"
    r"started_by|actor|condition|state|kind|mode)(\.value)?\s*(\|[^}]*)?\}\}"
)
ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')
#: A time formatted by hand (``strftime`` of a stored UTC instant) or labelled UTC.
RAW_TIME = re.compile(r'\.strftime\("%Y-%m-%d %H|\bUTC\b')
#: Where a hand-formatted time is already local (the consultation calendar
#: formats office-local wall-clock times with their zone abbreviation; the
#: results page explains that exchange rates are taken per UTC order day).
TIME_ALLOWED = re.compile(
    r"export|\.csv|\.xlsx|schedule in UTC|rate in force on each order's purchase day"
    r"|주문일\(UTC\)의 환율"
)


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.name)
def test_templates_show_no_raw_code_or_utc_time(path: Path) -> None:
    problems = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        # Codes in attributes (CSS classes, data-*, values) are not read.
        for match in RAW_CODE.finditer(ATTRIBUTE.sub(" ", line)):
            problems.append(f"{number}: raw code {match.group(0)}")
        if RAW_TIME.search(line) and not TIME_ALLOWED.search(line):
            problems.append(f"{number}: UTC time: {line.strip()[:120]}")
    assert not problems, f"{path.relative_to(TEMPLATES)}:\n" + "\n".join(problems)


def test_times_are_local_and_labelled() -> None:
    instant = dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)
    seoul = zone_or_default(None)
    assert format_local_time("en", instant, seoul) == "2026-12-03 16:00 KST"
    assert format_local_time("ko", instant, seoul) == "2026-12-03 16:00 (한국 시간)"
    naive = instant.replace(tzinfo=None)  # SQLite hands these back: UTC
    assert format_local_time("ko", naive, seoul, seconds=True).startswith(
        "2026-12-03 16:00:00"
    )
    berlin = zone_or_default("Europe/Berlin")
    assert format_local_time("en", instant, berlin).startswith("2026-12-03 08:00 ")
    assert "UTC" not in format_local_time("ko", instant, berlin)
    late = dt.datetime(2026, 12, 3, 20, 0, tzinfo=dt.UTC)
    assert format_local_date("ko", late, seoul) == "2026-12-04"
    assert format_local_time("ko", None, seoul) == ""
    assert zone_or_default("Not/AZone").key == "Asia/Seoul"


def test_numbers_and_money_follow_the_language() -> None:
    assert format_number("ko", 1234567) == "1,234,567"
    assert format_number("en", 15.0, 2) == "15"
    assert format_money("en", 24, "USD") == "$24.00"
    assert format_money("ko", 12000, "KRW") == "₩12,000"
