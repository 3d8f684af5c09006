"""After stock moved: which listings the sync must re-push, first.

A sale on one channel lowers what every other channel may offer. The import
marks the product's listings on the *other* seller accounts in its own
transaction: ``last_quantity_assert_at`` is set to :data:`PUSH_DUE` (an
instant long past), which makes the sync planner's quantity re-assertion due
at once (``update_quantity`` is planned ahead of price and content work, even
where the rendered quantity happens to hash the same; merely clearing it
would fall back to ``last_submitted_at``), and ``pending_since`` is set when
unset, so the work ages from the moment of the sale. The sync's next
quantity push sets ``last_quantity_assert_at`` to its own time, which clears
the mark. The sync may also ask
:func:`accounts_to_push` which seller accounts to sync before the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.listings.models import Listing
from export_hub.stock.models import StockMovement

#: Listings whose quantity the marketplaces hold (ended ones offer nothing).
PUSHED_STATUSES = ("live", "submitted", "needs_action")
#: ``Listing.last_quantity_assert_at`` of a listing whose quantity must be
#: pushed now (any re-assertion interval has passed since then).
PUSH_DUE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


async def mark_other_channels(
    db: AsyncSession,
    product_ids: Collection[int],
    *,
    except_account_id: int | None,
    now: dt.datetime,
) -> int:
    """Make the quantity of these products' listings on every other seller
    account due for a push; returns how many listings were marked."""
    if not product_ids:
        return 0
    query = (
        update(Listing)
        .where(
            Listing.product_id.in_(sorted(product_ids)),
            Listing.status.in_(PUSHED_STATUSES),
        )
        .values(
            last_quantity_assert_at=PUSH_DUE,
            pending_since=func.coalesce(Listing.pending_since, now),
        )
        .execution_options(synchronize_session=False)
    )
    if except_account_id is not None:
        query = query.where(Listing.seller_account_id != except_account_id)
    result = await db.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


async def products_with_stock_changes_since(
    db: AsyncSession, since: dt.datetime
) -> list[int]:
    """Products whose on hand or reserved units moved at or after ``since``
    (any cause: orders, cancellations, shipments, edits, stock files)."""
    rows = await db.scalars(
        select(StockMovement.product_id)
        .distinct()
        .where(StockMovement.at >= since)
        .order_by(StockMovement.product_id)
    )
    return list(rows)


async def accounts_to_push(db: AsyncSession) -> list[int]:
    """Seller accounts with a listing whose quantity is due for a push
    because stock moved (marked by :func:`mark_other_channels`), oldest
    waiting first: the sync should run these before any other work."""
    waited = func.min(func.coalesce(Listing.pending_since, PUSH_DUE))
    rows = await db.execute(
        select(Listing.seller_account_id, waited)
        .where(
            Listing.last_quantity_assert_at == PUSH_DUE,
            Listing.status.in_(PUSHED_STATUSES),
        )
        .group_by(Listing.seller_account_id)
        .order_by(waited, Listing.seller_account_id)
    )
    return [int(account_id) for account_id, _ in rows]
