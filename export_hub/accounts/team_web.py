"""A company's team page (``/company/team``: invite a colleague by e-mail,
remove one) and the invitation link (``/invite/{token}``: set a password)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from export_hub.accounts import passwords, users
from export_hub.accounts.models import Company, Role, User
from export_hub.db import utcnow
from export_hub.errors import Conflict, NotFound, Text, ValidationFailed
from export_hub.validation import parse_id
from export_hub.web.auth import end_sessions, require_user
from export_hub.web.keys import CPU_WORK, SESSIONS, SETTINGS
from export_hub.web.render import render

NOTICES = {
    "invited": Text(
        "초대 메일을 보냈습니다. 링크에서 비밀번호를 정하면 로그인할 수 있습니다.",
        "Invitation sent. Your colleague can sign in after setting a password "
        "at the link.",
    ),
    "removed": Text(
        "팀원을 삭제했습니다. 로그인 세션과 API 토큰이 모두 종료되었습니다.",
        "Colleague removed. Their sessions and API tokens have ended.",
    ),
}


def setup(app: web.Application) -> None:
    app.router.add_get("/company/team", team_page, name="company_team")
    app.router.add_post("/company/team", team_invite)
    app.router.add_post("/company/team/{user_id:\\d+}/remove", team_remove)
    app.router.add_get("/invite/{token}", invite_page, name="invite")
    app.router.add_post("/invite/{token}", invite_accept)


def _text(form: Any, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _raw(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _company_user(request: web.Request, db: Any) -> tuple[User, Company]:
    user = await require_user(request, Role.COMPANY)
    company = await db.get(Company, user.company_id)
    if company is None:
        raise NotFound()
    return user, company


async def _page(
    request: web.Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Text] | None = None,
    notice: Text | None = None,
    problem: Text | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        user, company = await _company_user(request, db)
        members = await users.team(db, company.id)
    return await render(
        request,
        "company/team.html",
        {
            "company": company,
            "members": members,
            "me": user,
            "values": values or {"language": user.language},
            "errors": errors or {},
            "notice": notice,
            "problem": problem,
        },
        status=status,
    )


async def team_page(request: web.Request) -> web.StreamResponse:
    """The company's users, who is still invited, and the invitation form."""
    return await _page(request, notice=NOTICES.get(request.query.get("done", "")))


async def team_invite(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {k: _text(form, k) for k in ("email", "name", "language")}
    try:
        async with request.app[SESSIONS].begin() as db:
            user, company = await _company_user(request, db)
            await users.invite_colleague(
                db,
                request.app[SETTINGS],
                request.app[CPU_WORK],
                user,
                company,
                values,
                utcnow(),
            )
    except (ValidationFailed, Conflict) as exc:
        errors = exc.fields or {"email": exc.message}
        return await _page(request, values=values, errors=errors, status=400)
    raise web.HTTPSeeOther("/company/team?done=invited")


async def team_remove(request: web.Request) -> web.StreamResponse:
    """Remove a colleague (never the company's last user); yourself too."""
    form = await request.post()
    user_id = parse_id(request.match_info["user_id"])
    try:
        async with request.app[SESSIONS].begin() as db:
            user, _ = await _company_user(request, db)
            await users.remove_colleague(
                db, user, user_id, reason=_text(form, "reason", 1000), now=utcnow()
            )
    except Conflict as exc:
        return await _page(request, problem=exc.message, status=409)
    raise web.HTTPSeeOther("/company/team?done=removed")


async def invite_page(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        await passwords.reset_token_user(db, request.match_info["token"], utcnow())
    return await render(request, "account/invite.html", {"errors": {}})


async def invite_accept(request: web.Request) -> web.StreamResponse:
    """Set the password and spend the link; then the invitee signs in."""
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            user_id = await passwords.reset_password(
                db,
                request.app[CPU_WORK],
                request.match_info["token"],
                new=_raw(form, "new_password"),
                confirm=_raw(form, "new_password_confirm"),
                now=utcnow(),
            )
            await end_sessions(db, user_id)
    except ValidationFailed as exc:
        return await render(
            request, "account/invite.html", {"errors": exc.fields}, status=400
        )
    raise web.HTTPSeeOther("/login?reset=1")
