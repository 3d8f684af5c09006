"""Account pages: sign-up, the company profile, API tokens."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts.companies import (
    clean_company,
    clean_sign_up,
    company_form_values,
    sign_up,
    update_company,
)
from export_hub.accounts.models import ApiToken, Company, Role, User
from export_hub.db import utcnow
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.web.auth import issue_api_token, load_user, log_in, require_user
from export_hub.web.keys import SESSIONS
from export_hub.web.render import render

SAVED = Text("저장했습니다.", "Saved.")


def setup(app: web.Application) -> None:
    app.router.add_get("/signup", signup_page, name="signup")
    app.router.add_post("/signup", signup_submit)
    app.router.add_get("/company/profile", profile_page, name="company_profile")
    app.router.add_post("/company/profile", profile_submit)
    app.router.add_get("/account/tokens", tokens_page, name="api_tokens")
    app.router.add_post("/account/tokens", token_create)
    app.router.add_post("/account/tokens/{token_id:\\d+}/revoke", token_revoke)


def form_values(form: Any) -> dict[str, str]:
    """The text fields of a posted form (files and the CSRF token left out)."""
    return {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and key != "csrf_token"
    }


async def signup_page(request: web.Request) -> web.StreamResponse:
    if await load_user(request) is not None:
        raise web.HTTPSeeOther("/")
    return await render(request, "account/signup.html", {"values": {}, "errors": {}})


async def signup_submit(request: web.Request) -> web.StreamResponse:
    values = form_values(await request.post())
    try:
        form = clean_sign_up(values)
        async with request.app[SESSIONS].begin() as db:
            user = await sign_up(db, form)
    except ValidationFailed as exc:
        values.pop("password", None)
        values.pop("password_confirm", None)
        return await render(
            request,
            "account/signup.html",
            {"values": values, "errors": exc.fields},
            status=400,
        )
    await log_in(request, user)
    raise web.HTTPSeeOther("/company/profile?welcome=1")


async def _own_company(request: web.Request, db: Any) -> tuple[User, Company]:
    user = await require_user(request, Role.COMPANY)
    company = await db.get(Company, user.company_id)
    if company is None:
        raise NotFound()
    return user, company


async def profile_page(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        _, company = await _own_company(request, db)
    notice = None
    if request.query.get("welcome"):
        notice = Text(
            "가입을 환영합니다. 회사 정보를 채워 주세요.",
            "Welcome. Please complete your company profile.",
        )
    elif request.query.get("saved"):
        notice = SAVED
    return await render(
        request,
        "company/profile.html",
        {"values": company_form_values(company), "errors": {}, "notice": notice},
    )


async def profile_submit(request: web.Request) -> web.StreamResponse:
    values = form_values(await request.post())
    try:
        async with request.app[SESSIONS].begin() as db:
            user, company = await _own_company(request, db)
            await update_company(db, company, clean_company(values), actor=user)
    except ValidationFailed as exc:
        return await render(
            request,
            "company/profile.html",
            {"values": values, "errors": exc.fields, "notice": None},
            status=400,
        )
    raise web.HTTPSeeOther("/company/profile?saved=1")


async def _tokens(db: Any, user: User) -> list[ApiToken]:
    rows = await db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    )
    return list(rows)


async def tokens_page(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    async with request.app[SESSIONS]() as db:
        tokens = await _tokens(db, user)
    return await render(
        request,
        "account/tokens.html",
        {"tokens": tokens, "new_token": None, "errors": {}},
    )


async def token_create(request: web.Request) -> web.StreamResponse:
    """Issue a token and show its plaintext once (only its hash is stored)."""
    user = await require_user(request)
    label = str((await request.post()).get("label") or "").strip()
    errors = {}
    new_token = None
    if not label or len(label) > 100:
        errors["label"] = Text(
            "이름을 1–100자로 입력해 주세요.", "Name it in 1–100 characters."
        )
    async with request.app[SESSIONS].begin() as db:
        if not errors:
            new_token = await issue_api_token(db, user, label)
            await db.flush()
        tokens = await _tokens(db, user)
    return await render(
        request,
        "account/tokens.html",
        {"tokens": tokens, "new_token": new_token, "errors": errors},
        status=400 if errors else 200,
    )


async def token_revoke(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    token_id = int(request.match_info["token_id"])
    async with request.app[SESSIONS].begin() as db:
        token = await db.get(ApiToken, token_id)
        if token is None or token.user_id != user.id:
            raise NotFound()
        token.revoked_at = token.revoked_at or utcnow()
    raise web.HTTPSeeOther("/account/tokens")
