"""The existing-eBay-listings page and a listing's "last sent" line show the
price and quantity as they are now, after syncs, a re-import and a migration
(issue 14)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Role
from export_hub.listings.models import Listing
from export_hub.settings import Settings
from tests.conftest import csrf_from, login
from tests.ebay.conftest import SELLER
from tests.ebay.test_staff_web import connected_company
from tests.foundation.helpers import PASSWORD, make_user


def terms(html: str, item_id: str) -> tuple[str, str]:
    row = re.search(rf'data-item="{item_id}".*?</tr>', html, re.S)
    assert row, item_id
    price = re.search(r"<td data-price>([^<]*)</td>", row.group(0))
    quantity = re.search(r"<td data-quantity>([^<]*)</td>", row.group(0))
    assert price
    assert quantity
    return " ".join(price.group(1).split()), quantity.group(1).strip()


async def test_pages_show_the_terms_after_a_sync_a_reimport_and_a_migration(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
) -> None:
    company_id = await connected_company(sessions, settings, emulator)
    honey = emulator.state.add_legacy_item(
        SELLER,
        sku="HB-HNY-003",
        title="Acacia Honey 500 g",
        price="18.90",
        currency="USD",
        quantity=12,
        category_id="38180",
    )
    await make_user(sessions, Role.STAFF, "staff@agency.example")
    await login(web, "staff@agency.example", PASSWORD)
    page = f"/staff/companies/{company_id}/ebay"
    csrf = await csrf_from(web, page)
    form = {"csrf_token": csrf, "marketplace_id": "EBAY_US"}
    await web.post(page + "/import", data=form, allow_redirects=False)
    assert terms(await (await web.get(page)).text(), honey.item_id) == (
        "18.90 USD",
        "12",
    )

    # A sync sent new terms (what record.py stores after ReviseInventoryStatus).
    async with sessions.begin() as db:
        listing = await db.scalar(select(Listing).where(Listing.sku == "HB-HNY-003"))
        assert listing is not None
        listing.sent_price, listing.sent_quantity = "21.00", 5
    assert terms(await (await web.get(page)).text(), honey.item_id) == (
        "21.00 USD",
        "5",
    )

    # Someone changed the item on eBay; a re-import shows eBay's terms and
    # the listing's "last sent" line follows.
    legacy = emulator.state.sellers[SELLER].legacy[honey.item_id]
    legacy.price, legacy.quantity = "19.50", 9
    await web.post(page + "/import", data=form, allow_redirects=False)
    assert terms(await (await web.get(page)).text(), honey.item_id) == (
        "19.50 USD",
        "9",
    )
    detail = await (await web.get(f"/staff/listings/{listing.id}")).text()
    assert "19.50 USD" in detail
    assert "9" in re.search(r"Last sent.*?</dd>|마지막 전송.*?</dd>", detail, re.S)[0]

    await web.post(
        page + "/migrate", data=form | {"item_id": honey.item_id}, allow_redirects=False
    )
    html = await (await web.get(page)).text()
    assert 'data-managed-by="inventory"' in html
    assert terms(html, honey.item_id) == ("19.50 USD", "9")
