"""Stock and price pages: the bulk stock file on the company's page and the
staff's page (staff pick the company), and the company's safety buffer on
the staff's company page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from export_hub.accounts.companies import company_by_brn
from export_hub.accounts.models import Company, Role
from export_hub.accounts.web import form_values
from export_hub.catalog.importer import ImportRejected
from export_hub.catalog.models import AuditEvent
from export_hub.catalog.operations import clean_buffer
from export_hub.catalog.stock_import import STOCK_COLUMNS, import_stock
from export_hub.errors import FieldErrors, NotFound, Text, ValidationFailed
from export_hub.validation import parse_id
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import SESSIONS
from export_hub.web.render import render

TEMPLATE = "company/stock_import.html"
NO_FILE = Text("파일을 선택해 주세요.", "Choose a file.")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/company/stock", company_stock_page, name="company_stock")
    r.add_post("/company/stock", company_stock_submit)
    r.add_get("/staff/import/stock", staff_stock_page, name="staff_stock_import")
    r.add_post("/staff/import/stock", staff_stock_submit)
    r.add_post("/staff/companies/{company_id:\\d+}/stock-buffer", company_buffer_submit)


def default_buffer(app: web.Application) -> int:
    """The brand's default safety buffer (``sync.safety_buffer``)."""
    from export_hub.brand.web import BRAND  # the brand app sets it at start-up

    brand = app.get(BRAND)
    return brand.sync.safety_buffer if brand is not None else 1


def _context(
    *,
    staff: bool,
    values: dict[str, str] | None = None,
    errors: dict[str, Text] | None = None,
    rejected: ImportRejected | None = None,
    updated: int | None = None,
) -> dict[str, Any]:
    return {
        "staff": staff,
        "action": "/staff/import/stock" if staff else "/company/stock",
        "values": values or {},
        "errors": errors or {},
        "rejected": rejected,
        "updated": updated,
        "columns": STOCK_COLUMNS,
    }


async def company_stock_page(request: web.Request) -> web.StreamResponse:
    await require_user(request, Role.COMPANY)
    return await render(request, TEMPLATE, _context(staff=False))


async def staff_stock_page(request: web.Request) -> web.StreamResponse:
    await require_staff(request)
    values = {"brn": request.query.get("brn", "")[:20]}
    return await render(request, TEMPLATE, _context(staff=True, values=values))


async def _upload(request: web.Request, *, staff: bool) -> web.StreamResponse:
    user = (
        await require_staff(request)
        if staff
        else await require_user(request, Role.COMPANY)
    )
    form = await request.post()
    values = form_values(form)
    upload = form.get("file")
    try:
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        if not data:
            raise ValidationFailed({"file": NO_FILE})
        async with request.app[SESSIONS].begin() as db:
            if staff:
                company = await company_by_brn(db, values.get("brn", ""))
            else:
                found = await db.get(Company, user.company_id)
                if found is None:
                    raise NotFound()
                company = found
            report = await import_stock(db, company=company, actor=user, data=data)
    except ImportRejected as exc:
        context = _context(staff=staff, values=values, rejected=exc)
        return await render(request, TEMPLATE, context, status=400)
    except ValidationFailed as exc:
        context = _context(staff=staff, values=values, errors=exc.fields)
        return await render(request, TEMPLATE, context, status=400)
    context = _context(staff=staff, values=values, updated=report.imported)
    return await render(request, TEMPLATE, context)


async def company_stock_submit(request: web.Request) -> web.StreamResponse:
    return await _upload(request, staff=False)


async def staff_stock_submit(request: web.Request) -> web.StreamResponse:
    return await _upload(request, staff=True)


async def company_buffer_submit(request: web.Request) -> web.StreamResponse:
    """Staff set (or clear) the company's safety buffer override, audited."""
    user = await require_staff(request)
    values = form_values(await request.post())
    errors = FieldErrors()
    buffer = clean_buffer(values.get("stock_buffer"), errors)
    errors.raise_if_any()
    async with request.app[SESSIONS].begin() as db:
        company = await db.get(Company, parse_id(request.match_info["company_id"]))
        if company is None:
            raise NotFound()
        if company.stock_buffer != buffer:
            change = {"stock_buffer": [company.stock_buffer, buffer]}
            db.add(
                AuditEvent(
                    actor_user_id=user.id,
                    subject_type="company",
                    subject_id=company.id,
                    action="stock_buffer",
                    details={"changes": change},
                )
            )
            company.stock_buffer = buffer
    raise web.HTTPSeeOther(f"/staff/companies/{company.id}?saved=1")
