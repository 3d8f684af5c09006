"""What the listing pages read. Query functions take a session, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.accounts.picker import matches_company
from export_hub.catalog.models import Product
from export_hub.listings.explain import Explanation, explain
from export_hub.listings.models import Listing, ListingEvent, ListingIssue, SyncRun
from export_hub.marketplaces.models import SellerAccount

STATUSES = ("pending", "submitted", "live", "needs_action", "ended")
MARKETPLACES = ("amazon", "ebay")
PAGE_SIZE = 50


@dataclass(frozen=True)
class ListingFilter:
    """Console filters; empty strings mean "any"."""

    status: str = ""
    code: str = ""
    company: str = ""
    marketplace: str = ""
    company_id: int | None = None

    def clean(self) -> ListingFilter:
        return ListingFilter(
            status=self.status if self.status in STATUSES else "",
            code=self.code.strip()[:40],
            company=self.company.strip()[:100],
            marketplace=self.marketplace if self.marketplace in MARKETPLACES else "",
            company_id=self.company_id,
        )


@dataclass(frozen=True)
class ListingRow:
    listing: Listing
    product: Product
    company: Company
    issues: Sequence[ListingIssue] = ()


@dataclass
class ListingPage:
    rows: list[ListingRow]
    total: int
    page: int
    pages: int
    status_counts: dict[str, int] = field(default_factory=dict)


def _filtered(query: Select, f: ListingFilter) -> Select:  # type: ignore[type-arg]
    if f.status:
        query = query.where(Listing.status == f.status)
    if f.marketplace:
        query = query.where(Listing.marketplace == f.marketplace)
    if f.company_id is not None:
        query = query.where(Product.company_id == f.company_id)
    if f.company:
        query = query.where(matches_company(f.company))
    if f.code:
        query = query.where(
            Listing.id.in_(
                select(ListingIssue.listing_id).where(ListingIssue.code == f.code)
            )
        )
    return query


def _joined(query: Select) -> Select:  # type: ignore[type-arg]
    return query.join(Product, Product.id == Listing.product_id).join(
        Company, Company.id == Product.company_id
    )


async def listing_page(
    db: AsyncSession, f: ListingFilter, page: int = 1
) -> ListingPage:
    """One page of listings (newest change first) with their issues."""
    f = f.clean()
    total = await db.scalar(_filtered(_joined(select(func.count(Listing.id))), f)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    found = (
        await db.execute(
            _filtered(_joined(select(Listing, Product, Company)), f)
            .order_by(Listing.updated_at.desc(), Listing.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    ids = [row[0].id for row in found]
    issues: dict[int, list[ListingIssue]] = {}
    if ids:
        for issue in await db.scalars(
            select(ListingIssue)
            .where(ListingIssue.listing_id.in_(ids))
            .order_by(ListingIssue.id)
        ):
            issues.setdefault(issue.listing_id, []).append(issue)
    counts_query = _filtered(
        _joined(select(Listing.status, func.count(Listing.id))),
        ListingFilter(
            company=f.company,
            marketplace=f.marketplace,
            code=f.code,
            company_id=f.company_id,
        ),
    ).group_by(Listing.status)
    status_counts = {s: n for s, n in (await db.execute(counts_query)).all()}
    return ListingPage(
        rows=[
            ListingRow(lst, prod, comp, issues.get(lst.id, ()))
            for lst, prod, comp in found
        ],
        total=total,
        page=page,
        pages=pages,
        status_counts=status_counts,
    )


@dataclass(frozen=True)
class IssueGroup:
    code: str
    marketplace: str
    listings: int
    owner: str
    explanation: Explanation


async def issue_groups(
    db: AsyncSession, *, company_id: int | None = None, limit: int = 20
) -> list[IssueGroup]:
    """Current ERROR issues grouped by code, the most widespread first."""
    query = (
        select(
            ListingIssue.code,
            Listing.marketplace,
            func.count(func.distinct(ListingIssue.listing_id)),
            func.min(ListingIssue.message),
        )
        .join(Listing, Listing.id == ListingIssue.listing_id)
        .where(ListingIssue.severity == "ERROR")
        .group_by(ListingIssue.code, Listing.marketplace)
        .order_by(
            func.count(func.distinct(ListingIssue.listing_id)).desc(), ListingIssue.code
        )
        .limit(limit)
    )
    if company_id is not None:
        query = query.join(Product, Product.id == Listing.product_id).where(
            Product.company_id == company_id
        )
    groups = []
    for code, marketplace, n, message in (await db.execute(query)).all():
        e = explain(marketplace, code, message or "")
        groups.append(IssueGroup(code, marketplace, int(n), e.owner, e))
    return groups


@dataclass(frozen=True)
class ListingDetail:
    listing: Listing
    product: Product
    company: Company
    account: SellerAccount
    issues: Sequence[ListingIssue]
    events: Sequence[ListingEvent]


async def listing_detail(
    db: AsyncSession, listing_id: int, *, company_id: int | None = None
) -> ListingDetail | None:
    """One listing with its issues and history (newest first); ``None`` when
    absent or (with ``company_id``) not that company's."""
    listing = await db.get(Listing, listing_id)
    if listing is None:
        return None
    product = await db.get_one(Product, listing.product_id)
    if company_id is not None and product.company_id != company_id:
        return None
    return ListingDetail(
        listing=listing,
        product=product,
        company=await db.get_one(Company, product.company_id),
        account=await db.get_one(SellerAccount, listing.seller_account_id),
        issues=list(
            await db.scalars(
                select(ListingIssue)
                .where(ListingIssue.listing_id == listing.id)
                .order_by(ListingIssue.id)
            )
        ),
        events=list(
            await db.scalars(
                select(ListingEvent)
                .where(ListingEvent.listing_id == listing.id)
                .order_by(ListingEvent.at.desc(), ListingEvent.id.desc())
                .limit(200)
            )
        ),
    )


async def recent_sync_runs(db: AsyncSession, limit: int = 10) -> list[SyncRun]:
    return list(
        await db.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))
    )


def progress_json(run: SyncRun) -> dict[str, object]:
    """A sync run's progress for the console's poller."""
    finished = run.status in ("succeeded", "failed", "cancelled")
    percent = (
        100 if finished else (int(100 * run.done / run.planned) if run.planned else 0)
    )
    return {
        "id": run.id,
        "status": run.status,
        "dry_run": run.dry_run,
        "sellers_total": run.sellers_total,
        "sellers_done": run.sellers_done,
        "planned": run.planned,
        "done": run.done,
        "percent": min(percent, 100),
        "finished": finished,
        "counts": run.counts,
        "error": run.error,
    }
