"""The staff sync console, the company's listings page and the programme
report, through the real web application."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Company, Role
from export_hub.accounts.service import create_user
from export_hub.db import transaction
from export_hub.listings.models import Listing, SyncRun
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.models import SellerAccount
from tests.conftest import login
from tests.sync.conftest import COMPANIES, seed
from tests.sync.test_sync_e2e import settle

PASSWORD = "correct-horse-1"


async def users(sessions, company_brn: str) -> None:
    async with transaction(sessions) as db:
        company = await db.scalar(select(Company).where(Company.brn == company_brn))
        await create_user(
            db,
            email="staff@example.com",
            password=PASSWORD,
            role=Role.STAFF,
            name="Staff",
        )
        await create_user(
            db,
            email="company@example.com",
            password=PASSWORD,
            role=Role.COMPANY,
            name="Owner",
            company=company,
        )


async def unapproved_brand(sessions, account_id: int) -> None:
    """The seller's approved brands are known and exclude the company's."""
    async with transaction(sessions) as db:
        account = await db.get_one(SellerAccount, account_id)
        account.approved_brands = ["Some Other Brand"]


async def app_client(aiohttp_client: Any, settings) -> Any:
    """The web application with the embedded job runner (what ``serve`` runs)."""
    from export_hub.web.app import create_app

    embedded = settings.model_copy(
        update={"jobs": settings.jobs.model_copy(update={"embedded": True})}
    )
    return await aiohttp_client(create_app(embedded))


async def test_staff_starts_a_dry_run_and_watches_it(
    aiohttp_client, sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    await seed(sessions, settings, ebay)
    await users(sessions, COMPANIES[0].brn)
    client = await app_client(aiohttp_client, settings)
    csrf = await login(client, "staff@example.com", PASSWORD)
    page = await client.get("/staff/listings")
    assert page.status == 200
    bad = await client.post("/staff/sync", data={"csrf_token": csrf, "company": "12"})
    assert bad.status == 400
    assert "사업자등록번호" in await bad.text()
    started = await client.post(
        "/staff/sync",
        data={"csrf_token": csrf, "dry_run": "1", "marketplace": "amazon"},
        allow_redirects=False,
    )
    assert started.status == 303, await started.text()
    location = started.headers["Location"]
    run_id = int(location.rsplit("/", 1)[1])
    watch = await client.get(location)
    assert "/static/sync_progress.js" in await watch.text()
    for _ in range(200):
        progress = await (await client.get(f"/api/staff/sync-runs/{run_id}")).json()
        if progress["finished"]:
            break
        await asyncio.sleep(0.05)
    assert progress["status"] == "succeeded"
    assert progress["counts"]["create"] == {"planned": 6}
    assert progress["percent"] == 100
    assert amazon.state.calls == []
    script = await client.get("/static/sync_progress.js")
    assert script.status == 200


async def test_console_filters_groups_history_retry_and_company_view(
    aiohttp_client, sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay)
    await unapproved_brand(sessions, world.accounts[(COMPANIES[0].brn, "amazon")])
    await users(sessions, COMPANIES[0].brn)
    await run_sync(sessions, settings)
    await settle(sessions, settings)
    client = await app_client(aiohttp_client, settings)
    csrf = await login(client, "staff@example.com", PASSWORD)

    page = await (await client.get("/staff/listings?status=needs_action")).text()
    assert "PREFLIGHT_BRAND_NOT_APPROVED" in page
    assert page.count("/staff/listings/") >= 3
    live = await (
        await client.get("/staff/listings?status=live&marketplace=ebay")
    ).text()
    assert "PREFLIGHT_BRAND_NOT_APPROVED" not in live.split("<h2>")[-1]
    by_company = await (
        await client.get(f"/staff/listings?company={COMPANIES[1].brn}")
    ).text()
    assert "DDK-00000" in by_company
    assert "HB-00000" not in by_company.split("<h2>")[-1]

    async with sessions() as db:
        blocked = await db.scalar(
            select(Listing).where(Listing.status == "needs_action").limit(1)
        )
        live_row = await db.scalar(
            select(Listing).where(
                Listing.status == "live", Listing.marketplace == "amazon"
            )
        )
    detail = await (await client.get(f"/staff/listings/{live_row.id}")).text()
    assert "신규 등록" in detail  # the create action, labelled
    assert "상태 확인" in detail  # the status check
    retried = await client.post(
        f"/staff/listings/{blocked.id}/retry",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert retried.status == 303

    report = await client.get("/staff/reports/listings?days=7")
    text = await report.text()
    assert "<svg" in text
    assert "<polyline" in text
    csv = await (await client.get("/staff/reports/listings.csv?days=7")).text()
    header, *rows = csv.strip().splitlines()
    assert (
        header
        == "date,companies_amazon,companies_ebay,listings_live,listings_needs_action"
    )
    assert rows[-1].endswith(",2,2,9,3")

    company = await app_client(aiohttp_client, settings)
    await login(company, "company@example.com", PASSWORD)
    mine = await (await company.get("/company/listings")).text()
    assert "요청드리는 조치" in mine
    assert "브랜드" in mine  # the Korean explanation of the brand issue
    assert "DDK-00000" not in mine  # another company's listings stay hidden
    english = await (await company.get("/company/listings?lang=en")).text()
    assert "Actions asked of you" in english
    forbidden = await company.get("/staff/listings")
    assert forbidden.status == 403
    other = await company.get(f"/company/listings/{live_row.id + 1000}")
    assert other.status == 404


async def test_runs_record_progress_rows(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    await seed(sessions, settings, ebay, COMPANIES[:1])
    from jobs.sync import new_sync_run

    run_id = await new_sync_run(sessions, started_by="cli")
    await run_sync(sessions, settings, SyncOptions(), sync_run_id=run_id)
    async with sessions() as db:
        run = await db.get_one(SyncRun, run_id)
    assert run.status == "succeeded"
    assert run.planned == run.done == 6
    assert run.sellers_total == run.sellers_done == 2
    assert run.counts["create"] == {"ok": 6}


async def test_company_is_told_which_fields_to_fix(
    aiohttp_client, sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    """An issue the company must fix names the product form's own fields and
    the marketplace's message, and links to the product's form."""
    from export_hub.listings.models import ListingIssue

    world = await seed(sessions, settings, ebay)
    await users(sessions, COMPANIES[0].brn)
    await run_sync(sessions, settings)
    account = world.accounts[(COMPANIES[0].brn, "ebay")]
    async with sessions.begin() as db:
        listing = await db.scalar(
            select(Listing).where(Listing.seller_account_id == account).limit(1)
        )
        listing.status = "needs_action"
        db.add(
            ListingIssue(
                listing_id=listing.id,
                source="marketplace",
                code="25002",
                severity="ERROR",
                message="The item specific MPN is missing.",
                attribute_names=["MPN", "Brand"],
                categories=[],
                action_owner="company",
            )
        )
    company = await app_client(aiohttp_client, settings)
    await login(company, "company@example.com", PASSWORD)
    mine = await (await company.get("/company/listings")).text()
    asked = mine.split("요청드리는 조치", 1)[1].split("<h2>", 1)[0]
    assert "고칠 항목" in asked
    assert "제조사 부품번호(MPN)" in asked
    assert "브랜드" in asked
    assert "The item specific MPN is missing." in asked
    assert f"/company/products/{listing.product_id}/edit" in asked
    english = await (await company.get("/company/listings?lang=en")).text()
    assert "Fields to fix" in english
    assert "MPN — or declare" in english
