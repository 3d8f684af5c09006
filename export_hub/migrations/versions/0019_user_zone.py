"""user zone: office users see times in their office's zone

Every page now shows times in ``users.time_zone`` (Korean time by default,
changed on /account/time-zone). Office users still on the column's default
get their office's zone; nobody else changes.

Revision ID: 0019_user_zone
Revises: 0017_drop_sync_claims
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_user_zone"
down_revision: str | Sequence[str] | None = "0017_drop_sync_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE users SET time_zone = ("
        "  SELECT offices.time_zone FROM offices WHERE offices.code = users.office_code"
        ") WHERE role = 'office' AND time_zone = 'Asia/Seoul' AND EXISTS ("
        "  SELECT 1 FROM offices WHERE offices.code = users.office_code)"
    )


def downgrade() -> None:
    # The zones stay: a chosen zone cannot be told from one set here, and
    # either is a valid value for the column as it was.
    pass
