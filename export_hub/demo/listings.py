"""Listings in the demo: after the marketplace demo steps have connected the
demo companies' seller accounts to the in-process emulators, a real sync puts
their approved products on both emulated marketplaces under the shared brand.

:func:`prepare_listings_demo` (a demo step, idempotent, only with the
emulators) records a KRW→USD exchange rate if none exists, and — through the
catalog's own services and review workflow — approves Yuseong Cosmetics'
sheet mask (its Amazon seller is not approved for its brand: Amazon refuses
it) and adds an approved Daedeok Precision milk pan in eBay's Cookware
category, which requires a "Material" item specific the product lacks (eBay
refuses it), and without an Amazon product type (pre-flight stops it).

The emulators keep their state in memory and start empty with the web app, so
:func:`demo_sync_ctx` (a ``cleanup_ctx`` that
:func:`~export_hub.demo.command.create_demo_app` adds to the web app; it acts
only with ``emulators.enabled`` and the embedded job runner) starts a full sync
(``force``: every listing sent again) once the app is up, then follows the
submitted listings until Amazon's (emulated) review has decided; then the
demo orders (:func:`~export_hub.demo.orders.run_demo_orders`: the history,
then buyers who keep ordering until the app stops).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.images import ImageStore
from export_hub.catalog.models import Product, ReviewState
from export_hub.catalog.review import ReviewAction
from export_hub.catalog.service import review_product, submit_product
from export_hub.demo.base import DemoLogin
from export_hub.demo.catalog import add_demo_product
from export_hub.demo.orders import run_demo_orders
from export_hub.listings.models import Listing
from export_hub.pricing.models import ExchangeRate
from export_hub.pricing.rates import record_rate
from export_hub.settings import Settings
from export_hub.web.keys import SCHEDULER, SESSIONS, SETTINGS
from jobs.sync import new_sync_run

log = logging.getLogger(__name__)

#: (company BRN, SKU) approved for the demo so that their listings need action.
NEEDS_ACTION_PRODUCTS = (("3068127814", "YC-MSK-010"),)
DAEDEOK = "3148620457"
#: A product added for the demo: eBay's Cookware category requires "Material".
MILK_PAN: dict[str, object] = {
    "sku": "DDK-PAN-160",
    "name_ko": "스테인리스 밀크팬 16cm",
    "name_en": "Stainless Steel Milk Pan, 16 cm",
    "description_ko": "통삼중 바닥의 스테인리스 밀크팬.",
    "description_en": "Tri-ply stainless steel milk pan with a pouring lip.",
    "bullets_en": ["Tri-ply base", "Induction ready"],
    "category": "cookware",
    "brand": "DDK Steel",
    "gtin": "8806001234077",
    "hs_code": "7323930000",
    "country_of_origin": "KR",
    "condition": "new",
    "cost_krw": 12000,
    "price_krw": 26000,
    "quantity": 40,
    "weight_g": 650,
    "length_mm": 300,
    "width_mm": 170,
    "height_mm": 90,
}
#: A plausible rate for the demo (1 KRW in USD).
DEMO_RATE = Decimal("0.00073")
FOLLOW_UP_EVERY_SECONDS = 10.0
FOLLOW_UP_FOR_SECONDS = 300.0


async def prepare_listings_demo(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> list[DemoLogin]:
    """Demo step: an exchange rate and two more approved products (idempotent)."""
    if not settings.emulators.enabled:
        return []
    async with sessions.begin() as db:
        if await db.scalar(select(ExchangeRate.id).limit(1)) is None:
            await record_rate(
                db,
                base="KRW",
                quote="USD",
                rate=DEMO_RATE,
                effective_on=dt.date(2026, 1, 1),
                source="demo",
            )
        staff = await db.scalar(
            select(User).where(User.role == Role.STAFF).order_by(User.id).limit(1)
        )
        if staff is None:
            return []
        for brn, sku in NEEDS_ACTION_PRODUCTS:
            await _approve(db, brn, sku, staff)
        await _add_milk_pan(db, settings, staff)
    return []


async def _add_milk_pan(db: AsyncSession, settings: Settings, staff: User) -> None:
    company = await db.scalar(select(Company).where(Company.brn == DAEDEOK))
    if company is None:
        return
    owner = await db.scalar(
        select(User).where(User.company_id == company.id).order_by(User.id).limit(1)
    )
    if owner is None:
        return
    await add_demo_product(
        db,
        company,
        owner,
        staff,
        ImageStore(settings.web.upload_dir),
        dict(MILK_PAN),
        ReviewState.APPROVED,
        "",
        colour=4,
    )


async def _approve(db: AsyncSession, brn: str, sku: str, staff: User) -> None:
    product = await db.scalar(
        select(Product)
        .join(Company, Company.id == Product.company_id)
        .where(Company.brn == brn, Product.sku == sku)
    )
    if product is None or product.state is ReviewState.APPROVED:
        return
    if product.state is not ReviewState.SUBMITTED:
        owner = await db.scalar(
            select(User).where(User.company_id == product.company_id).limit(1)
        )
        if owner is None:
            return
        await submit_product(db, product, actor=owner)
    await review_product(
        db, product, actor=staff, action=ReviewAction.APPROVE, reason=""
    )


async def demo_sync_ctx(app: web.Application) -> AsyncIterator[None]:
    """With the emulators and the embedded runner: sync once the app is up,
    then the demo orders."""
    settings = app[SETTINGS]
    task: asyncio.Task[None] | None = None
    if settings.emulators.enabled and settings.jobs.embedded:
        task = asyncio.create_task(_demo_sync(app), name="listings-demo-sync")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _demo_sync(app: web.Application) -> None:
    await _first_sync(app)
    await run_demo_orders(app)


async def _first_sync(app: web.Application) -> None:
    await asyncio.sleep(0.5)  # let the emulators and the scheduler finish starting
    scheduler = app.get(SCHEDULER)
    if scheduler is None:
        return
    run_id = await new_sync_run(app[SESSIONS], started_by="schedule")
    await scheduler.trigger(
        "sync.run", {"sync_run_id": run_id, "force": True}, started_by="schedule"
    )
    waited = 0.0
    while waited < FOLLOW_UP_FOR_SECONDS:
        await asyncio.sleep(FOLLOW_UP_EVERY_SECONDS)
        waited += FOLLOW_UP_EVERY_SECONDS
        async with app[SESSIONS]() as db:
            left = await db.scalar(
                select(Listing.id).where(Listing.status == "submitted").limit(1)
            )
        if left is None:
            return
        await scheduler.trigger("sync.follow_up", started_by="schedule")

    log.info("demo listings still awaiting the emulated review after %ss", waited)
