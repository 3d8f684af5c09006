"""Read-side queries for the pages and the API: paginated, filtered lists."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.catalog.models import Product, ReviewState
from export_hub.validation import lenient_int

T = TypeVar("T")
PER_PAGE = 50

#: Sort keys the review queue accepts (oldest submission first by default).
PRODUCT_SORTS: dict[str, Any] = {
    "submitted": (Product.submitted_at.asc(), Product.id.asc()),
    "-submitted": (Product.submitted_at.desc(), Product.id.desc()),
    "updated": (Product.updated_at.asc(), Product.id.asc()),
    "-updated": (Product.updated_at.desc(), Product.id.desc()),
    "sku": (Product.sku.asc(), Product.id.asc()),
    "name": (Product.name_ko.asc(), Product.id.asc()),
}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list; ``number`` counts from 1."""

    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    """A page number from a query string; anything odd is page 1."""
    return lenient_int(raw, default=1, lo=1, hi=1_000_000)


async def _count(db: AsyncSession, query: Select[*tuple[Any, ...]]) -> int:
    return int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)


@dataclass(frozen=True)
class ProductFilter:
    """What the review queue or the API list asks for."""

    state: ReviewState | None = None
    company_id: int | None = None
    search: str = ""
    sort: str = "submitted"


async def find_products(
    db: AsyncSession, flt: ProductFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[tuple[Product, Company]]:
    """Products with their companies, filtered, sorted and paginated."""
    query = select(Product, Company).join(Company, Company.id == Product.company_id)
    if flt.state is not None:
        query = query.where(Product.state == flt.state)
    if flt.company_id is not None:
        query = query.where(Product.company_id == flt.company_id)
    if flt.search:
        like = f"%{_escape_like(flt.search.strip().lower())}%"
        query = query.where(
            or_(
                func.lower(Product.sku).like(like, escape="\\"),
                func.lower(Product.name_ko).like(like, escape="\\"),
                func.lower(Product.name_en).like(like, escape="\\"),
            )
        )
    total = await _count(db, query)
    order = PRODUCT_SORTS.get(flt.sort, PRODUCT_SORTS["submitted"])
    rows = await db.execute(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    )
    items = [(product, company) for product, company in rows]
    return Page(items=items, number=page, per_page=per_page, total=total)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class CompanyRow:
    """A company with its product counts per review state."""

    company: Company
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def list_companies(
    db: AsyncSession, *, search: str = "", page: int = 1, per_page: int = PER_PAGE
) -> Page[CompanyRow]:
    """Companies by Korean name, with product counts, one page at a time."""
    query = select(Company)
    if search:
        like = f"%{_escape_like(search.strip().lower())}%"
        query = query.where(
            or_(
                func.lower(Company.name_ko).like(like, escape="\\"),
                func.lower(Company.name_en).like(like, escape="\\"),
                Company.brn.like(like, escape="\\"),
            )
        )
    total = await _count(db, query)
    companies = list(
        await db.scalars(
            query.order_by(Company.name_ko, Company.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    counts: dict[int, dict[str, int]] = {c.id: {} for c in companies}
    if companies:
        rows = await db.execute(
            select(Product.company_id, Product.state, func.count())
            .where(Product.company_id.in_(counts))
            .group_by(Product.company_id, Product.state)
        )
        for company_id, state, n in rows:
            counts[company_id][ReviewState(state).value] = int(n)
    items = [CompanyRow(company=c, counts=counts[c.id]) for c in companies]
    return Page(items=items, number=page, per_page=per_page, total=total)


async def company_products(db: AsyncSession, company_id: int) -> list[Product]:
    """All of a company's products, most recently changed first."""
    rows = await db.scalars(
        select(Product)
        .where(Product.company_id == company_id)
        .order_by(Product.updated_at.desc(), Product.id.desc())
    )
    return list(rows)
