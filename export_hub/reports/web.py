"""Report pages: export results (page, CSV, XLSX) for staff and companies.

Staff see every company (and may pick one with ``?company_id=``); a company
sees its own figures only: asking for another company's answers 404, as if
it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from aiohttp import web
from aiohttp_session import get_session

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.picker import resolve_company
from export_hub.consultations.models import OutcomeKind
from export_hub.db import utcnow
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.labels import label as label_in
from export_hub.reports.attribution import (
    Attribution,
    attribution_csv,
    consultation_attribution,
)
from export_hub.reports.charts import ChartView, Series, chart
from export_hub.reports.dashboards import company_dashboard, staff_dashboard
from export_hub.reports.files import COLUMNS, results_csv, results_xlsx
from export_hub.reports.params import parse_results_params
from export_hub.reports.programme import ProgrammeReport, parse_year, programme_year
from export_hub.reports.results import GroupBy, Results, ResultsQuery, export_results
from export_hub.web.auth import require_staff, require_user
from export_hub.web.keys import SESSIONS, SETTINGS
from export_hub.web.render import render

READERS = (Role.ADMIN, Role.STAFF, Role.COMPANY)
GROUP_LABELS = {
    GroupBy.COMPANY: Text("기업별", "By company"),
    GroupBy.MARKETPLACE: Text("마켓별", "By marketplace"),
    GroupBy.COUNTRY: Text("배송 국가별", "By ship-to country"),
    GroupBy.PRODUCT: Text("제품별", "By product"),
    GroupBy.MONTH: Text("월별", "By month"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _company_scope(user: User, raw: str | None) -> int | None:
    """The company whose figures ``user`` asked for; 404 for another's."""
    if raw is not None and not raw.isdigit():
        raise ValidationFailed(
            {"company_id": Text("기업 번호는 숫자입니다.", "company_id is a number.")}
        )
    wanted = int(raw) if raw else None
    if user.is_staff:
        return wanted
    if wanted is not None and wanted != user.company_id:
        raise NotFound()
    return user.company_id


async def load_results(request: web.Request) -> Results:
    """Authorise, read the parameters and run the query (API, page and files)."""
    user = await require_user(request, *READERS)
    start, end, group = parse_results_params(request.query, utcnow().date())
    company_id = _company_scope(user, request.query.get("company_id"))
    async with request.app[SESSIONS]() as db:
        # Staff pick a company in the search box (name or BRN, any dashes).
        picked = request.query.get("company", "") if user.is_staff else ""
        chosen = await resolve_company(db, picked) if picked.strip() else None
        company_id = chosen.id if chosen is not None else company_id
        if company_id is not None and await db.get(Company, company_id) is None:
            raise NotFound()
        return await export_results(
            db,
            ResultsQuery(start=start, end=end, group_by=group, company_id=company_id),
        )


async def page_language(request: web.Request) -> str:
    session = await get_session(request)
    return "en" if session.get("lang") == "en" else "ko"


def _attachment(results: Results, ext: str) -> dict[str, str]:
    q = results.query
    name = f"export-results_{q.group_by.value}_{q.start}_{q.last_day}.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def results_chart(results: Results, lang: str) -> ChartView:
    """KRW sales per group: columns by month, bars for the other groups."""
    totals: dict[str, float] = {}
    labels: dict[str, str] = {}
    for row in results.rows:
        totals[row.key] = totals.get(row.key, 0.0) + float(row.sales_krw)
        labels[row.key] = row.label
    keys = list(totals)[:15]
    title = Text("원화 환산 매출", "Sales in KRW").get(lang)
    series = [Series(title, [totals[k] for k in keys])]
    desc = ", ".join(f"{labels[k]}: {totals[k]:,.0f} KRW" for k in keys) or "-"
    kind = "columns" if results.query.group_by is GroupBy.MONTH else "bars"
    return chart(
        kind, title=title, desc=desc, categories=[labels[k] for k in keys],
        series=series, unit=Text("원", "KRW").get(lang),
    )  # fmt: skip


async def results_page(request: web.Request) -> web.Response:
    results = await load_results(request)
    lang = await page_language(request)
    return await render(
        request,
        "reports/results.html",
        {
            "results": results,
            "groups": GROUP_LABELS,
            "columns": COLUMNS,
            "query_string": request.query_string,
            "company_text": request.query.get("company", "")[:100],
            "chart_view": results_chart(results, lang),
            "last_day": results.query.end.fromordinal(
                results.query.end.toordinal() - 1
            ),
        },
    )


