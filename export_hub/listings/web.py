"""Listing pages: the staff's sync console and programme report, and the
company's own listings (Korean first, English toggle).

Staff watch hundreds of companies: the console filters by status, issue code,
company and marketplace, pages through the result, and puts the most common
problems first. A sync is started as the ``sync.run`` job (embedded scheduler
or procrastinate queue, whichever runs jobs) and watched through
``/api/staff/sync-runs/{id}``, polled by ``/static/sync_progress.js``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from export_hub.accounts.models import Role
from export_hub.accounts.picker import resolve_company
from export_hub.db import transaction, utcnow
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.listings import queries
from export_hub.listings.explain import explain, field_labels, form_field
from export_hub.listings.models import Listing, SyncRun
from export_hub.listings.report import programme_report, report_chart, report_csv
from export_hub.validation import lenient_int, parse_id
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import JOB_REGISTRY, QUEUE, SCHEDULER, SESSIONS
from export_hub.web.middlewares import request_language
from export_hub.web.render import render
from jobs.sync import new_sync_run
from jobs.worker import defer

STATUS_LABELS = {
    "pending": Text("대기", "Pending"),
    "submitted": Text("심사 중", "Submitted"),
    "live": Text("판매 중", "Live"),
    "needs_action": Text("조치 필요", "Needs action"),
    "ended": Text("종료", "Ended"),
}


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/listings", staff_listings, name="staff_listings")
    app.router.add_get("/staff/listings/{id:\\d+}", staff_listing)
    app.router.add_post("/staff/listings/{id:\\d+}/retry", retry_listing)
    app.router.add_post("/staff/sync", start_sync)
    app.router.add_get("/staff/sync/{id:\\d+}", sync_run_page)
    app.router.add_get("/api/staff/sync-runs/{id:\\d+}", sync_run_json)
    app.router.add_get("/staff/reports/listings", report_page)
    app.router.add_get("/staff/reports/listings.csv", report_download)
    app.router.add_get("/company/listings", company_listings, name="company_listings")
    app.router.add_get("/company/listings/{id:\\d+}", company_listing)


def _filter(
    request: web.Request, company_id: int | None = None
) -> queries.ListingFilter:
    q = request.query
    return queries.ListingFilter(
        status=q.get("status", ""),
        code=q.get("code", ""),
        company=q.get("company", ""),
        marketplace=q.get("marketplace", ""),
        company_id=company_id,
    ).clean()


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return lenient_int(raw, default=1, lo=1, hi=1_000_000)


def _common() -> dict[str, Any]:
    return {
        "statuses": queries.STATUSES,
        "marketplaces": queries.MARKETPLACES,
        "status_labels": STATUS_LABELS,
        "explain": explain,
        "field_labels": field_labels,
        "form_field": form_field,
    }


async def staff_listings(request: web.Request) -> web.Response:
    await require_staff(request)
    return await _staff_listings_page(request)


async def _staff_listings_page(
    request: web.Request,
    *,
    sync_values: dict[str, str] | None = None,
    sync_errors: dict[str, Text] | None = None,
    status: int = 200,
) -> web.Response:
    f = _filter(request)
    async with request.app[SESSIONS]() as db:
        page = await queries.listing_page(db, f, _page_number(request))
        groups = await queries.issue_groups(db)
        runs = await queries.recent_sync_runs(db)
    return await render(
        request,
        "listings/staff_list.html",
        {
            **_common(),
            "page": page,
            "f": f,
            "groups": groups,
            "runs": runs,
            "sync_values": sync_values or {},
            "sync_errors": sync_errors or {},
        },
        status=status,
    )


async def staff_listing(request: web.Request) -> web.Response:
    await require_staff(request)
    async with request.app[SESSIONS]() as db:
        detail = await queries.listing_detail(db, parse_id(request.match_info["id"]))
    if detail is None:
        raise NotFound()
    return await render(
        request, "listings/detail.html", {**_common(), "d": detail, "staff": True}
    )


async def retry_listing(request: web.Request) -> web.StreamResponse:
    """After a fix: lift the pause and sync the listing's seller account now."""
    user = await require_staff(request)
    listing_id = parse_id(request.match_info["id"])
    async with transaction(request.app[SESSIONS]) as db:
        listing = await db.get(Listing, listing_id)
        if listing is None:
            raise NotFound()
        listing.paused_until = None
        if listing.status == "needs_action":
            listing.sent_hashes = {
                k: v for k, v in listing.sent_hashes.items() if k != "content"
            }
        account_id = listing.seller_account_id
    await _start_job(request, "sync.seller", {"seller_account_id": account_id}, user.id)
    raise web.HTTPSeeOther(f"/staff/listings/{listing_id}")


