"""Seller onboarding pages: connect, callback, test call, disconnect, checklist.

Company users manage their own company's accounts under ``/marketplaces``;
staff see every company's checklist under ``/staff/onboarding``. The routes are
marketplace-neutral: ``{marketplace}`` names an adapter from
:data:`~export_hub.marketplaces.adapters.ADAPTER_FACTORIES`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts.models import Company, Role, User
from export_hub.errors import MarketplaceError, NotFound, PermissionDenied, Text
from export_hub.marketplaces import ownership, service
from export_hub.marketplaces.adapters import (
    OAuthAdapter,
    OnboardingError,
    emulator_contexts,
    load_adapters,
)
from export_hub.validation import parse_id
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import SECRET_BOX, SESSIONS, SETTINGS
from export_hub.web.render import render

log = logging.getLogger(__name__)

ADAPTERS = web.AppKey("marketplace_adapters", dict[str, OAuthAdapter])


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_adapters_ctx)
    app.router.add_get("/marketplaces", company_page, name="marketplaces")
    app.router.add_post("/marketplaces/{marketplace}/connect", connect)
    app.router.add_get("/marketplaces/{marketplace}/callback", callback)
    app.router.add_post("/marketplaces/{marketplace}/check", check)
    app.router.add_post("/marketplaces/{marketplace}/disconnect", disconnect)
    app.router.add_get("/staff/onboarding", staff_overview, name="staff_onboarding")
    app.router.add_get("/staff/companies/{company_id:\\d+}/marketplaces", staff_company)


async def _adapters_ctx(app: web.Application) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        for emulator in emulator_contexts(app[SETTINGS]):
            await stack.enter_async_context(emulator)
        app[ADAPTERS] = load_adapters(app[SETTINGS])
        yield
        for adapter in app[ADAPTERS].values():
            await adapter.aclose()


def _adapter(request: web.Request) -> OAuthAdapter:
    found = request.app[ADAPTERS].get(request.match_info["marketplace"])
    if found is None:
        raise NotFound()
    return found


async def _company_user(request: web.Request) -> tuple[User, int]:
    user = await require_user(request, Role.COMPANY)
    if user.company_id is None:
        raise PermissionDenied()
    return user, user.company_id


def _redirect_uri(request: web.Request, adapter: OAuthAdapter) -> str:
    base = request.app[SETTINGS].web.public_base_url.rstrip("/")
    return f"{base}/marketplaces/{adapter.marketplace}/callback"


def _marketplace_id(form_value: object, adapter: OAuthAdapter) -> str:
    value = form_value if isinstance(form_value, str) and form_value else None
    return value or adapter.default_marketplace_id


async def _page(
    request: web.Request, company: Company, *, staff: bool, notice: Text | None = None
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        boards = [
            await service.onboarding_for(db, adapter, company.id)
            for adapter in request.app[ADAPTERS].values()
        ]
        refused = (
            await ownership.refused_grants(db, company_id=company.id) if staff else []
        )
    return await render(
        request,
        "marketplaces/index.html",
        {
            "company": company,
            "boards": boards,
            "staff": staff,
            "notice": notice,
            "refused": refused,
        },
    )


_NOTICES = {
    "connected": Text("판매자 계정이 연결되었습니다.", "Seller account connected."),
    "disconnected": Text("연결을 해제했습니다.", "Disconnected."),
    "checked": Text("테스트 호출을 실행했습니다.", "Test call done."),
}


async def company_page(request: web.Request) -> web.Response:
    _, company_id = await _company_user(request)
    async with request.app[SESSIONS]() as db:
        company = await db.get(Company, company_id)
    if company is None:
        raise NotFound()
    return await _page(
        request,
        company,
        staff=False,
        notice=_NOTICES.get(request.query.get("done", "")),
    )


async def connect(request: web.Request) -> web.StreamResponse:
    user, company_id = await _company_user(request)
    adapter = _adapter(request)
    form = await request.post()
    async with request.app[SESSIONS].begin() as db:
        url = await service.start_authorization(
            db,
            adapter,
            company_id=company_id,
            user_id=user.id,
            marketplace_id=_marketplace_id(form.get("marketplace_id"), adapter),
            redirect_uri=_redirect_uri(request, adapter),
        )
    raise web.HTTPSeeOther(url)


async def callback(request: web.Request) -> web.StreamResponse:
    """The marketplace sends the company back here with ``state`` and a code."""
    user, company_id = await _company_user(request)
    adapter = _adapter(request)
    params = dict(request.query)
    async with request.app[SESSIONS].begin() as db:
        state = await service.consume_state(
            db,
            marketplace=adapter.marketplace,
            state=params.get("state", ""),
            company_id=company_id,
        )
    # The state is spent whatever happens next: a code is good for one try.
    try:
        grant = await adapter.exchange_code(
            params,
            marketplace_id=state.marketplace_id,
            redirect_uri=_redirect_uri(request, adapter),
        )
    except MarketplaceError as exc:
        log.warning("code exchange failed: %s", exc)
        raise OnboardingError(
            Text(
                "마켓플레이스가 승인 코드를 받아들이지 않았습니다. 다시 연결해 주세요."
                f" (요청 ID {exc.request_id or '-'})",
                "The marketplace did not accept the authorization code. Please"
                f" connect again. (request id {exc.request_id or '-'})",
            )
        ) from exc
    box = request.app[SECRET_BOX]
    try:
        async with request.app[SESSIONS].begin() as db:
            account = await service.save_grant(
                db,
                box,
                company_id=company_id,
                user_id=user.id,
                marketplace=adapter.marketplace,
                marketplace_id=state.marketplace_id,
                grant=grant,
            )
            await service.run_connection_check(db, box, adapter, account)
    except ownership.SellerAccountTaken as refused:
        return await _refused(request, refused, user, company_id, state.marketplace_id)
    raise web.HTTPSeeOther("/marketplaces?done=connected")


async def _refused(
    request: web.Request,
    refused: ownership.SellerAccountTaken,
    user: User,
    company_id: int,
    marketplace_id: str,
) -> web.Response:
    """Tell staff (audit event, e-mail) and show the company why (HTTP 409)."""
    log.warning(
        "refused %s seller %s for company %s: connected to company %s",
        refused.marketplace,
        refused.seller_id,
        company_id,
        refused.holder_company_id,
    )
    settings = request.app[SETTINGS]
    async with request.app[SESSIONS].begin() as db:
        company = await db.get(Company, company_id)
        if company is None:
            raise NotFound()
        ownership.record_refused_grant(
            db,
            refused,
            company_id=company_id,
            user_id=user.id,
            marketplace_id=marketplace_id,
        )
        base = settings.web.public_base_url.rstrip("/")
        link = f"{base}/staff/companies/{company_id}/marketplaces"
        await ownership.mail_staff(
            db, settings.mail, refused, company=company, link=link
        )
    response = await _page(request, company, staff=False, notice=refused.message)
    response.set_status(409)
    return response


async def check(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY, Role.STAFF, Role.ADMIN)
    adapter = _adapter(request)
    form = await request.post()
    company_id = _target_company(user, form.get("company_id"))
    async with request.app[SESSIONS].begin() as db:
        account = await service.account_for(
            db,
            company_id,
            adapter.marketplace,
            _marketplace_id(form.get("marketplace_id"), adapter),
        )
        if account is None:
            raise NotFound()
        await service.run_connection_check(
            db, request.app[SECRET_BOX], adapter, account
        )
    if user.is_staff:
        raise web.HTTPSeeOther(f"/staff/companies/{company_id}/marketplaces")
    raise web.HTTPSeeOther("/marketplaces?done=checked")


def _target_company(user: User, form_value: object) -> int:
    if user.is_staff:
        return parse_id(form_value)
    if user.company_id is None:
        raise PermissionDenied()
    return user.company_id


async def disconnect(request: web.Request) -> web.StreamResponse:
    user, company_id = await _company_user(request)
    adapter = _adapter(request)
    form = await request.post()
    async with request.app[SESSIONS].begin() as db:
        account = await service.account_for(
            db,
            company_id,
            adapter.marketplace,
            _marketplace_id(form.get("marketplace_id"), adapter),
        )
        if account is None:
            raise NotFound()
        service.disconnect(db, account, user_id=user.id)
    raise web.HTTPSeeOther("/marketplaces?done=disconnected")


async def staff_company(request: web.Request) -> web.Response:
    await require_staff(request)
    async with request.app[SESSIONS]() as db:
        company = await db.get(Company, parse_id(request.match_info["company_id"]))
    if company is None:
        raise NotFound()
    return await _page(request, company, staff=True)


async def staff_overview(request: web.Request) -> web.Response:
    """Every company's connection status per marketplace, for staff."""
    await require_staff(request)
    adapters = list(request.app[ADAPTERS].values())
    rows = []
    async with request.app[SESSIONS]() as db:
        companies = list(await db.scalars(select(Company).order_by(Company.name_ko)))
        for company in companies:
            boards = [
                await service.onboarding_for(db, adapter, company.id)
                for adapter in adapters
            ]
            rows.append((company, boards))
        refused = await ownership.refused_grants(db)
    names = {company.id: company for company in companies}
    return await render(
        request,
        "marketplaces/staff.html",
        {"rows": rows, "adapters": adapters, "refused": refused, "names": names},
    )
