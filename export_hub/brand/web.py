"""Staff page ``/staff/brand``: the shared brand's configuration and a
preview of what a product would send to each marketplace, with its
pre-flight issues explained."""

from __future__ import annotations

import datetime as dt
import json

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig, BrandingMode, brand_from_settings
from export_hub.brand.prepare import (
    PreparedListing,
    currencies_of,
    load_product,
    load_rates,
    prepare_listing,
)
from export_hub.catalog.models import AuditEvent, Product
from export_hub.db import utcnow
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.listings.explain import explain
from export_hub.listings.sync.load import offered_quantity
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig
from export_hub.pricing.web import PRICING
from export_hub.validation import is_id
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
    app.router.add_post("/staff/companies/{company_id:\\d+}/branding", branding_mode)


async def brand_page(request: web.Request) -> web.Response:
    await require_staff(request)
    raw_id = request.query.get("product_id", "").strip()
    previews = []
    product = None
    if raw_id:
        if not is_id(raw_id):
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


#: ``Company.branding_mode`` values: empty follows ``config/brand.toml``.
MODES = ("", *(mode.value for mode in BrandingMode))


async def branding_mode(request: web.Request) -> web.StreamResponse:
    """Staff set a company's branding mode (co-brand, dual or the brand's
    default); audited. Changes how its listings are branded from the next sync."""
    user = await require_staff(request)
    form = await request.post()
    mode = form.get("branding_mode")
    if mode not in MODES:
        raise ValidationFailed(
            {"branding_mode": Text("값을 고르세요.", "Pick a value.")},
            Text("알 수 없는 브랜딩 방식입니다.", "Unknown branding mode."),
        )
    company_id = int(request.match_info["company_id"])
    async with request.app[SESSIONS].begin() as db:
        company = await db.get(Company, company_id)
        if company is None:
            raise NotFound()
        if company.branding_mode != mode:
            db.add(
                AuditEvent(
                    at=utcnow(),
                    actor_user_id=user.id,
                    subject_type="company",
                    subject_id=company.id,
                    action="company.branding_mode",
                    from_state=company.branding_mode or "default",
                    to_state=mode or "default",
                    details={"branding_mode": mode},
                )
            )
            company.branding_mode = str(mode)
    raise web.HTTPSeeOther(f"/staff/companies/{company_id}#branding")
