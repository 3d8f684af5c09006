"""Staff pages for companies that already sell on eBay: import their existing
(Trading API) listings, see how each is linked and managed, and choose which
to migrate to the Inventory API."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.listings.models import Listing
from export_hub.marketplaces.ebay import EbayOAuthAdapter
from export_hub.marketplaces.ebay_legacy import import_legacy, migrate_legacy
from export_hub.marketplaces.models import EbayListingLink, SellerAccount
from export_hub.marketplaces.service import account_for
from export_hub.marketplaces.web import ADAPTERS
from export_hub.validation import parse_id
from export_hub.web.auth import require_staff
from export_hub.web.keys import SECRET_BOX, SESSIONS
from export_hub.web.render import render

PAGE = "/staff/companies/{company_id:\\d+}/ebay"


def setup(app: web.Application) -> None:
    app.router.add_get(PAGE, legacy_page)
    app.router.add_post(PAGE + "/import", import_action)
    app.router.add_post(PAGE + "/migrate", migrate_action)


def _adapter(request: web.Request) -> EbayOAuthAdapter:
    adapter = request.app[ADAPTERS].get("ebay")
    if not isinstance(adapter, EbayOAuthAdapter):
        raise NotFound()
    return adapter


def _notice(query: dict[str, str]) -> Text | None:
    if "imported" in query:
        unmatched = query.get("unmatched") or "-"
        return Text(
            f"{query['imported']}개를 가져와 {query.get('linked', '0')}개를 "
            f"제품과 연결했습니다. SKU가 맞지 않음: {unmatched}",
            f"Imported {query['imported']}, linked {query.get('linked', '0')} "
            f"to products. No matching SKU: {unmatched}",
        )
    if "migrated" in query:
        failed = query.get("failed") or "-"
        return Text(
            f"{query['migrated']}개를 Inventory API로 옮겼습니다. 실패: {failed}",
            f"Migrated {query['migrated']} to the Inventory API. Failed: {failed}",
        )
    return None


async def legacy_page(request: web.Request) -> web.Response:
    await require_staff(request)
    company_id = parse_id(request.match_info["company_id"])
    async with request.app[SESSIONS]() as db:
        company = await db.get(Company, company_id)
        if company is None:
            raise NotFound()
        accounts = list(
            await db.scalars(
                select(SellerAccount)
                .where(
                    SellerAccount.company_id == company_id,
                    SellerAccount.marketplace == "ebay",
                )
                .order_by(SellerAccount.marketplace_id)
            )
        )
        boards = []
        for account in accounts:
            links = list(
                await db.scalars(
                    select(EbayListingLink)
                    .where(EbayListingLink.seller_account_id == account.id)
                    .order_by(EbayListingLink.item_id)
                )
            )
            boards.append((account, links))
        current = await _current_terms([link for _, ls in boards for link in ls], db)
    return await render(
        request,
        "marketplaces/ebay_legacy.html",
        {
            "company": company,
            "accounts": boards,
            "current": current,
            "notice": _notice(dict(request.query)),
        },
    )


@dataclass(frozen=True)
class Terms:
    """Price and quantity as eBay has them now, as far as Export Hub knows."""

    price: str | None
    currency: str
    quantity: int | None


async def _current_terms(
    links: list[EbayListingLink], db: AsyncSession
) -> dict[str, Terms]:
    """Per eBay item id: what was last sent to it (on either path) when a sync
    has sent something since the import, else what the import found."""
    listing_ids = [link.listing_id for link in links if link.listing_id is not None]
    listings = {
        row.id: row
        for row in await db.scalars(select(Listing).where(Listing.id.in_(listing_ids)))
    }
    terms: dict[str, Terms] = {}
    for link in links:
        listing = listings.get(link.listing_id or 0)
        imported = Terms(
            None if link.price is None else f"{link.price:.2f}",
            link.currency,
            link.quantity,
        )
        if listing is None:
            terms[link.item_id] = imported
            continue
        terms[link.item_id] = Terms(
            listing.sent_price if listing.sent_price is not None else imported.price,
            listing.sent_currency if listing.sent_price is not None else link.currency,
            listing.sent_quantity
            if listing.sent_quantity is not None
            else imported.quantity,
        )
    return terms


async def _account(request: web.Request, marketplace_id: str) -> SellerAccount:
    """The company's eBay account, read in a short session of its own."""
    company_id = parse_id(request.match_info["company_id"])
    async with request.app[SESSIONS]() as db:
        account = await account_for(db, company_id, "ebay", marketplace_id)
    if account is None:
        raise NotFound()
    return account


async def import_action(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    form = await request.post()
    account = await _account(request, str(form.get("marketplace_id", "EBAY_US")))
    report = await import_legacy(
        request.app[SESSIONS], _adapter(request), request.app[SECRET_BOX], account
    )
    query = urlencode(
        {
            "imported": report.imported,
            "linked": report.linked,
            "unmatched": ", ".join(report.unmatched[:20]),
        }
    )
    raise web.HTTPSeeOther(f"{request.path.rsplit('/', 1)[0]}?{query}")


async def migrate_action(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    form = await request.post()
    item_ids = [str(v) for v in form.getall("item_id", [])]
    if not item_ids:
        choose = Text("옮길 리스팅을 고르세요.", "Choose the listings to migrate.")
        raise ValidationFailed({"item_id": choose}, choose)
    account = await _account(request, str(form.get("marketplace_id", "EBAY_US")))
    results = await migrate_legacy(
        request.app[SESSIONS],
        _adapter(request),
        request.app[SECRET_BOX],
        account,
        item_ids,
    )
    failed = [
        f"{r.listing_id} ({r.issues[0].code if r.issues else '?'})"
        for r in results
        if not r.ok
    ]
    query = urlencode(
        {"migrated": sum(r.ok for r in results), "failed": ", ".join(failed[:20])}
    )
    raise web.HTTPSeeOther(f"{request.path.rsplit('/', 1)[0]}?{query}")
