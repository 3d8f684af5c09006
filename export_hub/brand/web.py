"""Staff page ``/staff/brand``: the shared brand's configuration and a
preview of what a product would send to each marketplace, with its
pre-flight issues explained."""

from __future__ import annotations

import datetime as dt
import json

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.brand.config import BrandConfig, brand_from_settings
from export_hub.brand.prepare import (
    PreparedListing,
    currencies_of,
    load_product,
    load_rates,
    prepare_listing,
)
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.errors import NotFound, Text
from export_hub.listings.explain import explain
from export_hub.listings.sync.load import offered_quantity
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig
from export_hub.pricing.web import PRICING
from export_hub.web.auth import require_staff
from export_hub.web.keys import SESSIONS, SETTINGS
from export_hub.web.render import render

BRAND = web.AppKey("brand_config", BrandConfig)
#: Previewed when the company has not connected a seller account yet.
PREVIEW_ACCOUNTS = (("amazon", "ATVPDKIKX0DER"), ("ebay", "EBAY_US"))


def setup(app: web.Application) -> None:
    # A broken brand file stops the start-up with a clear message.
    app[BRAND] = brand_from_settings(app[SETTINGS])
    app.router.add_get("/staff/brand", brand_page, name="staff_brand")


async def brand_page(request: web.Request) -> web.Response:
    await require_staff(request)
    raw_id = request.query.get("product_id", "").strip()
    previews = []
    product = None
    if raw_id:
        if not raw_id.isdigit():
            raise NotFound(
                Text("제품 번호는 숫자입니다.", "The product id is a number.")
            )
        async with request.app[SESSIONS]() as db:
            product = await load_product(db, int(raw_id))
            if product is None:
                raise NotFound(Text("제품을 찾을 수 없습니다.", "No such product."))
            prepared_listings = await preview(
                db,
                request.app[BRAND],
                request.app[PRICING],
                product,
                public_base_url=request.app[SETTINGS].web.public_base_url,
                on=utcnow().date(),
            )
        for prepared in prepared_listings:
            rendered = prepared.result.rendered
            previews.append(
                {
                    "prepared": prepared,
                    "body": json.dumps(rendered.body, indent=2, ensure_ascii=False)
                    if rendered
                    else "",
                    "explained": [
                        (
                            issue,
                            explain(
                                prepared.seller.marketplace, issue.code, issue.message
                            ),
                        )
                        for issue in prepared.result.issues
                    ],
                }
            )
    return await render(
        request,
        "brand/brand.html",
        {
            "brand": request.app[BRAND],
            "product": product,
            "product_id": raw_id,
            "previews": previews,
        },
    )


async def preview(
    db: AsyncSession,
    brand: BrandConfig,
    pricing: PricingConfig,
    product: Product,
    *,
    public_base_url: str,
    on: dt.date,
) -> list[PreparedListing]:
    """``product`` prepared for each of its company's seller accounts (or, before
    any is connected, for Amazon US and eBay US), exactly as the sync would
    prepare it on ``on``, with the quantity every channel offers (on hand −
    reserved − safety buffer). ``product`` comes from :func:`load_product`.
    Reads only.
    """
    accounts = list(
        await db.scalars(
            select(SellerAccount)
            .where(SellerAccount.company_id == product.company_id)
            .order_by(SellerAccount.id)
        )
    ) or [
        SellerAccount(
            company_id=product.company_id,
            marketplace=m,
            marketplace_id=mid,
            seller_id="",
            approved_brands=[],
            setup={},
        )
        for m, mid in PREVIEW_ACCOUNTS
    ]
    rates = await load_rates(db, currencies_of(pricing, accounts), on)
    return [
        prepare_listing(
            brand,
            pricing,
            product=product,
            company=product.company,
            seller=account,
            images=product.images,
            quantity=offered_quantity(
                brand.sync.safety_buffer, product.company, product
            ),
            rates=rates,
            public_base_url=public_base_url,
        )
        for account in accounts
    ]
