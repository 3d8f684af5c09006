"""Office pages (request queue, the week in the office's zone, rules and
overrides, the calendar feed) and staff pages (all bookings, reports, the
mail outbox)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import delete, select

from export_hub.accounts.models import Company, Role, User
from export_hub.consultations.access import now, office_for
from export_hub.consultations.invites import build_feed
from export_hub.consultations.models import (
    LIVE_STATUSES,
    AvailabilityRule,
    Blackout,
    Booking,
    BookingStatus,
    Buyer,
    DateOverride,
    Interpreter,
    Office,
    OverrideKind,
    VideoMode,
)
from export_hub.consultations.pages import page
from export_hub.consultations.public_holidays import public_holidays_between
from export_hub.consultations.reports import bar_chart, build_report
from export_hub.consultations.slots import local_date
from export_hub.consultations.video import jitsi_problem
from export_hub.errors import FieldErrors, NotFound, PermissionDenied
from export_hub.i18n import pick
from export_hub.mail import OutboxMessage
from export_hub.security import constant_time_equals, new_token, sha256_hex
from export_hub.validation import (
    clean_date,
    clean_zone,
    lenient_int,
    parse_id,
    validate_email,
    validate_text,
)
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import SESSIONS, SETTINGS
from export_hub.web.middlewares import request_language

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KO_WEEKDAYS = ("월", "화", "수", "목", "금", "토", "일")
RULE_LINE = re.compile(r"^\s*(\S+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


async def office_of(request: web.Request, *, edit: bool = False) -> tuple[User, Office]:
    """The office the user works for; staff pick one with ``?code=``.

    With ``edit``, staff other than admins may only look.
    """
    user = await require_user(request, Role.OFFICE, Role.STAFF, Role.ADMIN)
    if user.role is Role.OFFICE:
        code = user.office_code or ""
    else:
        code = request.query.get("code", "")
        if edit and user.role is not Role.ADMIN:
            raise PermissionDenied()
    async with request.app[SESSIONS]() as db:
        if not code:
            office = await db.scalar(select(Office).order_by(Office.code))
            if office is None:
                raise NotFound()
            return user, office
        return user, await office_for(db, code)


async def office_home(request: web.Request) -> web.Response:
    """The queue of pending requests and the next 7 days in the office's zone."""
    user, office = await office_of(request)
    moment = now(request)
    zone = ZoneInfo(office.time_zone)
    today = moment.astimezone(zone).date()
    week_end = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(), zone)
    async with request.app[SESSIONS]() as db:
        pending = list(
            await db.execute(
                select(Booking, Company)
                .join(Company, Company.id == Booking.company_id)
                .where(
                    Booking.office_id == office.id,
                    Booking.status == BookingStatus.PENDING,
                )
                .order_by(Booking.expires_at)
            )
        )
        upcoming = list(
            await db.execute(
                select(Booking, Company)
                .join(Company, Company.id == Booking.company_id)
                .where(
                    Booking.office_id == office.id,
                    Booking.status.in_(LIVE_STATUSES),
                    Booking.end_at > moment,
                    Booking.start_at < week_end,
                )
                .order_by(Booking.start_at)
            )
        )
        interpreters = list(
            await db.scalars(select(Interpreter).where(Interpreter.active.is_(True)))
        )
        offices = (
            list(await db.scalars(select(Office).order_by(Office.code)))
            if user.is_staff
            else []
        )
    days: dict[dt.date, list[tuple[Booking, Company]]] = {
        today + dt.timedelta(n): [] for n in range(7)
    }
    for booking, company in upcoming:
        day = booking.start_at.astimezone(zone).date()
        days.setdefault(day, []).append((booking, company))
    return await page(
        request,
        "office_home.html",
        {
            "office": office,
            "pending": pending,
            "days": sorted(days.items()),
            "interpreters": interpreters,
            "offices": offices,
            "now": moment,
        },
    )


# -- settings, rules, overrides -----------------------------------------------


