"""``GET /api/v1/reports/export-results``: the export results as JSON (staff:
every company, or one with ``company_id``; a company: its own)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from export_hub.api.openapi import API_PREFIX, add_api_route, add_schema, ref
from export_hub.reports.web import load_results

STR = {"type": "string"}
MONEY = {"type": "string", "description": "decimal"}
SCHEMAS: dict[str, Any] = {
    "ExportResultRow": {
        "type": "object",
        "properties": {
            "key": STR, "label": STR, "currency": STR,
            "orders": {"type": "integer"}, "units": {"type": "integer"},
            "sales": MONEY, "sales_krw": MONEY, "unconverted": MONEY,
            "no_rate": {"type": "boolean",
                        "description": "some sales had no KRW rate on their day"},
            "rate": {
                "type": "object",
                "description": "the KRW rates used (effective dates, lowest, highest)",
                "properties": {
                    "from": {"type": "string", "format": "date", "nullable": True},
                    "to": {"type": "string", "format": "date", "nullable": True},
                    "min": {"type": "string", "nullable": True},
                    "max": {"type": "string", "nullable": True},
                    "label": STR,
                },
            },
        },
    },
    "ExportResults": {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "group_by": STR,
            "company_id": {"type": "integer", "nullable": True},
            "rows": {"type": "array", "items": ref("ExportResultRow")},
            "total_krw": MONEY,
            "total_units": {"type": "integer"},
        },
    },
}  # fmt: skip


async def export_results_api(request: web.Request) -> web.Response:
    results = await load_results(request)
    q = results.query
    return web.json_response(
        {
            "from": q.start.isoformat(),
            "to": q.last_day.isoformat(),
            "group_by": q.group_by.value,
            "company_id": q.company_id,
            "rows": [row.as_json() for row in results.rows],
            "total_krw": str(results.total_krw),
            "total_units": results.total_units,
        }
    )


def setup(app: web.Application) -> None:
    for name, schema in SCHEMAS.items():
        add_schema(app, name, schema)
    add_api_route(
        app, "GET", f"{API_PREFIX}/reports/export-results", export_results_api,
        tag="reports", response_schema="ExportResults", responses=(400, 401, 403, 404),
        summary="Export results: orders, units, sales (order currency and KRW)",
        description=(
            "Orders purchased from `from` to `to` (UTC days, both included),"
            " cancelled and refunded ones netted out, one row per group and"
            " currency. KRW at the rate of each order's purchase day."
        ),
        query=(
            ("from", "string", "first day, YYYY-MM-DD (default: 12 months ago)"),
            ("to", "string", "last day, YYYY-MM-DD (default: today); at most 5 years"),
            ("group_by", "string", "company, marketplace, country, product or month"),
            ("company_id", "integer", "staff: one company; a company: its own only"),
        ),
    )  # fmt: skip
