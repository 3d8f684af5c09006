"""Rendering pages with the context every page needs."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from export_hub.errors import RequestError
from export_hub.i18n import normalise_language, pick
from export_hub.web.auth import USER, csrf_token, load_user

log = logging.getLogger(__name__)


async def base_context(request: web.Request) -> dict[str, Any]:
    session = await get_session(request)
    lang = normalise_language(session.get("lang"))
    try:
        await load_user(request)
    except RequestError:
        # A bad bearer token must not stop the error page that reports it.
        log.debug("no user for %s", request.path)

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
