"""drop sync_claims: the job engine's per-seller locks decide who serves a seller

Revision ID: 0017_drop_sync_claims
Revises: 0015_report_indexes
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import export_hub.db

revision: str = "0017_drop_sync_claims"
down_revision: str | Sequence[str] | None = "0015_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("sync_claims")


def downgrade() -> None:
    op.create_table(
        "sync_claims",
        sa.Column("seller_account_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column(
            "claimed_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", export_hub.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["seller_account_id"],
            ["seller_accounts.id"],
            name=op.f("fk_sync_claims_seller_account_id_seller_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seller_account_id", name=op.f("pk_sync_claims")),
    )
