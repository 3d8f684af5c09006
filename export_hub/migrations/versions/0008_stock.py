"""stock: the stock ledger, reserved units, safety buffer overrides

Revision ID: 0008_stock
Revises: 0007_sync
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import export_hub.db

revision: str = "0008_stock"
down_revision: str | Sequence[str] | None = "0007_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("at", export_hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delta_on_hand", sa.Integer(), nullable=False),
        sa.Column("delta_reserved", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("cause_key", sa.String(length=200), nullable=True),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reserved_after", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_stock_movements_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_stock_movements_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
        sa.UniqueConstraint("cause_key", name=op.f("uq_stock_movements_cause_key")),
    )
    op.create_index(
        "ix_stock_movements_product_at",
        "stock_movements",
        ["product_id", "at"],
        unique=False,
    )
    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("reserved", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("stock_buffer", sa.Integer(), nullable=True))
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("stock_buffer", sa.Integer(), nullable=True))
    # Stock that existed before the ledger: one opening movement per product,
    # so on hand always equals the ledger's sum.
    op.execute(
        "INSERT INTO stock_movements (product_id, at, delta_on_hand, delta_reserved,"
        " cause, cause_key, on_hand_after, reserved_after, note)"
        " SELECT id, CURRENT_TIMESTAMP, quantity, 0, 'opening',"
        " 'opening:' || CAST(id AS VARCHAR(20)), quantity, 0, ''"
        " FROM products WHERE quantity <> 0"
    )


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("stock_buffer")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("stock_buffer")
        batch.drop_column("reserved")
    op.drop_index("ix_stock_movements_product_at", table_name="stock_movements")
    op.drop_table("stock_movements")
