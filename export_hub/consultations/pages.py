"""Rendering consultation pages: every time with its date, weekday and zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from export_hub.consultations.models import Booking
from export_hub.consultations.notify import WEEKDAYS, when_label
from export_hub.consultations.slots import SEOUL, describe
from export_hub.consultations.video import video_note
from export_hub.web.render import render

LANGUAGE_NAMES = {
    "ko": "한국어", "en": "English", "de": "Deutsch", "vi": "Tiếng Việt",
    "zh": "中文", "id": "Bahasa Indonesia", "ja": "日本語", "es": "Español",
    "fr": "Français",
}  # fmt: skip


def helpers(lang: str) -> dict[str, Any]:
    """Template helpers: ``when(instant, zone)`` and ``span(booking, zone)``."""

    def when(instant: dt.datetime, zone: str) -> str:
        local = describe(instant, zone)
        weekday = WEEKDAYS["en" if lang == "en" else "ko"][local.date.weekday()]
        clock = f"{local.time:%H:%M} {local.abbreviation}"
        return f"{local.date.isoformat()} ({weekday}) {clock}"

    def span(booking: Booking, zone: str) -> str:
        return when_label(booking.start_at, booking.end_at, zone, lang)

    def between(start: dt.datetime, end: dt.datetime, zone: str) -> str:
        return when_label(start, end, zone, lang)

    return {
        "when": when,
        "span": span,
        "between": between,
        "describe": describe,
        "video_note": video_note,
        "SEOUL": SEOUL,
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
    }


async def page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    session = await get_session(request)
    lang = "en" if session.get("lang") == "en" else "ko"
    return await render(
        request, f"consultations/{template}", helpers(lang) | context, status=status
    )
