"""Staff pages: review queue, product review, company list, bulk import."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.companies import company_by_brn, company_form_values
from export_hub.accounts.models import Company
from export_hub.accounts.web import form_values
from export_hub.catalog.importer import IMPORT_COLUMNS, ImportRejected, import_products
from export_hub.catalog.models import Product, ReviewState
from export_hub.catalog.notify import notify_review, notify_revision
from export_hub.catalog.operations import stock_view
from export_hub.catalog.queries import (
    PRODUCT_SORTS,
    ProductFilter,
    company_products,
    find_products,
    list_companies,
    page_number,
)
from export_hub.catalog.review import STATE_LABELS, ReviewAction
from export_hub.catalog.revisions import (
    approve_revision,
    latest_revision,
    reject_revision,
    revision_changes,
    waiting_revisions,
)
from export_hub.catalog.service import get_product_for, product_history, review_product
from export_hub.catalog.stock_web import default_buffer
from export_hub.catalog.web import actor_names, image_store
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.validation import lenient_int, optional_id, parse_id
from export_hub.web.auth import require_staff
from export_hub.web.keys import SESSIONS, SETTINGS
from export_hub.web.render import render

#: What the review page says after an action (``?done=``), in both languages.
DONE = {
    "approved": Text(
        "승인했습니다. 기업에 결과를 메일로 알렸고, 다음 동기화 때 리스팅됩니다.",
        "Approved. The company has been told by e-mail; the product is listed "
        "at the next sync.",
    ),
    "changes_requested": Text(
        "보완을 요청했습니다. 기업에 사유와 함께 메일로 알렸습니다.",
        "Changes requested. The company has been told by e-mail, with your reason.",
    ),
    "rejected": Text(
        "반려했습니다. 기업에 사유와 함께 메일로 알렸습니다.",
        "Rejected. The company has been told by e-mail, with your reason.",
    ),
    "revision_approved": Text(
        "변경을 승인했습니다. 다음 동기화 때 마켓플레이스에 반영됩니다.",
        "Revision approved. The marketplaces get it at the next sync.",
    ),
    "revision_rejected": Text(
        "변경을 반려했습니다. 승인된 내용이 그대로 판매됩니다.",
        "Revision rejected. The approved content stays live.",
    ),
}
DONE_BY_STATE = {
    ReviewState.APPROVED: "approved",
    ReviewState.CHANGES_REQUESTED: "changes_requested",
    ReviewState.REJECTED: "rejected",
}

SORT_LABELS = {
    "submitted": Text("제출 오래된 순", "Oldest submission"),
    "-submitted": Text("제출 최근 순", "Newest submission"),
    "-updated": Text("최근 수정 순", "Recently changed"),
    "updated": Text("수정 오래된 순", "Least recently changed"),
    "sku": Text("SKU 순", "By SKU"),
    "name": Text("제품명 순", "By name"),
}


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/staff/review", review_queue, name="review_queue")
    r.add_get("/staff/products/{product_id:\\d+}", review_page)
    r.add_post("/staff/products/{product_id:\\d+}/review", review_submit)
    r.add_post("/staff/products/{product_id:\\d+}/revision", revision_submit)
    r.add_get("/staff/companies", companies_page, name="staff_companies")
    r.add_get("/staff/companies/{company_id:\\d+}", company_page)
    r.add_get("/staff/import", import_page, name="staff_import")
    r.add_post("/staff/import", import_submit)


def _state(raw: str | None) -> ReviewState | None:
    if raw == "all":
        return None
    try:
        return ReviewState(raw or ReviewState.SUBMITTED.value)
    except ValueError:
        return ReviewState.SUBMITTED


def _int_or_none(raw: str | None) -> int | None:
    return optional_id(raw)


async def review_queue(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    q = request.query
    sort = q.get("sort", "submitted")
    flt = ProductFilter(
        state=_state(q.get("state")),
        company_id=_int_or_none(q.get("company_id")),
        search=q.get("q", "").strip()[:100],
        sort=sort if sort in PRODUCT_SORTS else "submitted",
    )
    async with request.app[SESSIONS]() as db:
        page = await find_products(db, flt, page=page_number(q.get("page")))
        company = await db.get(Company, flt.company_id) if flt.company_id else None
        revisions = await waiting_revisions(db)
    keep = {
        "state": flt.state.value if flt.state else "all",
        "company_id": flt.company_id or "",
        "q": flt.search,
        "sort": flt.sort,
    }
    return await render(
        request,
        "staff/review_queue.html",
        {
            "page": page,
            "revisions": revisions,
            "filter": flt,
            "company": company,
            "labels": STATE_LABELS,
            "sorts": SORT_LABELS,
            "base": "/staff/review?" + urlencode(keep) + "&",
        },
    )


async def review_page(
    request: web.Request,
    *,
    errors: dict[str, Text] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    user = await require_staff(request)
    async with request.app[SESSIONS]() as db:
        product = await get_product_for(
            db, user, parse_id(request.match_info["product_id"])
        )
        company = await db.get(Company, product.company_id)
        history = await product_history(db, product.id)
        actors = await actor_names(db, history)
        revision = await latest_revision(db, product.id)
        done = DONE.get(request.query.get("done", ""))
        next_product = await _next_in_queue(db, product.id) if done else None
    return await render(
        request,
        "staff/product_review.html",
        {
            "revision": revision,
            "changes": revision_changes(product, revision) if revision else [],
            "stock": stock_view(product, company, default_buffer(request.app)),
            "product": product,
            "company": company,
            "history": history,
            "actors": actors,
            "labels": STATE_LABELS,
            "errors": errors or {},
            "values": values or {},
            "done": done if errors is None else None,
            "next_product": next_product,
        },
        status=status,
    )


async def _next_in_queue(db: AsyncSession, after: int) -> Product | None:
    """The product waiting longest for review, other than ``after``."""
    flt = ProductFilter(state=ReviewState.SUBMITTED, sort="submitted")
    page = await find_products(db, flt, page=1, per_page=2)
    return next((p for p, _ in page.items if p.id != after), None)


async def review_submit(request: web.Request) -> web.StreamResponse:
    user = await require_staff(request)
    values = form_values(await request.post())
    try:
        action = ReviewAction(values.get("action", ""))
    except ValueError:
        action = ReviewAction.SUBMIT  # refused below as not a staff action
    version = lenient_int(values.get("version"), default=-1, lo=-1)
    try:
        async with request.app[SESSIONS].begin() as db:
            product = await get_product_for(
                db, user, parse_id(request.match_info["product_id"])
            )
            await review_product(
                db,
                product,
                actor=user,
                action=action,
                reason=values.get("reason", ""),
                expected_version=version,
            )
            await notify_review(db, request.app[SETTINGS], product)
    except ValidationFailed as exc:
        return await review_page(request, errors=exc.fields, values=values, status=400)
    done = DONE_BY_STATE.get(product.state, "")
    raise web.HTTPSeeOther(f"/staff/products/{product.id}?done={done}")


async def revision_submit(request: web.Request) -> web.StreamResponse:
    """Approve or reject the product's pending revision (``version``: the
    revision's, as shown)."""
    user = await require_staff(request)
    values = form_values(await request.post())
    raw_version = values.get("revision_version", "")
    version = optional_id(raw_version)
    try:
        async with request.app[SESSIONS].begin() as db:
            product = await get_product_for(
                db, user, parse_id(request.match_info["product_id"])
            )
            if values.get("action") == "approve":
                revision, names = await approve_revision(
                    db, product, actor=user, expected_version=version
                )
            else:
                revision, names = await reject_revision(
                    db,
                    product,
                    actor=user,
                    reason=values.get("reason", ""),
                    expected_version=version,
                )
            await notify_revision(db, request.app[SETTINGS], product, revision)
    except ValidationFailed as exc:
        return await review_page(request, errors=exc.fields, values=values, status=400)
    image_store(request).discard(names)
    done = (
        "revision_approved"
        if values.get("action") == "approve"
        else ("revision_rejected")
    )
    raise web.HTTPSeeOther(f"/staff/products/{product.id}?done={done}")