async def start_sync(request: web.Request) -> web.StreamResponse:
    """Start a sync over a scope (all, a company's BRN, a marketplace; dry run)."""
    user = await require_staff(request)
    form = await request.post()
    company = str(form.get("company", "")).strip()
    marketplace = str(form.get("marketplace", "")).strip()
    dry_run = form.get("dry_run") in ("1", "on", "true")
    errors: dict[str, Text] = {}
    if marketplace and marketplace not in queries.MARKETPLACES:
        errors["marketplace"] = Text(
            "알 수 없는 마켓플레이스입니다.", "Unknown marketplace."
        )
    brn = ""
    if company:
        async with request.app[SESSIONS]() as db:
            try:
                chosen = await resolve_company(db, company)
            except ValidationFailed as exc:
                errors.update(exc.fields)
            else:
                brn = chosen.brn if chosen is not None else ""
    if errors:
        values = {"company": company[:100], "marketplace": marketplace}
        return await _staff_listings_page(
            request, sync_values=values, sync_errors=errors, status=400
        )
    run_id = await new_sync_run(
        request.app[SESSIONS],
        company=brn or None,
        marketplace=marketplace or None,
        dry_run=dry_run,
        started_by="user",
        user_id=user.id,
    )
    kwargs: dict[str, Any] = {"sync_run_id": run_id, "dry_run": dry_run}
    if brn:
        kwargs["company"] = brn
    if marketplace:
        kwargs["marketplace"] = marketplace
    await _start_job(request, "sync.run", kwargs, user.id)
    raise web.HTTPSeeOther(f"/staff/sync/{run_id}")


async def _start_job(
    request: web.Request, name: str, kwargs: dict[str, Any], user_id: int
) -> None:
    app = request.app
    if SCHEDULER in app:
        app[SCHEDULER].trigger(name, kwargs, started_by="user", user_id=user_id)
        return
    if QUEUE in app:
        await defer(
            app[QUEUE],
            app[JOB_REGISTRY][name],
            kwargs,
            started_by="user",
            user_id=user_id,
        )
        return
    message = Text("작업 실행기가 꺼져 있습니다.", "No job runner is configured.")
    raise ValidationFailed({"sync": message}, message=message)


async def _sync_run(request: web.Request) -> SyncRun:
    async with request.app[SESSIONS]() as db:
        run = await db.get(SyncRun, parse_id(request.match_info["id"]))
    if run is None:
        raise NotFound()
    return run


async def sync_run_page(request: web.Request) -> web.Response:
    await require_staff(request)
    run = await _sync_run(request)
    return await render(
        request,
        "listings/sync_run.html",
        {"run": run, "progress": queries.progress_json(run)},
    )


async def sync_run_json(request: web.Request) -> web.Response:
    await require_staff(request)
    run = await _sync_run(request)
    return web.json_response(queries.progress_json(run))


async def _report_rows(request: web.Request) -> list[Any]:
    raw = request.query.get("days", "90")
    days = lenient_int(raw, default=90, lo=7, hi=730)
    async with request.app[SESSIONS]() as db:
        return await programme_report(db, until=utcnow().date(), days=days)


async def report_page(request: web.Request) -> web.Response:
    await require_staff(request)
    rows = await _report_rows(request)
    async with request.app[SESSIONS]() as db:
        groups = await queries.issue_groups(db, limit=10)
    return await render(
        request,
        "listings/report.html",
        {
            "rows": rows,
            "groups": groups,
            "chart_view": report_chart(rows, await request_language(request)),
        },
    )


async def report_download(request: web.Request) -> web.Response:
    await require_staff(request)
    rows = await _report_rows(request)
    return web.Response(
        text=report_csv(rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="listings-report.csv"'},
    )


async def company_listings(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    if user.company_id is None:
        raise NotFound()
    f = _filter(request, company_id=user.company_id)
    async with request.app[SESSIONS]() as db:
        page = await queries.listing_page(db, f, _page_number(request))
        groups = await queries.issue_groups(db, company_id=user.company_id)
    return await render(
        request,
        "listings/company.html",
        {**_common(), "page": page, "f": f, "groups": groups},
    )


async def company_listing(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    async with request.app[SESSIONS]() as db:
        detail = await queries.listing_detail(
            db, parse_id(request.match_info["id"]), company_id=user.company_id or -1
        )
    if detail is None:
        raise NotFound()
    return await render(
        request, "listings/detail.html", {**_common(), "d": detail, "staff": False}
    )
