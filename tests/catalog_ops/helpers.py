"""Builders for the stock-and-price and revision tests: an approved product."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.models import Product
from export_hub.catalog.review import ReviewAction
from export_hub.catalog.service import create_product, review_product
from export_hub.catalog.validation import clean_product
from tests.foundation.helpers import make_company_user, make_user, product_values


async def approved_product(
    sessions: async_sessionmaker[AsyncSession], **values: Any
) -> tuple[Company, User, User, Product]:
    """A company, its user, a staff member and an approved product."""
    company, user = await make_company_user(sessions, 0)
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    async with sessions.begin() as db:
        product = await create_product(
            db,
            company=company,
            actor=user,
            fields=clean_product(product_values(**values)),
            submit=True,
        )
        await review_product(db, product, actor=staff, action=ReviewAction.APPROVE)
    return company, user, staff, product