async def results_csv_download(request: web.Request) -> web.Response:
    results = await load_results(request)
    return web.Response(
        text=results_csv(results),
        content_type="text/csv",
        charset="utf-8",
        headers=_attachment(results, "csv"),
    )


async def results_xlsx_download(request: web.Request) -> web.Response:
    results = await load_results(request)
    return web.Response(
        body=results_xlsx(results),
        content_type=XLSX,
        headers=_attachment(results, "xlsx"),
    )


async def load_attribution(
    request: web.Request, query: Mapping[str, str]
) -> Attribution:
    """Consultations held from ``from`` to ``to`` in ``query`` (default: the
    last twelve months) and what followed, per office and country (staff)."""
    await require_staff(request)
    now = utcnow()
    start, end, _ = parse_results_params(query, now.date())
    days = request.app[SETTINGS].consultations.attribution_days
    async with request.app[SESSIONS]() as db:
        return await consultation_attribution(db, start, end, now, days)


async def attribution_csv_download(request: web.Request) -> web.Response:
    """``GET /reports/consultations.csv``: deals and attributed sales."""
    result = await load_attribution(request, request.query)
    name = f"consultation-results_{result.start}_{result.end}.csv"
    return web.Response(
        text=attribution_csv(result),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/reports/consultations.csv", attribution_csv_download)
    r.add_get("/reports/export-results", results_page, name="export_results")
    r.add_get("/reports/export-results.csv", results_csv_download)
    r.add_get("/reports/export-results.xlsx", results_xlsx_download)
    r.add_get("/staff/reports/programme", programme_page, name="programme_report")


def _krw_by_key(results: Results) -> dict[str, tuple[str, float]]:
    out: dict[str, tuple[str, float]] = {}
    for row in results.rows:
        label, total = out.get(row.key, (row.label, 0.0))
        out[row.key] = (label, total + float(row.sales_krw))
    return out


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """``YYYY-MM`` of every month touching ``[start, end)``, in order."""
    months, day = [], start.replace(day=1)
    while day < end:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def monthly_chart(results: Results, title: Text, lang: str) -> ChartView:
    """KRW sales per month as columns over every month of the query's range
    (months without sales at 0, so the x axis is the period asked for)."""
    totals = _krw_by_key(results)
    months = months_between(results.query.start, results.query.end)
    values = [totals.get(m, (m, 0.0))[1] for m in months]
    return chart(
        "columns",
        title=title.get(lang),
        desc=", ".join(
            f"{m}: {v:,.0f} KRW" for m, v in zip(months, values, strict=True)
        )
        or "-",
        categories=months,
        series=[Series(SALES_KRW.get(lang), values)],
        unit=Text("원", "KRW").get(lang),
    )


def krw_chart(
    results: Results, kind: str, title: Text, lang: str, limit: int = 10
) -> ChartView:
    """KRW sales per group of ``results`` as one chart (top ``limit`` groups)."""
    totals = [
        (label_in(lang, "marketplace", key), value)
        for key, value in list(_krw_by_key(results).values())[:limit]
    ]
    name = title.get(lang)
    return chart(
        kind,
        title=name,
        desc=", ".join(f"{label}: {value:,.0f} KRW" for label, value in totals) or "-",
        categories=[label for label, _ in totals],
        series=[
            Series(Text("매출(원)", "Sales (KRW)").get(lang), [v for _, v in totals])
        ],
        unit=Text("원", "KRW").get(lang),
    )


SALES_KRW = Text("매출(원)", "Sales (KRW)")
COMPANIES = Text("기업 수", "Companies")
FUNNEL_LABELS = {
    "signed_up": Text("가입", "Signed up"),
    "approved": Text("제품 승인", "Product approved"),
    "connected": Text("마켓 연결", "Connected"),
    "live": Text("판매 중 리스팅", "Listing live"),
    "first_sale": Text("첫 판매", "First sale"),
}


async def staff_home(request: web.Request) -> web.Response:
    """The staff dashboard: KPIs, the funnel, sales charts and the to-do list."""
    now = utcnow()
    lang = await page_language(request)
    async with request.app[SESSIONS]() as db:
        board = await staff_dashboard(db, now.date(), now)
    attribution = await load_attribution(request, {})
    funnel = chart(
        "bars",
        title=Text("가입에서 첫 판매까지", "From sign-up to first sale").get(lang),
        desc=", ".join(f"{FUNNEL_LABELS[k].get(lang)}: {v}" for k, v in board.funnel),
        categories=[FUNNEL_LABELS[k].get(lang) for k, _ in board.funnel],
        series=[
            Series(Text("기업 수", "Companies").get(lang), [v for _, v in board.funnel])
        ],
        unit=Text("개사", "companies").get(lang),
    )
    charts = {
        "funnel": funnel,
        "monthly": monthly_chart(board.monthly,
                                 Text("월별 수출 매출", "Export sales by month"), lang),
        "countries": krw_chart(board.countries, "bars",
                               Text("상위 국가", "Top countries"), lang),
        "products": krw_chart(board.products, "bars",
                              Text("상위 제품", "Top products"), lang),
    }  # fmt: skip
    return await render(
        request,
        "dashboard/staff.html",
        {
            "board": board,
            "charts": charts,
            "funnel_labels": FUNNEL_LABELS,
            "attribution": attribution,
        },
    )


async def company_home(request: web.Request, user: User) -> web.Response:
    """A company's dashboard: its to-dos, sales, listings and outcomes."""
    lang = await page_language(request)
    if user.company_id is None:
        raise NotFound()
    async with request.app[SESSIONS]() as db:
        board = await company_dashboard(db, user.company_id, utcnow().date())
    charts = {
        "monthly": monthly_chart(board.monthly, Text("월별 매출", "Sales by month"),
                                 lang),
        "marketplaces": krw_chart(board.by_marketplace, "bars",
                                  Text("마켓별 매출", "Sales by marketplace"), lang),
    }  # fmt: skip
    return await render(
        request, "dashboard/company.html", {"board": board, "charts": charts}
    )


OUTCOME_LABELS = {
    OutcomeKind.NO_INTEREST: Text("관심 없음", "No interest"),
    OutcomeKind.FOLLOW_UP: Text("후속 상담", "Follow-up"),
    OutcomeKind.SAMPLE_REQUESTED: Text("샘플 요청", "Sample requested"),
    OutcomeKind.QUOTE_SENT: Text("견적 발송", "Quote sent"),
    OutcomeKind.DEAL: Text("계약", "Deal"),
}


def programme_charts(report: ProgrammeReport, lang: str) -> dict[str, ChartView]:
    """The programme report's charts, one per section."""
    onboarding = chart(
        "lines",
        title=Text(
            "월말 연결 기업과 리스팅", "Companies and listings at month end"
        ).get(lang),
        desc=", ".join(
            f"{row.day}: Amazon {row.companies_amazon}, eBay {row.companies_ebay}, "
            f"live {row.listings_live}, needs action {row.listings_needs_action}"
            for row in report.month_ends
        ),
        categories=[row.day.strftime("%Y-%m") for row in report.month_ends],
        series=[
            Series(label.get(lang), [row.value(name) for row in report.month_ends])
            for name, label in (
                ("companies_amazon", Text("아마존 연결 기업", "Companies on Amazon")),
                ("companies_ebay", Text("이베이 연결 기업", "Companies on eBay")),
                ("listings_live", Text("판매 중 리스팅", "Listings live")),
                ("listings_needs_action", Text("조치 필요", "Needing action")),
            )
        ],
        unit=Text("개", "count").get(lang),
    )
    outcomes = chart(
        "bars",
        title=Text("상담 결과", "Consultation outcomes").get(lang),
        desc=", ".join(
            f"{OUTCOME_LABELS[k].get(lang)}: {n}" for k, n in report.outcomes.items()
        ),
        categories=[OUTCOME_LABELS[k].get(lang) for k in report.outcomes],
        series=[
            Series(Text("상담 수", "Consultations").get(lang),
                   list(report.outcomes.values()))
        ],
        unit=Text("건", "consultations").get(lang),
    )  # fmt: skip
    return {
        "onboarding": onboarding,
        "months": monthly_chart(
            report.by_month, Text("월별 수출 매출", "Export sales by month"), lang
        ),
        "countries": krw_chart(
            report.by_country, "bars", Text("배송 국가별", "By ship-to country"), lang
        ),
        "marketplaces": krw_chart(
            report.by_marketplace, "bars", Text("마켓별", "By marketplace"), lang
        ),
        "outcomes": outcomes,
    }


async def programme_page(request: web.Request) -> web.Response:
    """``/staff/reports/programme?year=``: the year's figures, made to print."""
    await require_user(request, Role.ADMIN, Role.STAFF)
    now = utcnow()
    year = parse_year(request.query.get("year"), now.date())
    lang = await page_language(request)
    async with request.app[SESSIONS]() as db:
        report = await programme_year(db, year, now)
    return await render(
        request,
        "reports/programme.html",
        {
            "report": report,
            "charts": programme_charts(report, lang),
            "outcome_labels": OUTCOME_LABELS,
            "years": list(range(now.year, max(now.year - 5, 1999), -1)),
        },
    )
