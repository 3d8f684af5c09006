"""``/api/v1``: companies, products and review actions as JSON.

Authentication is a bearer token or the session cookie (writes with the
session also need ``X-CSRF-Token``; the CSRF middleware checks it). Errors are
``{"error": {"code", "message", "fields"}}`` from the error middleware.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.companies import (
    COMPANY_FIELDS,
    clean_company,
    company_form_values,
    update_company,
)
from export_hub.accounts.models import Company, Role, User
from export_hub.api.openapi import API_PREFIX, ID_SCHEMA, add_api_route, add_schema
from export_hub.api.schemas import (
    SCHEMAS,
    VERSION,
    audit_json,
    company_json,
    company_rows_json,
    page_json,
    product_json,
    revision_json,
)
from export_hub.catalog.models import ReviewState
from export_hub.catalog.notify import notify_review, notify_revision
from export_hub.catalog.operations import OPERATION_INPUTS, clean_operations
from export_hub.catalog.queries import (
    PRODUCT_SORTS,
    ProductFilter,
    find_products,
    list_companies,
    page_number,
)
from export_hub.catalog.review import ReviewAction
from export_hub.catalog.revisions import (
    approve_revision,
    latest_revision,
    pending_revision,
    reject_revision,
    withdraw_revision,
)
from export_hub.catalog.service import (
    add_images,
    create_product,
    delete_product,
    edit_operations,
    get_product_for,
    product_history,
    review_product,
    submit_product,
    update_product,
    withdraw_product,
)
from export_hub.catalog.validation import (
    PRODUCT_INPUTS,
    clean_product,
    product_form_values,
)
from export_hub.catalog.web import image_store, read_uploads
from export_hub.errors import FieldErrors, NotFound, Text, ValidationFailed
from export_hub.validation import clean_int, parse_id, refuse_unknown
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import SESSIONS, SETTINGS

READERS = (Role.ADMIN, Role.STAFF, Role.COMPANY)
# What each JSON body may hold: anything else is refused (400), not ignored.
COMPANY_KEYS = frozenset(COMPANY_FIELDS)
PRODUCT_KEYS = frozenset({*PRODUCT_INPUTS, *OPERATION_INPUTS, "submit"})
UPDATE_KEYS = PRODUCT_KEYS | {"version"}
VERSION_KEYS = frozenset({"version"})
REVIEW_KEYS = frozenset({"action", "reason", "version"})


async def json_body(
    request: web.Request, allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    """The request's JSON object, or a 400 saying it is not one (or that it
    holds keys outside ``allowed``)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed(
            {"body": Text("JSON 객체를 보내 주세요.", "Send a JSON object.")},
        )
    if allowed is not None:
        refuse_unknown(body, allowed)
    return body


def _version(raw: Any, *, required: bool) -> int | None:
    if raw is None and not required:
        return None
    version = clean_int(raw, FieldErrors(), "version", lo=0)
    if version is not None:
        return version
    raise ValidationFailed(
        {
            "version": Text(
                "읽어 온 버전 번호(version)가 필요합니다.", "Send the version you read."
            )
        }
    )


def _product_id(request: web.Request) -> int:
    return parse_id(request.match_info["product_id"])


async def _visible_company(db: AsyncSession, user: User, company_id: int) -> Company:
    if not user.is_staff and user.company_id != company_id:
        raise NotFound()
    company = await db.get(Company, company_id)
    if company is None:
        raise NotFound()
    return company


async def list_companies_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    async with request.app[SESSIONS]() as db:
        if user.is_staff:
            page = await list_companies(
                db,
                search=request.query.get("q", "")[:100],
                page=page_number(request.query.get("page")),
            )
            return web.json_response(company_rows_json(page))
        company = await _visible_company(db, user, user.company_id or 0)
    return web.json_response(
        {
            "items": [company_json(company)],
            "page": 1,
            "pages": 1,
            "per_page": 1,
            "total": 1,
        }
    )


async def get_company_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    async with request.app[SESSIONS]() as db:
        company = await _visible_company(
            db, user, parse_id(request.match_info["company_id"])
        )
    return web.json_response(company_json(company))


async def update_company_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    body = await json_body(request, COMPANY_KEYS)
    async with request.app[SESSIONS].begin() as db:
        company = await _visible_company(
            db, user, parse_id(request.match_info["company_id"])
        )
        values = company_form_values(company) | body
        await update_company(db, company, clean_company(values), actor=user)
    return web.json_response(company_json(company))


async def list_products_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    q = request.query
    try:
        state = ReviewState(q["state"]) if q.get("state") else None
    except ValueError:
        raise ValidationFailed(
            {"state": Text("알 수 없는 상태입니다.", "Unknown state.")}
        ) from None
    errors = FieldErrors()
    company_id = clean_int(q.get("company_id"), errors, "company_id", lo=1)
    errors.raise_if_any()
    if not user.is_staff:
        company_id = user.company_id
    sort = q.get("sort", "-updated")
    flt = ProductFilter(
        state=state,
        company_id=company_id,
        search=q.get("q", "")[:100],
        sort=sort if sort in PRODUCT_SORTS else "-updated",
    )
    async with request.app[SESSIONS]() as db:
        page = await find_products(db, flt, page=page_number(q.get("page")))
    items = [product_json(p, images=False) for p, _ in page.items]
    return web.json_response(page_json(page, items))


