"""Bulk stock and price upload from CSV or XLSX: all rows or nothing.

Rows are identified by SKU within one company. ``quantity`` (on hand),
``price_krw`` and ``target_price_usd`` are optional per row (an empty cell
keeps the current value); at least one of those columns must be present.
Unknown SKUs, bad numbers and a SKU on two rows refuse the whole file with a
report naming the row (the header being row 1), the column and the problem
in Korean and English. Otherwise every row applies at once, without review
and in the caller's transaction: on hand through the stock ledger (cause
``import``), each change audited. The columns are in
``config/stock_import_template.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company, User
from export_hub.catalog.importer import (
    MAX_ROWS,
    ImportProblem,
    ImportRejected,
    ImportReport,
    read_table,
)
from export_hub.catalog.models import Product
from export_hub.catalog.operations import apply_operations, clean_operations
from export_hub.errors import ValidationFailed
from export_hub.stock.models import Cause

#: The file's columns, in template order; ``sku`` is required.
STOCK_COLUMNS = ("sku", "quantity", "price_krw", "target_price_usd")
VALUE_COLUMNS = frozenset(STOCK_COLUMNS[1:])


@dataclass
class StockImportReport(ImportReport):
    """What a stock file did: rows read, products whose stock or price changed."""

    rows: int = 0


def _check_header(header: list[str], report: ImportReport) -> None:
    for column in header:
        if column and column not in STOCK_COLUMNS:
            report.add(1, column, "알 수 없는 열입니다.", "Unknown column.")
    if "sku" not in header:
        report.add(1, "sku", "필수 열이 없습니다.", "This required column is missing.")
    if not VALUE_COLUMNS & set(header):
        report.add(
            1,
            "",
            "quantity, price_krw, target_price_usd 중 한 열은 있어야 합니다.",
            "The file needs at least one of quantity, price_krw, target_price_usd.",
        )


def _row_changes(
    number: int, values: dict[str, str], report: ImportReport
) -> dict[str, Any] | None:
    given = {k: v for k, v in values.items() if k in VALUE_COLUMNS and v != ""}
    try:
        return clean_operations(given)
    except ValidationFailed as exc:
        for name, message in exc.fields.items():
            report.problems.append(ImportProblem(number, name, message))
        return None


async def import_stock(
    db: AsyncSession, *, company: Company, actor: User | None, data: bytes
) -> StockImportReport:
    """Check every row of ``data``, then apply them all (no review).

    Raises :class:`ImportRejected` (nothing changed) if any row is bad, and
    ``ValidationFailed`` on ``file`` if the file is neither CSV nor XLSX.
    """
    header, rows = read_table(data)
    report = StockImportReport()
    _check_header(header, report)
    if len(rows) > MAX_ROWS:
        report.add(
            MAX_ROWS + 2,
            "",
            f"최대 {MAX_ROWS}행까지 가져올 수 있습니다.",
            f"At most {MAX_ROWS} rows per file.",
        )
    if report.problems:
        raise ImportRejected(report)
    products = {
        p.sku: p
        for p in await db.scalars(
            select(Product).where(Product.company_id == company.id)
        )
    }
    seen: dict[str, int] = {}
    planned: list[tuple[int, Product, dict[str, Any]]] = []
    for number, values in rows:
        sku = values.get("sku", "")
        product = products.get(sku)
        if not sku:
            report.add(number, "sku", "SKU를 입력해 주세요.", "Enter the SKU.")
        elif product is None:
            report.add(
                number,
                "sku",
                "이 기업에 없는 SKU입니다.",
                "No product of this company has this SKU.",
            )
        elif sku in seen:
            report.add(
                number,
                "sku",
                f"{seen[sku]}행과 SKU가 같습니다.",
                f"Same SKU as row {seen[sku]}.",
            )
        seen.setdefault(sku, number)
        changes = _row_changes(number, values, report)
        if product is not None and changes is not None:
            planned.append((number, product, changes))
    if report.problems:
        raise ImportRejected(report)
    for number, product, changes in planned:
        changed = await apply_operations(
            db,
            product,
            actor=actor,
            changes=changes,
            cause=Cause.IMPORT,
            note=f"stock file row {number}",
        )
        report.imported += 1 if changed else 0
    report.rows = len(planned)
    return report
