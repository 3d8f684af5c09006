"""fingerprint: what a listing's rendering depended on when it was last sent

Revision ID: 0016_fingerprint
Revises: 0019_user_zone
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_fingerprint"
down_revision: str | Sequence[str] | None = "0019_user_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.add_column(sa.Column("sent_fingerprint", sa.String(length=64)))


def downgrade() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.drop_column("sent_fingerprint")
