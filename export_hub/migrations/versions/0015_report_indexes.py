"""report indexes: the orders with a refund, by purchase instant

Revision ID: 0015_report_indexes
Revises: 0013_sessions
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_report_indexes"
down_revision: str | Sequence[str] | None = "0013_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUNDED = sa.text("refunded > 0")


def upgrade() -> None:
    # Partial: the export-results query sums the lines of refunded orders
    # (a few per cent) once, instead of scanning every order a second time.
    op.create_index(
        "ix_orders_refunded_purchased_at",
        "orders",
        ["purchased_at"],
        unique=False,
        postgresql_where=REFUNDED,
        sqlite_where=REFUNDED,
    )


def downgrade() -> None:
    op.drop_index("ix_orders_refunded_purchased_at", table_name="orders")
