"""Optimistic locking and flushing shared by the catalog's write operations.

A person's edit names the product version it started from; a stale one
raises ``Conflict`` (409) instead of overwriting someone else's change. The
version moves with every ORM update of the product row (content, prices,
buffer, state), never with the stock ledger's movements: an order that
reserves or ships units does not make a company's open form stale.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from export_hub.catalog.models import Product
from export_hub.errors import Conflict, Text, ValidationFailed

STALE = Text(
    "다른 사람이 먼저 이 제품을 수정했습니다."
    " 새로 고쳐 최신 내용을 확인한 뒤 다시 저장해 주세요.",
    "Someone else changed this product first. Reload to see the latest version,"
    " then save again.",
)
DUPLICATE_SKU = Text("이미 등록된 SKU입니다.", "This SKU is already in use.")


def check_version(product: Product, expected_version: int | None) -> None:
    """Raise ``Conflict`` when the caller edited an older version."""
    if expected_version is None or expected_version != product.version:
        raise Conflict(STALE)


async def ensure_sku_free(
    db: AsyncSession, company_id: int, sku: str, product_id: int | None = None
) -> None:
    """Raise ``ValidationFailed`` on ``sku`` if another product of the company
    uses it."""
    query = select(Product.id).where(
        Product.company_id == company_id, Product.sku == sku
    )
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if await db.scalar(query) is not None:
        raise ValidationFailed({"sku": DUPLICATE_SKU})


async def flush(db: AsyncSession) -> None:
    """Flush, turning a lost race into ``Conflict`` or a duplicate SKU error."""
    try:
        await db.flush()
    except StaleDataError as exc:
        raise Conflict(STALE) from exc
    except IntegrityError as exc:
        # Two concurrent creates of the same SKU: the unique key decides.
        raise ValidationFailed({"sku": DUPLICATE_SKU}) from exc