async def settings_context(request: web.Request, office: Office) -> dict[str, Any]:
    async with request.app[SESSIONS]() as db:
        rules = list(
            await db.scalars(
                select(AvailabilityRule)
                .where(AvailabilityRule.office_id == office.id)
                .order_by(AvailabilityRule.weekday, AvailabilityRule.start_time)
            )
        )
        overrides = list(
            await db.scalars(
                select(DateOverride)
                .where(DateOverride.office_id == office.id)
                .order_by(DateOverride.date)
            )
        )
        buyers = list(
            await db.scalars(
                select(Buyer).where(Buyer.office_id == office.id).order_by(Buyer.name)
            )
        )
        holidays = list(
            await db.scalars(
                select(Blackout)
                .where(Blackout.office_id == office.id)
                .order_by(Blackout.date)
            )
        )
    rules_text = "\n".join(
        f"{WEEKDAY_NAMES[r.weekday].title()} {r.start_time:%H:%M}-{r.end_time:%H:%M}"
        for r in rules
    )
    today = local_date(now(request), office.time_zone)
    return {
        "office": office,
        "rules_text": rules_text,
        "overrides": overrides,
        "holidays": holidays,
        "public_holidays": public_holidays_between(
            office.country, today, today + dt.timedelta(days=office.horizon_days)
        ),
        "buyers": buyers,
        "errors": {},
        "feed_url": None,
        "video_modes": [m.value for m in VideoMode],
    }


async def settings_page(request: web.Request) -> web.Response:
    _, office = await office_of(request)
    return await page(
        request, "office_settings.html", await settings_context(request, office)
    )


