"""End to end: a product in eBay's Cookware category lacks "Material"; the
company is told which field to fill, fills it in its product form, staff
approve the change, and the next sync puts it live on the eBay emulator
(both emulators on real sockets, the web app over a socket)."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Company, Role
from export_hub.accounts.service import create_user
from export_hub.catalog.models import Product, ProductRevision
from export_hub.catalog.validation import product_form_values
from export_hub.db import transaction
from export_hub.listings.models import Listing
from export_hub.listings.sync.run import run_sync
from tests.conftest import login
from tests.foundation.helpers import PASSWORD
from tests.sync.conftest import COMPANIES, seed
from tests.sync.test_sync_e2e import settle


async def _ebay_listing(sessions, product_id: int) -> Listing:
    async with sessions() as db:
        return await db.scalar(
            select(Listing)
            .where(Listing.product_id == product_id, Listing.marketplace == "ebay")
            .options(selectinload(Listing.issues))
        )


async def test_the_company_fills_material_in_the_form_and_the_listing_goes_live(
    sessions, settings, amazon, ebay: EbayEmulator, client
) -> None:
    company = COMPANIES[1]
    world = await seed(sessions, settings, ebay, [company], products=1)
    product_id = next(iter(world.products.values()))
    async with transaction(sessions) as db:
        # A milk pan: the agency's "cookware", mapped per site, no override.
        await db.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(
                category="cookware",
                ebay_categories={},
                description_ko="통삼중 바닥의 스테인리스 밀크팬.",
                hs_code="7323930000",
                length_mm=200,
                width_mm=160,
                height_mm=90,
            )
        )
        owner = await db.get(Company, world.companies[company.brn])
        user = await create_user(
            db,
            email="pan@example.kr",
            password=PASSWORD,
            role=Role.COMPANY,
            company=owner,
        )
        staff = await create_user(
            db, email="staff@example.kr", password=PASSWORD, role=Role.STAFF
        )

    await run_sync(sessions, settings)
    await settle(sessions, settings)
    listing = await _ebay_listing(sessions, product_id)
    assert listing.status != "live"
    issue = next(i for i in listing.issues if i.code == "PREFLIGHT_EBAY_ASPECT_MISSING")
    assert issue.attribute_names == ["Material"]
    assert issue.action_owner == "company"
    assert not ebay.state.sellers[company.ebay_user].offers_for(listing.sku)

    # The company sees which field to fix and where.
    csrf = await login(client, user.email, PASSWORD)
    asked = await (await client.get("/company/listings")).text()
    assert "재질 (Material)" in asked
    assert f"/company/products/{product_id}/edit#f-ebay_attr-material" in asked
    form = await (await client.get(f"/company/products/{product_id}/edit")).text()
    assert re.search(
        r'<select name="ebay_attr-material" id="f-ebay_attr-material"', form
    )
    async with sessions() as db:
        product = await db.get(Product, product_id)
        values = product_form_values(product)
    values |= {
        "csrf_token": csrf,
        "action": "save",
        "version": str(product.version),
        "quantity_seen": values["quantity"],
        "ebay_attr-material": "Stainless Steel",
        "gtin_exempt": "on",
    }
    resp = await client.post(
        f"/company/products/{product_id}", data=values, allow_redirects=False
    )
    assert resp.status == 303, await resp.text()

    # An approved product's content change waits for the staff.
    async with sessions() as db:
        revision = await db.scalar(select(ProductRevision))
        assert (await db.get(Product, product_id)).marketplace_attributes == {}
    assert revision.content["marketplace_attributes"] == {
        "ebay": {"Material": "Stainless Steel"}
    }
    client.session.cookie_jar.clear()
    csrf = await login(client, staff.email, PASSWORD)
    review = await (await client.get(f"/staff/products/{product_id}")).text()
    assert "Stainless Steel" in review
    resp = await client.post(
        f"/staff/products/{product_id}/revision",
        data={
            "csrf_token": csrf,
            "action": "approve",
            "revision_version": str(revision.version),
        },
        allow_redirects=False,
    )
    assert resp.status == 303

    await run_sync(sessions, settings)
    await settle(sessions, settings)
    listing = await _ebay_listing(sessions, product_id)
    assert listing.status == "live", [(i.code, i.message) for i in listing.issues]
    item = ebay.state.sellers[company.ebay_user].items[listing.sku]
    assert item["product"]["aspects"]["Material"] == ["Stainless Steel"]
    (offer,) = ebay.state.sellers[company.ebay_user].offers_for(listing.sku)
    assert offer.status == "PUBLISHED"
    assert offer.body["categoryId"] == "20636"
