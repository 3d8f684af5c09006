"""Staff page for exchange rates and the pricing policy: ``/staff/pricing``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from aiohttp import web

from export_hub.brand.config import resolve_config_path
from export_hub.db import utcnow
from export_hub.errors import FieldErrors
from export_hub.pricing.config import PricingConfig, load_pricing
from export_hub.pricing.rates import recent_rates, record_rate
from export_hub.web.auth import require_staff
from export_hub.web.keys import SESSIONS, SETTINGS
from export_hub.web.render import render

PRICING = web.AppKey("pricing_config", PricingConfig)
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_RATE = Decimal("1000000")
MAX_DAYS_AHEAD = 366


def setup(app: web.Application) -> None:
    # Fail at start-up on a broken pricing file, not on the first page view.
    app[PRICING] = load_pricing(resolve_config_path(app[SETTINGS].brand.pricing_file))
    app.router.add_get("/staff/pricing", pricing_page, name="staff_pricing")
    app.router.add_post("/staff/pricing/rates", add_rate)


def _form_defaults() -> dict[str, str]:
    return {
        "base": "USD",
        "quote": "KRW",
        "rate": "",
        "effective_on": utcnow().date().isoformat(),
    }


async def _page(
    request: web.Request,
    form: dict[str, str],
    errors: FieldErrors | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        rates = await recent_rates(db)
    config = request.app[PRICING]
    return await render(
        request,
        "pricing/rates.html",
        {
            "rates": rates,
            "config": config,
            "form": form,
            "errors": errors.errors if errors else {},
            "currencies": sorted({"KRW", *config.currency}),
        },
        status=status,
    )


async def pricing_page(request: web.Request) -> web.Response:
    await require_staff(request)
    return await _page(request, _form_defaults())


def parse_rate_form(
    form: dict[str, str], today: dt.date
) -> tuple[FieldErrors, dict[str, object]]:
    """Validate the rate form; returns the errors and the cleaned values."""
    errors = FieldErrors()
    base = form.get("base", "").strip().upper()
    quote = form.get("quote", "").strip().upper()
    for name, code in (("base", base), ("quote", quote)):
        if not CURRENCY_RE.match(code):
            errors.add(
                name,
                "통화 코드는 영문 3자입니다 (예: USD).",
                "A currency is 3 letters (e.g. USD).",
            )
    if base and base == quote:
        errors.add(
            "quote", "서로 다른 두 통화를 고르세요.", "Pick two different currencies."
        )
    rate: Decimal | None = None
    try:
        rate = Decimal(form.get("rate", "").strip().replace(",", ""))
    except InvalidOperation:
        pass
    if rate is None or not rate.is_finite() or not Decimal(0) < rate <= MAX_RATE:
        errors.add(
            "rate", "0보다 큰 환율을 숫자로 입력하세요.", "Enter a rate greater than 0."
        )
        rate = None
    effective_on: dt.date | None = None
    try:
        effective_on = dt.date.fromisoformat(form.get("effective_on", "").strip())
    except ValueError:
        errors.add(
            "effective_on",
            "날짜를 YYYY-MM-DD로 입력하세요.",
            "Enter the date as YYYY-MM-DD.",
        )
    if effective_on and effective_on > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        errors.add(
            "effective_on",
            "1년 이내의 날짜를 입력하세요.",
            "Enter a date within a year.",
        )
    return errors, {
        "base": base,
        "quote": quote,
        "rate": rate,
        "effective_on": effective_on,
    }


async def add_rate(request: web.Request) -> web.StreamResponse:
    """Record a rate entered by staff; 400 with the form again on bad input."""
    user = await require_staff(request)
    posted = await request.post()
    form = {
        k: str(posted.get(k, "")) for k in ("base", "quote", "rate", "effective_on")
    }
    errors, values = parse_rate_form(form, utcnow().date())
    if errors:
        return await _page(request, form, errors, status=400)
    async with request.app[SESSIONS].begin() as db:
        await record_rate(
            db,
            base=str(values["base"]),
            quote=str(values["quote"]),
            rate=values["rate"],  # type: ignore[arg-type]
            effective_on=values["effective_on"],  # type: ignore[arg-type]
            source="staff",
            user_id=user.id,
        )
    raise web.HTTPSeeOther("/staff/pricing")
