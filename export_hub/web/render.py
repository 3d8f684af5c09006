"""Rendering pages with the context every page needs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session

from export_hub.errors import RequestError
from export_hub.i18n import (
    format_local_date,
    format_local_time,
    format_money,
    format_number,
    normalise_language,
    pick,
    zone_label,
    zone_or_default,
)
from export_hub.labels import DOMAINS
from export_hub.labels import label as label_in
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

    user = request.get(USER)
    return {
        "user": user,
        "lang": lang,
        "t": t,
        "user_zone": zone_or_default(getattr(user, "time_zone", None)),
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


# The filters below read the page's language and the reader's zone from the
# template context (set by :func:`base_context`), so a template only writes
# ``{{ run.started_at|local_time }}`` or ``{{ label("booking_status", b.status) }}``.


@jinja2.pass_context
def _label(context: Any, domain: str, code: object) -> str:
    return label_in(context["lang"], domain, code)


@jinja2.pass_context
def _labels_of(context: Any, domain: str) -> dict[str, str]:
    return {code: text.get(context["lang"]) for code, text in DOMAINS[domain].items()}


@jinja2.pass_context
def _label_filter(context: Any, code: object, domain: str) -> str:
    return label_in(context["lang"], domain, code)


@jinja2.pass_context
def _local_time(context: Any, value: dt.datetime | None, seconds: bool = False) -> str:
    return format_local_time(
        context["lang"], value, context["user_zone"], seconds=seconds
    )


@jinja2.pass_context
def _local_date(context: Any, value: dt.date | dt.datetime | None) -> str:
    return format_local_date(context["lang"], value, context["user_zone"])


@jinja2.pass_context
def _zone_name(context: Any) -> str:
    return zone_label(context["lang"], context["user_zone"])


@jinja2.pass_context
def _number(context: Any, value: Any, digits: int = 0) -> str:
    return format_number(context["lang"], value, digits)


@jinja2.pass_context
def _money(context: Any, value: Any, currency: str) -> str:
    return format_money(context["lang"], value, currency)


@jinja2.pass_context
def _display_name(context: Any, thing: Any) -> str:
    """``name_en`` in English where there is one, else ``name_ko``."""
    if thing is None:
        return ""
    english = getattr(thing, "name_en", None) or ""
    if context["lang"] == "en" and english:
        return str(english)
    return str(getattr(thing, "name_ko", None) or english)


def install_filters(env: jinja2.Environment) -> None:
    """Register the label, time, number and name helpers every template uses:
    globals ``label(domain, code)``, ``labels_of(domain)`` (for scripts) and
    ``zone_name()``; filters ``label``,
    ``local_time``, ``local_date``, ``number``, ``money``, ``display_name``."""
    env.globals["label"] = _label
    env.globals["zone_name"] = _zone_name
    env.globals["labels_of"] = _labels_of
    env.filters["label"] = _label_filter
    env.filters["local_time"] = _local_time
    env.filters["local_date"] = _local_date
    env.filters["number"] = _number
    env.filters["money"] = _money
    env.filters["display_name"] = _display_name