def parse_rules(
    text: str, errors: FieldErrors, *, field: str = "rules"
) -> list[tuple[int, dt.time, dt.time]]:
    """``Mon 09:00-12:00`` (or ``월``, or ``0``) per line."""
    rules: list[tuple[int, dt.time, dt.time]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = RULE_LINE.match(line)
        day = match.group(1).lower()[:3] if match else ""
        weekday = (
            WEEKDAY_NAMES.index(day) if day in WEEKDAY_NAMES
            else KO_WEEKDAYS.index(day[0]) if day and day[0] in KO_WEEKDAYS
            else int(day) if day in ("0", "1", "2", "3", "4", "5", "6") else None
        )  # fmt: skip
        try:
            start = dt.time.fromisoformat(match.group(2).zfill(5)) if match else None
            end = dt.time.fromisoformat(match.group(3).zfill(5)) if match else None
        except ValueError:
            start = end = None
        if (
            weekday is None
            or start is None
            or end is None
            or start >= end
            or start.minute % 5
            or end.minute % 5
        ):
            errors.add(
                field,
                f"{number}번째 줄을 'Mon 09:00-12:00' 형식"
                "(5분 단위, 시작 < 끝)으로 써 주세요.",
                f"Write line {number} as 'Mon 09:00-12:00' "
                "(5-minute steps, start before end).",
            )
            continue
        rules.append((weekday, start, end))
    return rules


async def rules_submit(request: web.Request) -> web.Response:
    _, office = await office_of(request, edit=True)
    form = await request.post()
    errors = FieldErrors()
    rules = parse_rules(str(form.get("rules", "")), errors)
    if errors:
        context = await settings_context(request, office)
        context |= {"errors": errors.errors, "rules_text": str(form.get("rules", ""))}
        return await page(request, "office_settings.html", context, status=400)
    async with request.app[SESSIONS].begin() as db:
        await db.execute(
            delete(AvailabilityRule).where(AvailabilityRule.office_id == office.id)
        )
        for weekday, start, end in rules:
            db.add(
                AvailabilityRule(
                    office_id=office.id, weekday=weekday, start_time=start, end_time=end
                )
            )
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


async def override_submit(request: web.Request) -> web.Response:
    _, office = await office_of(request, edit=True)
    form = await request.post()
    errors = FieldErrors()
    day = clean_date(form.get("date"), errors, "date")
    kind = str(form.get("kind", ""))
    start = end = None
    if kind not in (OverrideKind.CLOSED.value, OverrideKind.EXTRA.value):
        errors.add("kind", "종류를 골라 주세요.", "Choose closed or extra hours.")
    elif kind == OverrideKind.EXTRA.value:
        try:
            start = dt.time.fromisoformat(str(form.get("start", "")))
            end = dt.time.fromisoformat(str(form.get("end", "")))
        except ValueError:
            pass
        if (
            start is None
            or end is None
            or start >= end
            or start.minute % 5
            or end.minute % 5
        ):
            errors.add(
                "start",
                "추가 시간(시작 < 끝, 5분 단위)을 입력해 주세요.",
                "Give the extra hours (start before end, 5-minute steps).",
            )
    if errors or day is None:
        context = await settings_context(request, office) | {"errors": errors.errors}
        return await page(request, "office_settings.html", context, status=400)
    async with request.app[SESSIONS].begin() as db:
        db.add(
            DateOverride(
                office_id=office.id, date=day, kind=OverrideKind(kind),
                start_time=start, end_time=end, note=str(form.get("note", ""))[:200],
            )
        )  # fmt: skip
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


async def override_delete(request: web.Request) -> web.Response:
    _, office = await office_of(request, edit=True)
    async with request.app[SESSIONS].begin() as db:
        await db.execute(
            delete(DateOverride).where(
                DateOverride.id == parse_id(request.match_info["override_id"]),
                DateOverride.office_id == office.id,
            )
        )
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


def _minutes_field(
    form: Any, name: str, errors: FieldErrors, low: int, high: int, step: int = 1
) -> int:
    value = lenient_int(form.get(name), default=-1, lo=-1)
    if not low <= value <= high or value % step:
        errors.add(name, f"{low}~{high} 사이의 값({step} 단위)을 입력해 주세요.",
                   f"Enter {low} to {high} (steps of {step}).")  # fmt: skip
    return value


def _contact_email(value: str, errors: FieldErrors) -> str:
    """Blank, or an address every booking's mail can go to."""
    value = value.strip()
    return validate_email(value, errors, "contact_email") if value else ""


async def office_settings_submit(request: web.Request) -> web.Response:
    user, office = await office_of(request, edit=True)
    form = await request.post()
    errors = FieldErrors()
    values: dict[str, Any] = {
        "meeting_minutes": _minutes_field(form, "meeting_minutes", errors, 30, 60, 30),
        "buffer_before_minutes": _minutes_field(
            form, "buffer_before_minutes", errors, 0, 120, 5
        ),
        "buffer_after_minutes": _minutes_field(
            form, "buffer_after_minutes", errors, 0, 120, 5
        ),
        "min_notice_hours": _minutes_field(form, "min_notice_hours", errors, 0, 336),
        "horizon_days": _minutes_field(form, "horizon_days", errors, 1, 365),
        "max_per_day": _minutes_field(form, "max_per_day", errors, 0, 50),
        "max_per_company": _minutes_field(form, "max_per_company", errors, 0, 50),
        "contact_name": validate_text(
            str(form.get("contact_name", "")), errors, "contact_name",
            max_len=100, required=False,
        ),
        "contact_email": _contact_email(str(form.get("contact_email", "")), errors),
        "contact_phone": validate_text(
            str(form.get("contact_phone", "")), errors, "contact_phone",
            max_len=40, required=False,
        ),
        "pasted_video_link": validate_text(
            str(form.get("pasted_video_link", "")), errors, "pasted_video_link",
            max_len=500, required=False,
        ),
    }  # fmt: skip
    mode = str(form.get("video_mode", ""))
    jitsi = jitsi_problem(request.app[SETTINGS].consultations)
    if mode not in [m.value for m in VideoMode]:
        errors.add(
            "video_mode", "화상회의 방식을 골라 주세요.", "Choose a video option."
        )
    elif mode == VideoMode.JITSI_JWT.value and jitsi is not None:
        errors.add(
            "video_mode",
            f"Jitsi JWT 링크를 쓸 수 없습니다: {jitsi.ko}",
            f"Jitsi JWT links cannot be made: {jitsi.en}",
        )
    elif mode == VideoMode.PASTED.value and not values["pasted_video_link"].startswith(
        "https://"
    ):
        errors.add(
            "pasted_video_link",
            "https:// 로 시작하는 회의 링크를 붙여 넣어 주세요.",
            "Paste a meeting link starting with https://.",
        )
    language = str(form.get("notify_language", "ko"))
    values["notify_language"] = language if language in ("ko", "en") else "ko"
    if user.role is Role.ADMIN:
        zone = clean_zone(form.get("time_zone", office.time_zone), errors, "time_zone")
        name_ko = str(form.get("name_ko", office.name_ko))[:100] or office.name_ko
        name_en = str(form.get("name_en", office.name_en))[:100] or office.name_en
        values |= {
            "time_zone": zone,
            "name_ko": validate_text(name_ko, errors, "name_ko", max_len=100),
            "name_en": validate_text(name_en, errors, "name_en", max_len=100),
            "active": form.get("active") == "on",
        }
    if errors:
        context = await settings_context(request, office) | {"errors": errors.errors}
        return await page(request, "office_settings.html", context, status=400)
    async with request.app[SESSIONS].begin() as db:
        row = await db.get_one(Office, office.id)
        for name, value in values.items():
            setattr(row, name, value)
        row.video_mode = VideoMode(mode)
    raise web.HTTPSeeOther(f"/office/settings?code={office.code}")


async def feed_token_submit(request: web.Request) -> web.Response:
    """A new secret feed URL, shown once; the old one stops working."""
    _, office = await office_of(request, edit=True)
    token = new_token(32)
    async with request.app[SESSIONS].begin() as db:
        row = await db.get_one(Office, office.id)
        row.feed_token_hash = sha256_hex(token)
    base = request.app[SETTINGS].web.public_base_url.rstrip("/")
    context = await settings_context(request, office)
    context["feed_url"] = f"{base}/consultations/feeds/{office.code}/{token}.ics"
    return await page(request, "office_settings.html", context)


async def office_feed(request: web.Request) -> web.Response:
    """``GET /consultations/feeds/{code}/{token}.ics``: the office's calendar."""
    digest = sha256_hex(request.match_info["token"])
    async with request.app[SESSIONS]() as db:
        office = await db.scalar(
            select(Office).where(Office.code == request.match_info["code"])
        )
        if (
            office is None
            or not office.feed_token_hash
            or not constant_time_equals(office.feed_token_hash, digest)
        ):
            raise NotFound()
        since = now(request) - dt.timedelta(days=30)
        rows = await db.execute(
            select(Booking, Company.name_en)
            .join(Company, Company.id == Booking.company_id)
            .where(Booking.office_id == office.id, Booking.end_at > since)
            .order_by(Booking.start_at)
        )
        body = build_feed(office, list(rows), now(request))
    return web.Response(
        body=body, headers={"Content-Type": "text/calendar; charset=utf-8"}
    )


# -- staff --------------------------------------------------------------------


async def staff_page(request: web.Request) -> web.Response:
    await require_staff(request)
    lang = await request_language(request)
    async with request.app[SESSIONS]() as db:
        report = await build_report(db)
        recent = list(
            await db.execute(
                select(Booking, Office, Company)
                .join(Office)
                .join(Company, Company.id == Booking.company_id)
                .order_by(Booking.start_at.desc())
                .limit(100)
            )
        )
    return await page(
        request,
        "staff.html",
        {
            "report": report,
            "office_chart": bar_chart(
                report.by_office,
                title=pick(lang, "사무소별 상담", "Consultations per office"),
                lang=lang,
            ),
            "company_chart": bar_chart(
                report.by_company[:15],
                title=pick(lang, "기업별 상담", "Consultations per company"),
                lang=lang,
            ),
            "recent": recent,
            "statuses": list(BookingStatus),
        },
    )


async def outbox_page(request: web.Request) -> web.Response:
    await require_staff(request)
    async with request.app[SESSIONS]() as db:
        messages = list(
            await db.scalars(
                select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
            )
        )
    return await page(request, "outbox.html", {"messages": messages})


async def outbox_message(request: web.Request) -> web.Response:
    await require_staff(request)
    async with request.app[SESSIONS]() as db:
        message = await db.get(
            OutboxMessage, parse_id(request.match_info["message_id"])
        )
    if message is None:
        raise NotFound()
    parsed = message.parsed()
    body = parsed.get_body(preferencelist=("plain",))
    attachments = [
        (part.get_filename(), part.get_content_type())
        for part in parsed.iter_attachments()
    ]
    return await page(
        request,
        "outbox_message.html",
        {
            "message": message,
            "body": body.get_content() if body is not None else "",
            "attachments": attachments,
        },
    )


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/office", office_home, name="office")
    r.add_get("/office/settings", settings_page)
    r.add_post("/office/settings", office_settings_submit)
    r.add_post("/office/rules", rules_submit)
    r.add_post("/office/overrides", override_submit)
    r.add_post("/office/overrides/{override_id:\\d+}/delete", override_delete)
    r.add_post("/office/feed", feed_token_submit)
    r.add_get(
        "/consultations/feeds/{code}/{token:[A-Za-z0-9_-]{20,100}}.ics", office_feed
    )
    r.add_get("/staff/consultations", staff_page)
    r.add_get("/staff/outbox", outbox_page)
    r.add_get("/staff/outbox/{message_id:\\d+}", outbox_message)
