"""The catalog service against a real database: the optimistic lock holds even
when the version check in Python passes on an out-of-date copy."""

from __future__ import annotations

import pytest

from export_hub.catalog.service import create_product, get_product_for, update_product
from export_hub.catalog.validation import clean_product
from export_hub.errors import Conflict
from tests.foundation.helpers import make_company_user, product_values


async def test_a_stale_copy_cannot_overwrite_a_newer_version(sessions) -> None:
    company, user = await make_company_user(sessions)
    async with sessions.begin() as db:
        product = await create_product(
            db, company=company, actor=user, fields=clean_product(product_values())
        )
    async with sessions() as db:
        stale = await get_product_for(db, user, product.id)
    async with sessions.begin() as db:
        fresh = await get_product_for(db, user, product.id)
        await update_product(
            db,
            fresh,
            actor=user,
            fields=clean_product(product_values(name_en="Fresh")),
            expected_version=1,
        )

    async def save_stale_copy() -> None:
        async with sessions.begin() as db:
            copy = await db.merge(stale, load=False)
            await update_product(
                db,
                copy,
                actor=user,
                fields=clean_product(product_values(name_en="Stale")),
                expected_version=1,
            )

    with pytest.raises(Conflict) as info:
        await save_stale_copy()
    assert info.value.status == 409
    async with sessions() as db:
        kept = await get_product_for(db, user, product.id)
    assert kept.name_en == "Fresh"
    assert kept.version == 2
