"""Admin pages for the agency's users (``/admin/users``) and the company
search box's suggestions (``/staff/companies/search.json``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from export_hub.accounts import users
from export_hub.accounts.models import Role, User
from export_hub.accounts.picker import search_companies
from export_hub.db import utcnow
from export_hub.errors import Conflict, Text, ValidationFailed
from export_hub.validation import is_id, parse_id
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import CPU_WORK, SESSIONS, SETTINGS
from export_hub.web.render import render

MAX_REASON = 1000
NOTICES = {
    "created": Text(
        "사용자를 만들고 비밀번호 설정 링크를 메일로 보냈습니다.",
        "User created; a link to set the password was e-mailed.",
    ),
    "deactivated": Text(
        "사용자를 비활성화했습니다. 로그인 세션과 API 토큰이 모두 종료되었습니다.",
        "User deactivated. Their sessions and API tokens have ended.",
    ),
    "reactivated": Text("사용자를 다시 활성화했습니다.", "User reactivated."),
}


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/users", users_page, name="admin_users")
    app.router.add_post("/admin/users", user_create)
    app.router.add_post("/admin/users/{user_id:\\d+}/deactivate", user_deactivate)
    app.router.add_post("/admin/users/{user_id:\\d+}/reactivate", user_reactivate)
    app.router.add_get("/staff/companies/search.json", company_search)


def _text(form: Any, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def reason_from(form: Any) -> str:
    """The optional reason typed in a confirmation (one paragraph, bounded)."""
    return _text(form, "reason", MAX_REASON)


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
        people = await users.agency_users(db)
        offices = await users.office_choices(db)
    return await render(
        request,
        "admin/users.html",
        {
            "people": people,
            "office_options": [("", "—")]
            + [
                (o.code, Text(f"{o.code} · {o.name_ko}", f"{o.code} · {o.name_en}"))
                for o in offices
            ],
            "roles": users.AGENCY_ROLES,
            "values": values or {"role": "staff", "language": "ko"},
            "errors": errors or {},
            "notice": notice,
            "problem": problem,
        },
        status=status,
    )


async def users_page(request: web.Request) -> web.StreamResponse:
    """Everyone who is not a company user: role, office, active or not."""
    await require_user(request, Role.ADMIN)
    return await _page(request, notice=NOTICES.get(request.query.get("done", "")))


async def user_create(request: web.Request) -> web.StreamResponse:
    admin = await require_user(request, Role.ADMIN)
    form = await request.post()
    values = {k: _text(form, k) for k in ("email", "name", "role", "office_code")}
    values["language"] = _text(form, "language") or "ko"
    try:
        async with request.app[SESSIONS].begin() as db:
            new = await users.clean_new_user(db, values)
            await users.create_agency_user(
                db,
                request.app[SETTINGS],
                request.app[CPU_WORK],
                admin,
                new,
                utcnow(),
            )
    except (ValidationFailed, Conflict) as exc:
        errors = exc.fields or {"email": exc.message}
        return await _page(request, values=values, errors=errors, status=400)
    raise web.HTTPSeeOther("/admin/users?done=created")


async def _set_active(request: web.Request, *, active: bool) -> web.StreamResponse:
    admin = await require_user(request, Role.ADMIN)
    user_id = parse_id(request.match_info["user_id"])
    reason = reason_from(await request.post())
    try:
        async with request.app[SESSIONS].begin() as db:
            await users.set_active(
                db, admin, user_id, active=active, reason=reason, now=utcnow()
            )
    except Conflict as exc:
        return await _page(request, problem=exc.message, status=409)
    done = "reactivated" if active else "deactivated"
    raise web.HTTPSeeOther(f"/admin/users?done={done}")


async def user_deactivate(request: web.Request) -> web.StreamResponse:
    """Deactivate: the user can no longer sign in; sessions and tokens end."""
    return await _set_active(request, active=False)


async def user_reactivate(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, active=True)


async def company_search(request: web.Request) -> web.StreamResponse:
    """Suggestions for the company search box: ``{"q", "results": [{"value",
    "id", "brn", "name_ko", "name_en"}]}``, at most ten."""
    await require_staff(request)
    q = request.query.get("q", "")[:100]
    limit_text = request.query.get("limit", "10")
    limit = int(limit_text) if is_id(limit_text) and int(limit_text) <= 20 else 10
    async with request.app[SESSIONS]() as db:
        found = await search_companies(db, q, limit=limit)
    return web.json_response(
        {
            "q": q.strip(),
            "results": [
                {
                    "value": c.label,
                    "id": c.id,
                    "brn": c.brn,
                    "name_ko": c.name_ko,
                    "name_en": c.name_en,
                }
                for c in found
            ],
        }
    )


def describe_user(user: User) -> str:
    """``name <e-mail>`` for notices and confirmations."""
    return f"{user.name} <{user.email}>" if user.name else user.email
