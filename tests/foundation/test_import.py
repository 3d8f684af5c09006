"""Integration: bulk import from CSV and XLSX, all rows or nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from aiohttp import FormData
from click.testing import CliRunner
from cryptography.fernet import Fernet
from openpyxl import Workbook
from sqlalchemy import func, select

from export_hub.accounts.models import Role
from export_hub.catalog.importer import IMPORT_COLUMNS, ImportRejected, import_products
from export_hub.catalog.models import AuditEvent, Product, ReviewState
from export_hub.cli import main
from export_hub.db import create_engine, session_factory
from tests.conftest import login
from tests.foundation.helpers import PASSWORD, make_company_user, make_user

TEMPLATE = (
    Path(__file__).resolve().parents[2] / "config" / "product_import_template.csv"
)


def template_rows() -> list[dict[str, str]]:
    with TEMPLATE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def rows_with(n: int, **bad: dict[str, str]) -> list[dict[str, str]]:
    """``n`` valid rows based on the shipped template; ``bad`` maps index → changes."""
    base = template_rows()[0]
    rows = [base | {"sku": f"IMP-{i:03d}"} for i in range(n)]
    for index, changes in bad.items():
        rows[int(index.removeprefix("row"))] |= changes
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(IMPORT_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # Excel's BOM is fine


def to_xlsx(rows: list[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(IMPORT_COLUMNS))
    for row in rows:
        cells = [row[c] for c in IMPORT_COLUMNS]
        # Spreadsheets hold numbers as numbers.
        cells = [int(v) if v.isdigit() and len(v) < 12 else v for v in cells]
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_has_every_column() -> None:
    assert tuple(template_rows()[0]) == IMPORT_COLUMNS


@pytest.mark.parametrize("encode", [to_csv, to_xlsx])
async def test_import_is_all_or_nothing(sessions, encode) -> None:
    company, user = await make_company_user(sessions)
    bad = rows_with(
        4, row1={"gtin": "8801234567890"}, row3={"price_krw": "0", "name_en": "차"}
    )
    with pytest.raises(ImportRejected) as info:
        async with sessions.begin() as db:
            await import_products(db, company=company, actor=user, data=encode(bad))
    problems = {(p.row, p.column) for p in info.value.report.problems}
    assert problems == {(3, "gtin"), (5, "price_krw"), (5, "name_en")}
    assert all(p.message.ko and p.message.en for p in info.value.report.problems)
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Product)) == 0
    async with sessions.begin() as db:
        report = await import_products(
            db, company=company, actor=user, data=encode(rows_with(4))
        )
    assert report.imported == 4
    async with sessions() as db:
        products = list(await db.scalars(select(Product).order_by(Product.sku)))
        created = await db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "create")
        )
    assert [p.sku for p in products] == ["IMP-000", "IMP-001", "IMP-002", "IMP-003"]
    assert all(
        p.state is ReviewState.DRAFT and p.gtin == "8801234567893" for p in products
    )
    assert products[0].bullets_en == [
        "Caffeine free",
        "30 individually wrapped tea bags",
        "Grown and packed in Daejeon",
    ]
    assert created == 4
    # Importing the same SKUs again, or duplicates inside a file, is refused.
    with pytest.raises(ImportRejected) as info:
        async with sessions.begin() as db:
            await import_products(
                db, company=company, actor=user, data=encode(rows_with(1))
            )
    assert [(p.row, p.column) for p in info.value.report.problems] == [(2, "sku")]


async def test_unknown_and_missing_columns_are_reported(sessions) -> None:
    company, user = await make_company_user(sessions)
    data = "sku,name_ko,colour\nX-1,이름,red\n".encode()
    with pytest.raises(ImportRejected) as info:
        async with sessions.begin() as db:
            await import_products(db, company=company, actor=user, data=data)
    columns = {p.column for p in info.value.report.problems}
    assert "colour" in columns
    assert "price_krw" in columns
    assert all(p.row == 1 for p in info.value.report.problems)


async def test_staff_upload_page_reports_problems(client, sessions) -> None:
    company, _ = await make_company_user(sessions)
    await make_user(sessions, Role.STAFF, "staff@example.kr")
    csrf = await login(client, "staff@example.kr", PASSWORD)

    def upload(content: bytes, brn: str = company.brn) -> FormData:
        data = FormData()
        data.add_field("csrf_token", csrf)
        data.add_field("brn", brn)
        data.add_field("file", content, filename="p.xlsx")
        return data

    resp = await client.post(
        "/staff/import", data=upload(to_xlsx(rows_with(2, row1={"hs_code": "1"})))
    )
    assert resp.status == 400
    body = await resp.text()
    assert "HS 코드는 숫자 6–10자리입니다" in body
    assert "<td>3</td><td>hs_code</td>" in body
    resp = await client.post("/staff/import", data=upload(b"x", brn="1234567890"))
    assert resp.status == 400
    resp = await client.post("/staff/import", data=upload(to_xlsx(rows_with(2))))
    assert resp.status == 200
    assert "2개 제품을 등록했습니다" in await resp.text()


def test_cli_imports_a_file(database_url: str, tmp_path: Path, monkeypatch) -> None:
    import asyncio

    async def seed() -> str:
        engine = create_engine(database_url)
        company, _ = await make_company_user(session_factory(engine))
        await engine.dispose()
        return company.brn

    brn = asyncio.run(seed())
    monkeypatch.setenv("EXPORT_HUB_DATABASE__URL", database_url)
    monkeypatch.setenv("EXPORT_HUB_WEB__SESSION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv(
        "EXPORT_HUB_SECURITY__SECRET_KEYS", json.dumps([Fernet.generate_key().decode()])
    )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(to_csv(rows_with(2, row0={"weight_g": "-3"})))
    result = CliRunner().invoke(
        main, ["import", "products", str(bad), "--company", brn]
    )
    assert result.exit_code == 1
    assert "weight_g" in result.output
    good = tmp_path / "good.xlsx"
    good.write_bytes(to_xlsx(rows_with(3)))
    result = CliRunner().invoke(
        main, ["import", "products", str(good), "--company", brn]
    )
    assert result.exit_code == 0, result.output
    assert "imported 3 products" in result.output