async def create_product_api(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    body = await json_body(request, PRODUCT_KEYS)
    fields = clean_product(body)
    async with request.app[SESSIONS].begin() as db:
        company = await _visible_company(db, user, user.company_id or 0)
        product = await create_product(
            db,
            company=company,
            actor=user,
            fields=fields,
            submit=body.get("submit") is True,
        )
    return web.json_response(product_json(product), status=201)


async def get_product_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    async with request.app[SESSIONS]() as db:
        product = await get_product_for(db, user, _product_id(request))
        history = await product_history(db, product.id)
        revision = await latest_revision(db, product.id)
    body = _with_revision(product, revision)
    body["history"] = [audit_json(e) for e in history]
    return web.json_response(body)


def _with_revision(product: Any, revision: Any) -> dict[str, Any]:
    return product_json(product) | {"revision": revision_json(revision)}


async def update_product_api(request: web.Request) -> web.Response:
    """Stock and prices apply at once; content follows the review rules (an
    approved product's content edit is a pending revision)."""
    user = await require_user(request, *READERS)
    body = await json_body(request, UPDATE_KEYS)
    version = _version(body.get("version"), required=True)
    operations = clean_operations({k: body[k] for k in OPERATION_INPUTS if k in body})
    content_given = set(body) - {"version", "submit", *OPERATION_INPUTS}
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        if content_given or body.get("submit") is True:
            pending = await pending_revision(db, product.id)
            base = product_form_values(product, pending.content if pending else None)
            fields = clean_product(base | body)
            await update_product(
                db,
                product,
                actor=user,
                fields=fields,
                expected_version=version,
                submit=body.get("submit") is True,
                operations=operations,
            )
        else:
            await edit_operations(
                db, product, actor=user, changes=operations, expected_version=version
            )
        revision = await latest_revision(db, product.id)
    return web.json_response(_with_revision(product, revision))


async def withdraw_revision_api(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    version = _version(request.query.get("version"), required=True)
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        names = await withdraw_revision(
            db, product, actor=user, expected_version=version
        )
        revision = await latest_revision(db, product.id)
    image_store(request).discard(names)
    return web.json_response(_with_revision(product, revision))


async def review_revision_api(request: web.Request) -> web.Response:
    user = await require_staff(request)
    body = await json_body(request, REVIEW_KEYS)
    action = str(body.get("action", ""))
    if action not in ("approve", "reject"):
        raise ValidationFailed(
            {
                "action": Text(
                    "approve, reject 중 하나입니다.", "One of approve, reject."
                )
            }
        )
    version = _version(body.get("version"), required=True)
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        if action == "approve":
            revision, names = await approve_revision(
                db, product, actor=user, expected_version=version
            )
        else:
            revision, names = await reject_revision(
                db,
                product,
                actor=user,
                reason=str(body.get("reason") or ""),
                expected_version=version,
            )
        await notify_revision(db, request.app[SETTINGS], product, revision)
    image_store(request).discard(names)
    return web.json_response(_with_revision(product, revision))


async def delete_product_api(request: web.Request) -> web.Response:
    user = await require_user(request, *READERS)
    version = _version(request.query.get("version"), required=True)
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        names = [img.stored_name for img in product.images]
        await delete_product(db, product, actor=user, expected_version=version)
    image_store(request).discard(names)
    return web.json_response({}, status=200)


async def submit_product_api(request: web.Request) -> web.Response:
    return await _company_action(request, submit_product)


async def withdraw_product_api(request: web.Request) -> web.Response:
    return await _company_action(request, withdraw_product)


async def _company_action(request: web.Request, action: Any) -> web.Response:
    user = await require_user(request, *READERS)
    body = await json_body(request, VERSION_KEYS)
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        await action(
            db,
            product,
            actor=user,
            expected_version=_version(body.get("version"), required=False),
        )
    return web.json_response(product_json(product))


async def review_product_api(request: web.Request) -> web.Response:
    user = await require_staff(request)
    body = await json_body(request, REVIEW_KEYS)
    try:
        action = ReviewAction(str(body.get("action", "")))
    except ValueError:
        raise ValidationFailed(
            {
                "action": Text(
                    "approve, request_changes, reject 중 하나입니다.",
                    "One of approve, request_changes, reject.",
                )
            }
        ) from None
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        await review_product(
            db,
            product,
            actor=user,
            action=action,
            reason=str(body.get("reason") or ""),
            expected_version=_version(body.get("version"), required=False),
        )
        await notify_review(db, request.app[SETTINGS], product)
    return web.json_response(product_json(product))


async def upload_images_api(request: web.Request) -> web.Response:
    user = await require_user(request, Role.COMPANY)
    async with request.app[SESSIONS]() as db:
        # The owner first: a stranger's upload is never decoded.
        await get_product_for(db, user, _product_id(request))
    images = await read_uploads(request, await request.post())
    if not images:
        raise ValidationFailed(
            {"images": Text("이미지를 보내 주세요.", "Send images.")}
        )
    store = image_store(request)
    names: list[str] = []
    try:
        async with request.app[SESSIONS].begin() as db:
            product = await get_product_for(db, user, _product_id(request))
            names = await add_images(
                db, product, actor=user, store=store, images=images
            )
    except BaseException:
        store.discard(names)
        raise
    return web.json_response(product_json(product), status=201)


PAGE = {"type": "integer", "minimum": 1, "maximum": 1_000_000}
STATES = {"type": "string", "enum": [s.value for s in ReviewState]}


def setup(app: web.Application) -> None:
    for name, schema in SCHEMAS.items():
        add_schema(app, name, schema)
    v1 = API_PREFIX
    companies, products = "companies", "products"
    add_api_route(
        app,
        "GET",
        f"{v1}/companies",
        list_companies_api,
        tag=companies,
        summary="Companies with product counts (staff: all; a company: its own)",
        response_schema="CompanyPage",
        query=(("q", "string", "name or BRN contains"), ("page", PAGE, "from 1")),
    )
    add_api_route(
        app,
        "GET",
        f"{v1}/companies/{{company_id:\\d+}}",
        get_company_api,
        tag=companies,
        summary="One company",
        response_schema="Company",
    )
    add_api_route(
        app,
        "PATCH",
        f"{v1}/companies/{{company_id:\\d+}}",
        update_company_api,
        tag=companies,
        summary="Update a company profile",
        request_schema="CompanyUpdate",
        response_schema="Company",
        responses=(400, 401, 404),
    )
    add_api_route(
        app,
        "GET",
        f"{v1}/products",
        list_products_api,
        tag=products,
        summary="Products (a company sees its own; staff all)",
        response_schema="ProductPage",
        responses=(400, 401, 403),
        query=(
            ("state", STATES, "review state"),
            ("company_id", ID_SCHEMA, "staff only"),
            ("q", "string", "SKU or name contains"),
            ("sort", {"type": "string", "enum": list(PRODUCT_SORTS)}, "order"),
            ("page", PAGE, "from 1"),
        ),
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/products",
        create_product_api,
        tag=products,
        summary="Create a product (draft; `submit: true` sends it for review)",
        request_schema="ProductInput",
        response_schema="Product",
        success=201,
        responses=(400, 401, 403),
    )
    add_api_route(
        app,
        "GET",
        f"{v1}/products/{{product_id:\\d+}}",
        get_product_api,
        tag=products,
        summary="One product with its review history",
        response_schema="Product",
    )
    add_api_route(
        app,
        "PATCH",
        f"{v1}/products/{{product_id:\\d+}}",
        update_product_api,
        tag=products,
        summary="Edit a product: stock and prices at once, content by review rules",
        request_schema="ProductUpdate",
        response_schema="Product",
        responses=(400, 401, 403, 404, 409),
    )
    add_api_route(
        app,
        "DELETE",
        f"{v1}/products/{{product_id:\\d+}}/revision",
        withdraw_revision_api,
        tag=products,
        summary="Withdraw the pending content revision (the approved content stays)",
        response_schema="Product",
        responses=(400, 401, 403, 404, 409),
        query=(("version", VERSION, "the product version you read"),),
        required_query=("version",),
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/products/{{product_id:\\d+}}/revision/review",
        review_revision_api,
        tag="review",
        summary="Approve or reject a pending content revision (staff only)",
        request_schema="RevisionReview",
        response_schema="Product",
        responses=(400, 401, 403, 404, 409),
    )
    add_api_route(
        app,
        "DELETE",
        f"{v1}/products/{{product_id:\\d+}}",
        delete_product_api,
        tag=products,
        summary="Delete a draft, changes-requested or rejected product",
        response_schema={"type": "object"},
        responses=(400, 401, 403, 404, 409),
        query=(("version", VERSION, "the version you read"),),
        required_query=("version",),
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/products/{{product_id:\\d+}}/submit",
        submit_product_api,
        tag=products,
        summary="Submit for review",
        request_schema="VersionRequest",
        response_schema="Product",
        responses=(400, 401, 403, 404, 409),
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/products/{{product_id:\\d+}}/withdraw",
        withdraw_product_api,
        tag=products,
        summary="Withdraw from the programme (listings end at the next sync)",
        request_schema="VersionRequest",
        response_schema="Product",
        responses=(400, 401, 403, 404, 409),
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/products/{{product_id:\\d+}}/review",
        review_product_api,
        tag="review",
        summary="Approve, request changes or reject (staff only)",
        request_schema="ReviewRequest",
        response_schema="Product",
        responses=(400, 401, 403, 404, 409),
    )
    add_api_route(
        app,
        "POST",
        f"{v1}/products/{{product_id:\\d+}}/images",
        upload_images_api,
        tag=products,
        summary="Upload images (multipart field `images`; JPEG, PNG, WebP)",
        request_schema="ImageUpload",
        request_content="multipart/form-data",
        response_schema="Product",
        success=201,
        responses=(400, 401, 403, 404, 409),
    )
