"""Bulk product import from CSV or XLSX: all rows or nothing.

Every row goes through the same validator as the product form
(:func:`export_hub.catalog.validation.clean_product`). The report names the
row (as the spreadsheet numbers it, the header being row 1), the column and
the problem in Korean and English. If any row is bad, nothing is imported;
otherwise every row is added as a ``draft`` in the caller's transaction,
its quantity on hand an ``import`` movement of the stock ledger.
The column names are in ``config/product_import_template.csv``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company, User
from export_hub.catalog.models import Product
from export_hub.catalog.service import create_product
from export_hub.catalog.validation import MAX_BULLETS, PRODUCT_INPUTS, clean_product
from export_hub.errors import RequestError, Text, ValidationFailed
from export_hub.stock.models import Cause

MAX_ROWS = 5000
BULLET_COLUMNS = tuple(f"bullet_{n}" for n in range(1, MAX_BULLETS + 1))
#: The spreadsheet's columns, in template order.
IMPORT_COLUMNS = tuple(
    column
    for name in PRODUCT_INPUTS
    for column in (BULLET_COLUMNS if name == "bullets_en" else (name,))
)
#: Columns a file must have (the rest may be left out).
REQUIRED_COLUMNS = frozenset(
    {
        "sku",
        "name_ko",
        "name_en",
        "description_ko",
        "description_en",
        "category",
        "brand",
        "hs_code",
        "cost_krw",
        "price_krw",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "quantity",
    }
)


@dataclass(frozen=True)
class ImportProblem:
    """One problem: spreadsheet row number, column name, bilingual message."""

    row: int
    column: str
    message: Text


@dataclass
class ImportReport:
    imported: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    def add(self, row: int, column: str, ko: str, en: str) -> None:
        self.problems.append(ImportProblem(row, column, Text(ko, en)))


class ImportRejected(RequestError):
    """The file had problems; nothing was imported (HTTP 400)."""

    status = 400
    code = "import_rejected"

    def __init__(self, report: ImportReport):
        super().__init__(
            Text(
                f"{len(report.problems)}개의 문제가 있어 아무것도 가져오지 않았습니다.",
                f"{len(report.problems)} problem(s) found: nothing was imported.",
            )
        )
        self.report = report

    def to_json(self, lang: str = "ko") -> dict[str, Any]:
        body = super().to_json(lang)
        body["error"]["problems"] = [
            {"row": p.row, "column": p.column, "ko": p.message.ko, "en": p.message.en}
            for p in self.report.problems
        ]
        return body


Row = tuple[int, dict[str, str]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(data: bytes) -> tuple[list[str], list[Row]]:
    """The header and the non-empty rows of a CSV (UTF-8) or XLSX file.

    Raises ``ValidationFailed`` on field ``file`` when it is neither.
    """
    if data.startswith(b"PK\x03\x04"):
        lines = _read_xlsx(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                {
                    "file": Text(
                        "CSV 파일은 UTF-8로 저장해 주세요.",
                        "Save the CSV file as UTF-8.",
                    )
                }
            ) from None
        lines = [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    if not lines:
        raise ValidationFailed({"file": Text("빈 파일입니다.", "The file is empty.")})
    header = [_cell(h).lower() for h in lines[0]]
    rows: list[Row] = []
    for number, cells in enumerate(lines[1:], start=2):
        values = [_cell(c) for c in cells]
        if any(values):
            rows.append((number, dict(zip(header, values, strict=False))))
    return header, rows


def _read_xlsx(data: bytes) -> list[list[Any]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(
            {
                "file": Text(
                    "엑셀 파일을 읽을 수 없습니다.", "The Excel file cannot be read."
                )
            }
        ) from exc
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _check_header(header: list[str], report: ImportReport) -> None:
    for column in header:
        if column and column not in IMPORT_COLUMNS:
            report.add(1, column, "알 수 없는 열입니다.", "Unknown column.")
    for column in sorted(REQUIRED_COLUMNS - set(header)):
        report.add(1, column, "필수 열이 없습니다.", "This required column is missing.")


def _column_of(field_name: str) -> str:
    return "bullet_1..bullet_5" if field_name == "bullets_en" else field_name


async def import_products(
    db: AsyncSession, *, company: Company, actor: User | None, data: bytes
) -> ImportReport:
    """Validate every row of ``data``, then add them all as drafts.

    Raises :class:`ImportRejected` (nothing added) if any row is bad.
    """
    header, rows = read_table(data)
    report = ImportReport()
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
    existing = set(
        await db.scalars(select(Product.sku).where(Product.company_id == company.id))
    )
    seen: dict[str, int] = {}
    cleaned = []
    for number, values in rows:
        values["bullets_en"] = [values.get(c, "") for c in BULLET_COLUMNS]  # type: ignore[assignment]
        try:
            fields = clean_product(values)
        except ValidationFailed as exc:
            for name, message in exc.fields.items():
                report.problems.append(ImportProblem(number, _column_of(name), message))
            continue
        if fields.sku in existing:
            report.add(
                number, "sku", "이미 등록된 SKU입니다.", "This SKU is already in use."
            )
        elif fields.sku in seen:
            report.add(
                number,
                "sku",
                f"{seen[fields.sku]}행과 SKU가 같습니다.",
                f"Same SKU as row {seen[fields.sku]}.",
            )
        seen.setdefault(fields.sku, number)
        cleaned.append(fields)
    if report.problems:
        raise ImportRejected(report)
    for fields in cleaned:
        await create_product(
            db, company=company, actor=actor, fields=fields, cause=Cause.IMPORT
        )
    report.imported = len(cleaned)
    return report
