"""Core pages: home, log-in, log-out, health."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from export_hub.accounts.models import Role
from export_hub.accounts.service import LoginPolicy, authenticate
from export_hub.errors import Text
from export_hub.reports.web import company_home, staff_home
from export_hub.web.auth import client_address, load_user, log_in, log_out
from export_hub.web.keys import CPU_WORK, SESSIONS, SETTINGS
from export_hub.web.render import render

RESET_DONE = Text(
    "비밀번호를 바꿨습니다. 새 비밀번호로 로그인해 주세요.",
    "Your password was changed. Log in with the new one.",
)


def setup(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
    app.router.add_get("/login", login_page, name="login")
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout, name="logout")
    app.router.add_get("/healthz", health)


def safe_next(value: str | None, default: str = "/") -> str:
    r"""Only same-site paths, so ``next`` cannot redirect off-site.

    Browsers drop tabs and newlines from URLs and read ``\`` as ``/``, so
    ``/\t/evil.example`` means ``//evil.example``: any control character or
    backslash refuses the value, as do a scheme, a host and a leading ``//``.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def landing_path(role: Role) -> str:
    return {
        Role.ADMIN: "/",
        Role.STAFF: "/",
        Role.OFFICE: "/office",
        Role.COMPANY: "/",
    }[role]


async def home(request: web.Request) -> web.StreamResponse:
    """The public front page, or the signed-in user's dashboard.

    Staff and companies get their dashboards here; an office's first page is
    its week and waiting requests (``/office``).
    """
    user = await load_user(request)
    if user is None:
        return await render(request, "home.html")
    if user.is_staff:
        return await staff_home(request)
    if user.role is Role.COMPANY:
        return await company_home(request, user)
    raise web.HTTPSeeOther(landing_path(user.role))


async def login_page(request: web.Request) -> web.Response:
    return await render(
        request,
        "login.html",
        {
            "email": "",
            "error": None,
            "next": safe_next(request.query.get("next"), ""),
            "notice": RESET_DONE if request.query.get("reset") else None,
        },
    )


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")), "")
    user = await authenticate(
        request.app[SESSIONS],
        request.app[CPU_WORK],
        email,
        password,
        address=client_address(request),
        policy=LoginPolicy.from_settings(request.app[SETTINGS].web),
    )
    if user is None:
        return await render(
            request,
            "login.html",
            {
                "email": email,
                "next": next_path,
                "notice": None,
                "error": Text(
                    "이메일 또는 비밀번호가 올바르지 않습니다.",
                    "Wrong e-mail address or password.",
                ),
            },
            status=400,
        )
    await log_in(request, user)
    raise web.HTTPSeeOther(next_path or landing_path(user.role))


async def logout(request: web.Request) -> web.StreamResponse:
    await log_out(request)
    raise web.HTTPSeeOther("/")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