async def companies_page(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    search = request.query.get("q", "").strip()[:100]
    async with request.app[SESSIONS]() as db:
        page = await list_companies(
            db, search=search, page=page_number(request.query.get("page"))
        )
    return await render(
        request,
        "staff/companies.html",
        {
            "page": page,
            "search": search,
            "labels": STATE_LABELS,
            "states": list(ReviewState),
            "base": "/staff/companies?" + urlencode({"q": search}) + "&",
        },
    )


async def company_page(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    async with request.app[SESSIONS]() as db:
        company = await db.get(Company, parse_id(request.match_info["company_id"]))
        if company is None:
            raise NotFound()
        products = await company_products(db, company.id)
    return await render(
        request,
        "staff/company.html",
        {
            "default_buffer": default_buffer(request.app),
            "saved": bool(request.query.get("saved")),
            "company": company,
            "profile": company_form_values(company),
            "products": products,
            "labels": STATE_LABELS,
        },
    )


async def import_page(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    return await render(
        request, "staff/import.html", _import_context({}, {}, None, None)
    )


def _import_context(
    values: dict[str, str],
    errors: dict[str, Text],
    rejected: ImportRejected | None,
    imported: int | None,
) -> dict[str, object]:
    return {
        "values": values,
        "errors": errors,
        "rejected": rejected,
        "imported": imported,
        "columns": IMPORT_COLUMNS,
    }


async def import_submit(request: web.Request) -> web.StreamResponse:
    user = await require_staff(request)
    form = await request.post()
    values = form_values(form)
    upload = form.get("file")
    try:
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        if not data:
            raise ValidationFailed(
                {"file": Text("파일을 선택해 주세요.", "Choose a file.")}
            )
        async with request.app[SESSIONS].begin() as db:
            company = await company_by_brn(db, values.get("brn", ""))
            report = await import_products(db, company=company, actor=user, data=data)
    except ImportRejected as exc:
        context = _import_context(values, {}, exc, None)
        return await render(request, "staff/import.html", context, status=400)
    except ValidationFailed as exc:
        context = _import_context(values, exc.fields, None, None)
        return await render(request, "staff/import.html", context, status=400)
    context = _import_context(values, {}, None, report.imported)
    return await render(request, "staff/import.html", context)
