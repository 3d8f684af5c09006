"""Indexes the reports need on other features' tables.

The export-results query filters orders by purchase instant (all companies,
or one company) and joins their lines, and sums the lines of the orders with
a refund once (a partial index: a few per cent of the orders); these indexes
keep a year of a million lines under the benchmark's budget (see
``bench/reports.py``).
"""

from __future__ import annotations

from sqlalchemy import Index

from export_hub.orders.models import Order

PURCHASED_AT = Index("ix_orders_purchased_at", Order.purchased_at)
COMPANY_PURCHASED_AT = Index(
    "ix_orders_company_purchased_at", Order.company_id, Order.purchased_at
)
REFUNDED_PURCHASED_AT = Index(
    "ix_orders_refunded_purchased_at",
    Order.purchased_at,
    postgresql_where=Order.refunded > 0,
    sqlite_where=Order.refunded > 0,
)
