"""Rendering pages with the context every page needs."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from export_hub.i18n import normalise_language, pick
from export_hub.web.auth import USER, csrf_token, load_user


async def base_context(request: web.Request) -> dict[str, Any]:
    session = await get_session(request)
    lang = normalise_language(session.get("lang"))
    try:
        await load_user(request)
    except Exception:  # noqa: BLE001 - a bad bearer token must not break an error page
        pass

    def t(ko: str, en: str) -> str:
        return pick(lang, ko, en)

    return {
        "user": request.get(USER),
        "lang": lang,
        "t": t,
        "csrf_token": await csrf_token(request),
        "request_path": request.path_qs,
    }


async def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """Render ``template`` with the base context (user, lang, ``t``, CSRF token)."""
    full = await base_context(request)
    full.update(context or {})
    return aiohttp_jinja2.render_template(template, request, full, status=status)
