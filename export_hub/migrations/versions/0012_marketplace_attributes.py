"""marketplace attributes: eBay categories per site and item specifics

A product's single ``ebay_category_id`` was sent to every eBay site. It
becomes the per-site override for each eBay site the company sells on (EBAY_US
when it has no eBay account yet), which sends exactly what was sent before;
``marketplace_attributes`` holds eBay item specifics and Amazon attributes.

Revision ID: 0012_marketplace_attributes
Revises: 0010_revisions
Create Date: 2026-12-02 14:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_marketplace_attributes"
down_revision: str | Sequence[str] | None = "0010_revisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY = sa.text("'{}'")
DEFAULT_SITE = "EBAY_US"


def _sites_by_company(conn: sa.Connection) -> dict[int, list[str]]:
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT company_id, marketplace_id FROM seller_accounts "
            "WHERE marketplace = 'ebay' ORDER BY company_id, marketplace_id"
        )
    )
    sites: dict[int, list[str]] = {}
    for company_id, site in rows:
        sites.setdefault(company_id, []).append(site)
    return sites


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "ebay_categories", sa.JSON(), server_default=EMPTY, nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "marketplace_attributes",
                sa.JSON(),
                server_default=EMPTY,
                nullable=False,
            )
        )
    conn = op.get_bind()
    sites = _sites_by_company(conn)
    products = conn.execute(
        sa.text(
            "SELECT id, company_id, ebay_category_id FROM products "
            "WHERE ebay_category_id <> ''"
        )
    ).all()
    for product_id, company_id, category_id in products:
        mapping = {site: category_id for site in sites.get(company_id, [DEFAULT_SITE])}
        conn.execute(
            sa.text(
                "UPDATE products SET ebay_categories = :m WHERE id = :id"
            ).bindparams(sa.bindparam("m", type_=sa.JSON())),
            {"m": mapping, "id": product_id},
        )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("ebay_category_id")


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "ebay_category_id",
                sa.String(length=20),
                server_default="",
                nullable=False,
            )
        )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, ebay_categories FROM products")).all()
    for product_id, raw in rows:
        mapping = json.loads(raw) if isinstance(raw, str) else (raw or {})
        first = mapping.get(DEFAULT_SITE) or next(iter(mapping.values()), "")
        if first:
            conn.execute(
                sa.text("UPDATE products SET ebay_category_id = :c WHERE id = :id"),
                {"c": first, "id": product_id},
            )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("marketplace_attributes")
        batch_op.drop_column("ebay_categories")
