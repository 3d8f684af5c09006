"""eBay daily usage counters and legacy listing links

Revision ID: 0005_ebay
Revises: 0003_consultations
Create Date: 2026-11-26 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import export_hub.db

revision: str = "0005_ebay"
down_revision: str | Sequence[str] | None = "0003_consultations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ebay_daily_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("counter", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebay_daily_usage")),
        sa.UniqueConstraint(
            "seller_id",
            "counter",
            "day",
            name=op.f("uq_ebay_daily_usage_seller_id_counter_day"),
        ),
    )
    op.create_table(
        "ebay_listing_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_account_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("managed_by", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("ebay_status", sa.String(length=20), nullable=False),
        sa.Column("offer_id", sa.String(length=40), nullable=True),
        sa.Column(
            "imported_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "migrated_at", export_hub.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_ebay_listing_links_listing_id_listings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["seller_account_id"],
            ["seller_accounts.id"],
            name=op.f("fk_ebay_listing_links_seller_account_id_seller_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebay_listing_links")),
        sa.UniqueConstraint(
            "listing_id", name=op.f("uq_ebay_listing_links_listing_id")
        ),
        sa.UniqueConstraint(
            "seller_account_id",
            "item_id",
            name=op.f("uq_ebay_listing_links_seller_account_id_item_id"),
        ),
    )
    with op.batch_alter_table("ebay_listing_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebay_listing_links_seller_account_id"),
            ["seller_account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ebay_listing_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ebay_listing_links_seller_account_id"))
    op.drop_table("ebay_listing_links")
    op.drop_table("ebay_daily_usage")
