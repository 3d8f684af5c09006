"""Export results and the staff dashboard at programme scale, on PostgreSQL.

Loads 2,000 companies (5 products and an Amazon and an eBay seller account
each) and ``--lines`` order lines (default 1,000,000, about 1.5 per order)
over the 3 years before ``NOW`` with COPY, then times:

* the export-results query (:func:`export_results`) for the last year,
  grouped by month and by country (all companies, as staff see it): median
  of 5 runs, budget 500 ms each;
* the staff dashboard, ``GET /`` through the real application (the aiohttp
  test client, logged in as staff): median of 5 renders, budget 1 s.

``--database-url postgresql://postgres@127.0.0.1:5432/NAME``: the database is
created, migrated, and dropped afterwards. Prints one JSON line last with
the timings, the row counts and whether each budget held (exit 1 if not).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import psycopg.sql
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.db import create_engine, session_factory
from export_hub.migrations import upgrade
from export_hub.reports.results import GroupBy, ResultsQuery, export_results
from export_hub.settings import async_url, load_settings

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "JP", "AU", "IT", "ES", "NL")
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway database


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Any) -> int:
    """COPY ``rows``; other NOT NULL columns get a neutral value (the models'
    defaults are Python-side, so the table has none of its own)."""
    extra = _defaults(conn, table, {c.strip() for c in columns.split(",")})
    names = ", ".join([columns, *extra]) if extra else columns
    count = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row((*row, *extra.values()))
            count += 1
    return count


def load(url: str, companies: int, lines: int, seed: int) -> dict[str, int]:
    """Bulk-load the programme with COPY (one transaction)."""
    rng = random.Random(seed)
    now = NOW.isoformat()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        _copy(
            conn,
            "companies",
            "id, name_ko, name_en, brn",
            (
                (i, f"기업{i}", f"Company {i}", f"{1000000000 + i}")
                for i in range(1, companies + 1)
            ),
        )
        _copy(
            conn,
            "products",
            "id, company_id, sku, name_ko, name_en",
            (
                (c * 5 + k, c, f"SKU{k}", f"제품{k}", f"Product {k}")
                for c in range(1, companies + 1)
                for k in range(5)
            ),
        )
        _copy(
            conn,
            "seller_accounts",
            "id, company_id, marketplace, marketplace_id, region, seller_id, status,"
            " connected_at",
            (
                (
                    c * 2 + m,
                    c,
                    ("amazon", "ebay")[m],
                    ("ATVPDKIKX0DER", "EBAY_US")[m],
                    "na",
                    f"S{c}-{m}",
                    "connected",
                    now,
                )
                for c in range(1, companies + 1)
                for m in range(2)
            ),
        )
        orders: list[tuple[Any, ...]] = []
        order_lines: list[tuple[Any, ...]] = []
        span = 3 * 365 * 86400
        order_id = 0
        while len(order_lines) < lines:
            order_id += 1
            company = rng.randint(1, companies)
            market = rng.randint(0, 1)
            at = NOW - dt.timedelta(seconds=rng.randint(0, span))
            status = rng.choices(
                ("shipped", "unshipped", "cancelled", "refunded"), (90, 5, 3, 2)
            )[0]
            currency = ("USD", "EUR")[market and rng.random() < 0.3]
            refunded = "5.00" if rng.random() < 0.02 else "0"
            orders.append(
                (
                    order_id,
                    company * 2 + market,
                    company,
                    ("amazon", "ebay")[market],
                    "X",
                    f"O{order_id}",
                    status,
                    "",
                    at.isoformat(),
                    at.isoformat(),
                    rng.choice(COUNTRIES),
                    currency,
                    refunded,
                    now,
                    now,
                )
            )
            for n in range(rng.choice((1, 1, 2, 2))):
                quantity = rng.randint(1, 3)
                order_lines.append(
                    (
                        order_id,
                        f"L{n}",
                        f"SKU{n}",
                        company * 5 + n,
                        quantity,
                        0,
                        int(rng.random() < 0.03),
                        f"{quantity * rng.randint(10, 60)}.00",
                        currency,
                        "",
                        0,
                        0,
                        0,
                    )
                )
        _copy(
            conn,
            "orders",
            "id, seller_account_id, company_id, marketplace, marketplace_id,"
            " marketplace_order_id, status, raw_status, purchased_at,"
            " marketplace_updated_at, ship_to_country, currency, refunded,"
            " imported_at, last_seen_at",
            orders,
        )
        _copy(
            conn,
            "order_lines",
            "order_id, line_id, sku, product_id, quantity, shipped, cancelled, amount,"
            " currency, title, stock_reserved, stock_consumed, stock_revision",
            order_lines,
        )
        _copy(
            conn,
            "exchange_rates",
            "base_currency, quote_currency, rate, effective_on, source, created_at,"
            " updated_at",
            (
                (
                    cur,
                    "KRW",
                    base + rng.randint(-40, 40),
                    NOW.date().replace(day=1) - dt.timedelta(days=30 * m),
                    "bench",
                    now,
                    now,
                )
                for m in range(40)
                for cur, base in (("USD", 1350), ("EUR", 1480))
            ),
        )
        for table in ("companies", "products", "seller_accounts", "orders"):
            conn.execute(_setval(table))
        conn.execute("ANALYZE")
    return {
        "companies": companies,
        "orders": len(orders),
        "order_lines": len(order_lines),
    }


def _setval(table: str) -> Any:
    return psycopg.sql.SQL(
        "SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))"
    ).format(t=psycopg.sql.Literal(table), i=psycopg.sql.Identifier(table))


def _defaults(
    conn: psycopg.Connection[Any], table: str, given: set[str]
) -> dict[str, Any]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE"
        " table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
        (table,),
    ).fetchall()
    fill = {
        "integer": 0,
        "boolean": False,
        "json": "[]",
        "double precision": 0.0,
        "numeric": 0,
        "timestamp with time zone": NOW.isoformat(),
    }
    out: dict[str, Any] = {}
    for name, kind in rows:
        if name not in given:
            out[name] = "approved" if name == "state" else fill.get(kind, "")
    return out


async def measure(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    start = NOW.date().replace(year=NOW.year - 1)
    timings: dict[str, float] = {}
    rows: dict[str, int] = {}
    for group in (GroupBy.MONTH, GroupBy.COUNTRY):
        runs = []
        for _ in range(5):
            async with sessions() as db:
                began = time.perf_counter()
                result = await export_results(
                    db, ResultsQuery(start, NOW.date(), group)
                )
                runs.append(time.perf_counter() - began)
        timings[f"results_{group.value}_ms"] = round(statistics.median(runs) * 1000, 1)
        rows[f"results_{group.value}_rows"] = len(result.rows)
    async with sessions.begin() as db:
        await create_user(
            db, email="bench@agency.example", password=PASSWORD, role=Role.STAFF
        )
    await engine.dispose()
    settings = load_settings(
        environment="test",
        database={"url": url},
        web={"session_key": Fernet.generate_key().decode()},
        security={"secret_keys": [Fernet.generate_key().decode()]},
        jobs={"embedded": False},
    )
    from export_hub.web.app import create_app

    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    try:
        page = await client.get("/login")
        token = (await page.text()).split('name="csrf_token" value="')[1].split('"')[0]
        await client.post(
            "/login",
            data={
                "email": "bench@agency.example",
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        runs = []
        for _ in range(5):
            began = time.perf_counter()
            resp = await client.get("/")
            body = await resp.text()
            runs.append(time.perf_counter() - began)
            if resp.status != 200:
                raise RuntimeError(f"dashboard answered {resp.status}: {body[:300]}")
        timings["staff_dashboard_ms"] = round(statistics.median(runs) * 1000, 1)
    finally:
        await client.close()
    return {"timings": timings, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/exporthub_bench"
    )
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = async_url(args.database_url)
    admin_url, name = url.rsplit("/", 1)
    admin = create_sync_engine(admin_url + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(url)
        began = time.perf_counter()
        counts = load(
            url.replace("postgresql+psycopg", "postgresql"),
            args.companies,
            args.lines,
            args.seed,
        )
        load_seconds = round(time.perf_counter() - began, 1)
        measured = asyncio.run(measure(url))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    t = measured["timings"]
    ok = (
        max(t["results_month_ms"], t["results_country_ms"]) < 500
        and t["staff_dashboard_ms"] < 1000
    )
    print(
        json.dumps(
            {
                "bench": "reports",
                **counts,
                "load_seconds": load_seconds,
                **t,
                **measured["rows"],
                "within_budget": ok,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
