"""Integration: the bulk stock and price file (CSV, XLSX), all rows or none,
from the CLI, the company's page and the staff's page; the pages' stock."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from aiohttp import FormData
from click.testing import CliRunner
from cryptography.fernet import Fernet
from openpyxl import Workbook
from sqlalchemy import select

from export_hub.catalog.importer import ImportRejected
from export_hub.catalog.models import AuditEvent, Product, ReviewState
from export_hub.catalog.stock_import import import_stock
from export_hub.cli import main
from export_hub.db import create_engine, session_factory
from export_hub.stock import ledger
from tests.catalog_ops.helpers import approved_product
from tests.conftest import login
from tests.foundation.helpers import PASSWORD

TEMPLATE = Path(__file__).resolve().parents[2] / "config" / "stock_import_template.csv"


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["sku", "quantity", "price_krw", "target_price_usd"]


async def _state(sessions, product_id: int) -> tuple[int, int, object, ReviewState]:
    async with sessions() as db:
        p = await db.get(Product, product_id)
        await ledger.verify(db, product_id)
        return p.quantity, p.price_krw, p.target_price_usd, p.state


def test_the_shipped_template_has_the_columns() -> None:
    assert TEMPLATE.read_text(encoding="utf-8").splitlines()[0].split(",") == HEADER


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_a_bad_row_refuses_the_whole_file_then_a_good_file_applies(
    sessions, kind
) -> None:
    company, user, _, product = await approved_product(sessions, quantity="100")
    bad = [
        HEADER,
        ["TEST-001", "7", "", ""],
        ["NOPE-1", "1", "", ""],
        ["TEST-001", "x", "-5", "abc"],
    ]
    data = csv_bytes(bad) if kind == "csv" else xlsx_bytes(bad)
    with pytest.raises(ImportRejected) as caught:
        async with sessions.begin() as db:
            await import_stock(db, company=company, actor=user, data=data)
    problems = {(p.row, p.column) for p in caught.value.report.problems}
    assert problems == {
        (3, "sku"),
        (4, "sku"),
        (4, "quantity"),
        (4, "price_krw"),
        (4, "target_price_usd"),
    }
    assert all(p.message.ko and p.message.en for p in caught.value.report.problems)
    assert await _state(sessions, product.id) == (
        100,
        9000,
        product.target_price_usd,
        ReviewState.APPROVED,
    )
    good = [HEADER, ["TEST-001", "7", "9800", ""]]
    data = (
        csv_bytes(good)
        if kind == "csv"
        else xlsx_bytes([HEADER, ["TEST-001", 7, 9800, None]])
    )
    async with sessions.begin() as db:
        report = await import_stock(db, company=company, actor=user, data=data)
    assert report.imported == 1
    quantity, price, target, state = await _state(sessions, product.id)
    assert (quantity, price, state) == (7, 9800, ReviewState.APPROVED)
    assert str(target) == "12.90"  # an empty cell keeps the value
    async with sessions() as db:
        event = (
            await db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        ).one()
    assert event.action == "stock_import"
    assert event.details["changes"] == {"price_krw": [9000, 9800], "quantity": [100, 7]}


async def test_unknown_columns_and_missing_sku_column_are_reported(sessions) -> None:
    company, user, _, _ = await approved_product(sessions)
    with pytest.raises(ImportRejected) as caught:
        async with sessions.begin() as db:
            await import_stock(
                db, company=company, actor=user, data=csv_bytes([["name", "qty"]])
            )
    columns = {p.column for p in caught.value.report.problems}
    assert {"name", "qty", "sku"} <= columns


async def _with_sessions(database_url: str, work):  # type: ignore[no-untyped-def]
    """Run ``work(sessions)`` on an engine of this event loop, then dispose it."""
    engine = create_engine(database_url)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


def test_cli_import_stock(database_url, tmp_path, monkeypatch) -> None:
    company, _, _, product = asyncio.run(_with_sessions(database_url, approved_product))
    monkeypatch.setenv("EXPORT_HUB_DATABASE__URL", database_url)
    monkeypatch.setenv("EXPORT_HUB_WEB__SESSION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv(
        "EXPORT_HUB_SECURITY__SECRET_KEYS", json.dumps([Fernet.generate_key().decode()])
    )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, ["TEST-001", "-1", "", ""]]))
    result = CliRunner().invoke(
        main, ["import", "stock", str(bad), "--company", company.brn]
    )
    assert result.exit_code == 1
    assert "quantity" in result.output
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes([HEADER, ["TEST-001", 42, None, "15.00"]]))
    result = CliRunner().invoke(
        main, ["import", "stock", str(good), "--company", company.brn]
    )
    assert result.exit_code == 0, result.output
    assert "updated stock or price of 1 products" in result.output
    quantity, _, target, state = asyncio.run(
        _with_sessions(database_url, lambda s: _state(s, product.id))
    )
    assert (quantity, str(target), state) == (42, "15.00", ReviewState.APPROVED)


def _upload(csrf: str, data: bytes, **extra: str) -> FormData:
    form = FormData()
    form.add_field("csrf_token", csrf)
    for key, value in extra.items():
        form.add_field(key, value)
    form.add_field("file", data, filename="stock.csv", content_type="text/csv")
    return form


async def test_company_and_staff_pages_upload_stock(client, sessions) -> None:
    company, user, staff, product = await approved_product(sessions, quantity="100")
    csrf = await login(client, user.email, PASSWORD)
    resp = await client.post(
        "/company/stock",
        data=_upload(csrf, csv_bytes([HEADER, ["TEST-001", "abc", "", ""]])),
    )
    assert resp.status == 400
    body = await resp.text()
    assert "정수를 입력해 주세요" in body
    assert "Enter a whole number" in body
    assert (await _state(sessions, product.id))[0] == 100
    resp = await client.post(
        "/company/stock",
        data=_upload(csrf, csv_bytes([HEADER, ["TEST-001", "3", "", ""]])),
    )
    assert resp.status == 200
    assert await _state(sessions, product.id) == (
        3,
        9000,
        product.target_price_usd,
        ReviewState.APPROVED,
    )
    # The detail page says on hand, reserved and available (buffer 1 by default).
    page = await (await client.get(f"/company/products/{product.id}")).text()
    assert "보유 재고" in page
    assert "주문 대기" in page
    assert "판매 가능" in page
    assert '<dd data-stock="available">2</dd>' in page
    client.session.cookie_jar.clear()
    csrf = await login(client, staff.email, PASSWORD)
    resp = await client.post(
        "/staff/import/stock",
        data=_upload(csrf, csv_bytes([HEADER, ["TEST-001", "20", "", ""]]), brn="000"),
    )
    assert resp.status == 400
    resp = await client.post(
        "/staff/import/stock",
        data=_upload(
            csrf, csv_bytes([HEADER, ["TEST-001", "20", "", ""]]), brn=company.brn
        ),
    )
    assert resp.status == 200
    assert (await _state(sessions, product.id))[0] == 20
    # The staff set the company's buffer; the review page shows what is available.
    resp = await client.post(
        f"/staff/companies/{company.id}/stock-buffer",
        data={"csrf_token": csrf, "stock_buffer": "5"},
        allow_redirects=False,
    )
    assert resp.status == 303
    page = await (await client.get(f"/staff/products/{product.id}")).text()
    assert '<dd data-stock="buffer">5</dd>' in page
    assert '<dd data-stock="available">15</dd>' in page
    resp = await client.post(
        f"/staff/companies/{company.id}/stock-buffer",
        data={"csrf_token": csrf, "stock_buffer": "-2"},
    )
    assert resp.status == 400
