"""Against both emulators: after a first sync every listing stores the
fingerprint it was sent with; an unchanged second sync loads no product,
sends nothing and makes no call; an edit, and a sale elsewhere, are still
sent."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.catalog.models import Product
from export_hub.db import transaction, utcnow
from export_hub.listings.sync.load import RateBook, load_plan_inputs
from export_hub.listings.sync.plan import Settled
from export_hub.listings.sync.run import load_configs, run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.restock import mark_other_channels
from tests.sync.conftest import COMPANIES, listings, seed
from tests.sync.test_sync_e2e import settle


async def settled_kinds(sessions, settings) -> Counter[str]:
    """How each product of each account would be planned: settled or loaded."""
    brand, pricing = load_configs(settings)
    kinds: Counter[str] = Counter()
    async with sessions() as db:
        for account in await db.scalars(select(SellerAccount)):
            for item in await load_plan_inputs(
                db,
                account,
                RateBook(pricing, utcnow().date()),
                brand,
                pricing,
                public_base_url=settings.web.public_base_url,
            ):
                kinds["settled" if isinstance(item, Settled) else "loaded"] += 1
    return kinds


async def test_an_unchanged_second_sync_sends_nothing_and_calls_nothing(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, COMPANIES[:1])
    first = await run_sync(sessions, settings)
    assert first.counts["create"] == Counter({"ok": 6}), first.as_counts()
    await settle(sessions, settings)
    rows = await listings(sessions)
    assert all(row.sent_fingerprint for row in rows), [r.status for r in rows]
    assert await settled_kinds(sessions, settings) == {"settled": 6}

    calls = len(amazon.state.calls), len(ebay.state.log)
    again = await run_sync(sessions, settings)
    assert again.planned == 0, again.as_counts()
    assert again.as_counts() == {"skip": {"in_sync": 6}}
    assert again.api_calls == 0
    assert (len(amazon.state.calls), len(ebay.state.log)) == calls

    # An edit through the ORM moves the product's version: rendered and sent.
    sku = "HB-00000"
    async with transaction(sessions) as db:
        product = await db.get_one(Product, world.products[sku])
        product.name_en = "Hanbit Green Tea, second harvest"
    assert await settled_kinds(sessions, settings) == {"settled": 4, "loaded": 2}
    edited = await run_sync(sessions, settings)
    assert edited.as_counts() == {
        "update_content": {"ok": 2},
        "skip": {"in_sync": 4},
    }
    await settle(sessions, settings)
    assert await settled_kinds(sessions, settings) == {"settled": 6}

    # A sale on eBay makes the Amazon quantity due: still pushed, unrendered.
    async with transaction(sessions) as db:
        ebay_account = await db.scalar(
            select(SellerAccount.id).where(SellerAccount.marketplace == "ebay")
        )
        await mark_other_channels(
            db, [world.products[sku]], except_account_id=ebay_account, now=utcnow()
        )
    assert await settled_kinds(sessions, settings) == {"settled": 6}
    pushed = await run_sync(sessions, settings)
    assert pushed.as_counts() == {
        "update_quantity": {"ok": 1},
        "skip": {"in_sync": 5},
    }
