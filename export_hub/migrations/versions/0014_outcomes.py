"""outcomes: consultation outcomes, the products discussed, their audit; order
indexes for the export-results report

Revision ID: 0014_outcomes
Revises: 0012_marketplace_attributes
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import export_hub.db

revision: str = "0014_outcomes"
down_revision: str | Sequence[str] | None = "0012_marketplace_attributes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "no_interest",
                "follow_up",
                "sample_requested",
                "quote_sent",
                "deal",
                name="outcomekind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("deal_value_usd", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("deal_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_consultation_outcomes_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_consultation_outcomes_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_outcomes")),
        sa.UniqueConstraint(
            "booking_id", name=op.f("uq_consultation_outcomes_booking_id")
        ),
    )
    op.create_index(
        op.f("ix_consultation_outcomes_kind"),
        "consultation_outcomes",
        ["kind"],
        unique=False,
    )

    op.create_table(
        "consultation_outcome_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("at", export_hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_consultation_outcome_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["consultation_outcomes.id"],
            name=op.f(
                "fk_consultation_outcome_events_outcome_id_consultation_outcomes"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_outcome_events")),
    )
    op.create_index(
        op.f("ix_consultation_outcome_events_outcome_id"),
        "consultation_outcome_events",
        ["outcome_id"],
        unique=False,
    )

    op.create_table(
        "consultation_outcome_products",
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["consultation_outcomes.id"],
            name=op.f(
                "fk_consultation_outcome_products_outcome_id_consultation_outcomes"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_consultation_outcome_products_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "outcome_id", "product_id", name=op.f("pk_consultation_outcome_products")
        ),
    )
    op.create_index(
        op.f("ix_consultation_outcome_products_product_id"),
        "consultation_outcome_products",
        ["product_id"],
        unique=False,
    )

    op.create_index(
        "ix_orders_company_purchased_at",
        "orders",
        ["company_id", "purchased_at"],
        unique=False,
    )
    op.create_index("ix_orders_purchased_at", "orders", ["purchased_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_purchased_at", table_name="orders")
    op.drop_index("ix_orders_company_purchased_at", table_name="orders")

    op.drop_index(
        op.f("ix_consultation_outcome_products_product_id"),
        table_name="consultation_outcome_products",
    )

    op.drop_table("consultation_outcome_products")
    op.drop_index(
        op.f("ix_consultation_outcome_events_outcome_id"),
        table_name="consultation_outcome_events",
    )

    op.drop_table("consultation_outcome_events")
    op.drop_index(
        op.f("ix_consultation_outcomes_kind"), table_name="consultation_outcomes"
    )

    op.drop_table("consultation_outcomes")
