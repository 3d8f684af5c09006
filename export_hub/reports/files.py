"""Export results as CSV and XLSX downloads: the same rows as the page and
the API, the same columns in the same order."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from export_hub.reports.results import Results

COLUMNS = (
    "key", "label", "currency", "orders", "units", "sales", "sales_krw",
    "unconverted", "rate",
)  # fmt: skip


def _cells(results: Results) -> list[list[Any]]:
    return [
        [
            row.key, row.label, row.currency, row.orders, row.units, row.sales,
            row.sales_krw, row.unconverted, row.rate_label,
        ]
        for row in results.rows
    ]  # fmt: skip


def results_csv(results: Results) -> str:
    """UTF-8 CSV with a header line; money as plain decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for cells in _cells(results):
        writer.writerow([str(c) if isinstance(c, Decimal) else c for c in cells])
    return out.getvalue()


def results_xlsx(results: Results) -> bytes:
    """One sheet, a header row, money as numbers with two decimals."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one
    sheet.title = "export results"
    sheet.append(list(COLUMNS))
    for cells in _cells(results):
        sheet.append(cells)
    for column in ("F", "G", "H"):
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
