"""revisions: pending content revisions of approved products and their images

Revision ID: 0010_revisions
Revises: 0009_orders
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import export_hub.db

revision: str = "0010_revisions"
down_revision: str | Sequence[str] | None = "0009_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_table(
        "product_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "withdrawn",
                name="revisionstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("remove_image_ids", sa.JSON(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "decided_at", export_hub.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_product_revisions_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_product_revisions_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_revisions_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_revisions")),
    )
    op.create_index(
        op.f("ix_product_revisions_product_id"),
        "product_revisions",
        ["product_id"],
        unique=False,
    )
    # At most one pending revision per product.
    op.create_index(
        "uq_product_revisions_pending",
        "product_revisions",
        ["product_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_table(
        "revision_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["product_revisions.id"],
            name=op.f("fk_revision_images_revision_id_product_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_images")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_revision_images_stored_name")),
    )
    op.create_index(
        op.f("ix_revision_images_revision_id"),
        "revision_images",
        ["revision_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_revision_images_revision_id"), table_name="revision_images")
    op.drop_table("revision_images")
    op.drop_index("uq_product_revisions_pending", table_name="product_revisions")
    op.drop_index(
        op.f("ix_product_revisions_product_id"), table_name="product_revisions"
    )
    op.drop_table("product_revisions")
