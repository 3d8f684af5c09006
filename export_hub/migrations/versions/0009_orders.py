"""orders: orders, lines, events, import cursors, shipments, notices

Revision ID: 0009_orders
Revises: 0008_stock
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import export_hub.db

revision: str = "0009_orders"
down_revision: str | Sequence[str] | None = "0008_stock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "order_import_cursors",
        sa.Column("seller_account_id", sa.Integer(), nullable=False),
        sa.Column(
            "imported_until", export_hub.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_order_updated_at",
            export_hub.db.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "last_run_at", export_hub.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_account_id"],
            ["seller_accounts.id"],
            name=op.f("fk_order_import_cursors_seller_account_id_seller_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "seller_account_id", name=op.f("pk_order_import_cursors")
        ),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_account_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("marketplace", sa.String(length=10), nullable=False),
        sa.Column("marketplace_id", sa.String(length=20), nullable=False),
        sa.Column("marketplace_order_id", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raw_status", sa.String(length=60), nullable=False),
        sa.Column(
            "purchased_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "marketplace_updated_at",
            export_hub.db.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("ship_by", export_hub.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ship_to_country", sa.String(length=2), nullable=True),
        sa.Column("ship_to_region", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("refunded", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "imported_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_seen_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_orders_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_account_id"],
            ["seller_accounts.id"],
            name=op.f("fk_orders_seller_account_id_seller_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "seller_account_id",
            "marketplace_order_id",
            name=op.f("uq_orders_seller_account_id_marketplace_order_id"),
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_company_status", ["company_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_orders_marketplace"), ["marketplace"], unique=False
        )
        batch_op.create_index(
            "ix_orders_status_ship_by", ["status", "ship_by"], unique=False
        )

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=60), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("shipped", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column("stock_reserved", sa.Integer(), nullable=False),
        sa.Column("stock_consumed", sa.Integer(), nullable=False),
        sa.Column("stock_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_lines_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint(
            "order_id", "line_id", name=op.f("uq_order_lines_order_id_line_id")
        ),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_lines_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "order_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("sent_at", export_hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_notices_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_notices")),
        sa.UniqueConstraint(
            "order_id", "kind", name=op.f("uq_order_notices_order_id_kind")
        ),
    )
    op.create_table(
        "order_shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=60), nullable=False),
        sa.Column("tracking_number", sa.String(length=60), nullable=False),
        sa.Column("shipping_method", sa.String(length=60), nullable=False),
        sa.Column(
            "shipped_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("marketplace_shipment_id", sa.String(length=80), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_order_shipments_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipments")),
        sa.UniqueConstraint(
            "order_id",
            "tracking_number",
            name=op.f("uq_order_shipments_order_id_tracking_number"),
        ),
    )
    with op.batch_alter_table("order_shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_shipments_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("at", export_hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_value", sa.String(length=60), nullable=False),
        sa.Column("to_value", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_events_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_order_events_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_events_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_order_id"))

    op.drop_table("order_events")
    with op.batch_alter_table("order_shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_shipments_order_id"))

    op.drop_table("order_shipments")
    op.drop_table("order_notices")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_product_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_ship_by")
        batch_op.drop_index(batch_op.f("ix_orders_marketplace"))
        batch_op.drop_index("ix_orders_company_status")

    op.drop_table("orders")
    op.drop_table("order_import_cursors")
