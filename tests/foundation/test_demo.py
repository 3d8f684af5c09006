"""The demo data: every review state, idempotent, its log-ins work."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.cli import main
from export_hub.db import create_engine, session_factory
from export_hub.demo.command import load_demo
from export_hub.validation import brn_check_digit_ok
from tests.conftest import login


async def test_demo_data_is_idempotent_and_covers_every_state(settings, client) -> None:
    first = await load_demo(settings)
    second = await load_demo(settings)
    assert first == second
    assert {x.role for x in first} >= {"admin", "staff", "office", "company"}
    engine = create_engine(settings.database.url)
    async with session_factory(engine)() as db:
        states = set(await db.scalars(select(Product.state)))
        products = await db.scalar(select(func.count()).select_from(Product))
        images = list(await db.scalars(select(ProductImage)))
        reasons = list(
            await db.scalars(
                select(Product.review_reason).where(
                    Product.state == ReviewState.CHANGES_REQUESTED
                )
            )
        )
    await engine.dispose()
    assert states >= {
        ReviewState.DRAFT,
        ReviewState.SUBMITTED,
        ReviewState.APPROVED,
        ReviewState.CHANGES_REQUESTED,
        ReviewState.REJECTED,
    }
    assert products == len(images) == 7
    assert all(reasons)
    for image in images:
        assert (settings.web.upload_dir / image.stored_name).is_file()
    staff = next(x for x in first if x.role == "staff")
    await login(client, staff.email, staff.password)
    body = await (await client.get("/staff/review")).text()
    assert "HB-SNK-002" in body
    assert "YC-MSK-010" in body
    company = next(x for x in first if x.role == "company")
    client.session.cookie_jar.clear()
    await login(client, company.email, company.password)
    body = await (await client.get("/company")).text()
    assert "보완 요청" in body
    assert "HB-HNY-003" in body


def test_demo_companies_have_valid_numbers() -> None:
    from stdnum import ean

    from export_hub.demo.catalog import COMPANIES, PRODUCTS

    assert all(brn_check_digit_ok(c["brn"]) for c in COMPANIES)
    assert all(c["postal_code"][:2] in ("34", "35") for c in COMPANIES)
    gtins = [
        p["gtin"] for items in PRODUCTS.values() for p, _, _ in items if "gtin" in p
    ]
    assert gtins
    assert all(ean.is_valid(g) for g in gtins)


def test_demo_command_migrates_loads_and_prints_logins(
    tmp_path: Path, monkeypatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'demo.sqlite3'}"
    monkeypatch.setenv("EXPORT_HUB_DATABASE__URL", url)
    monkeypatch.setenv("EXPORT_HUB_WEB__UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("EXPORT_HUB_WEB__SESSION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv(
        "EXPORT_HUB_SECURITY__SECRET_KEYS", json.dumps([Fernet.generate_key().decode()])
    )
    result = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "staff@demo.export-hub.kr" in result.output
    assert "demo-staff-2026" in result.output
