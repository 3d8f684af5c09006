"""E-mails to a company about its orders, each in the user's language.

One mail per active user of the company, queued in the caller's transaction
(:func:`export_hub.mail.enqueue`) together with an :class:`OrderNotice` whose
UNIQUE (order, kind) makes each notice go out at most once, whichever job or
worker gets there first. Times are Korean time (Asia/Seoul). The mails carry
no buyer data: the country, the items and the link to the order page.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import User
from export_hub.errors import Text
from export_hub.mail import Mail, enqueue
from export_hub.orders.models import Order, OrderLine, OrderNotice
from export_hub.settings import Settings

SEOUL = ZoneInfo("Asia/Seoul")
MARKETPLACE_NAMES = {"amazon": "Amazon", "ebay": "eBay"}

_SUBJECTS = {
    "new": Text(
        "[대전 수출 허브] 새 주문: {market} {order_id}",
        "[Export Hub] New order: {market} {order_id}",
    ),
    "ship_by": Text(
        "[대전 수출 허브] 발송 기한 임박: {market} {order_id}",
        "[Export Hub] Ship-by date close: {market} {order_id}",
    ),
}
_LEADS = {
    "new": Text(
        "새 주문이 들어왔습니다. 발송 기한 안에 보내고 운송장 번호를 입력해 주세요.",
        "A new order came in. Please ship it by the ship-by date and enter the "
        "tracking number.",
    ),
    "ship_by": Text(
        "발송 기한이 다가온 주문이 아직 발송되지 않았습니다. 늦은 발송은 "
        "마켓플레이스 판매자 평가에 불리합니다.",
        "An order close to its ship-by date has not shipped yet. Late shipments "
        "hurt the seller's standing on the marketplace.",
    ),
}


def seoul_label(instant: dt.datetime | None) -> str:
    """``2026-12-03 16:00 KST`` (Korean time), or ``-``."""
    if instant is None:
        return "-"
    return f"{instant.astimezone(SEOUL):%Y-%m-%d %H:%M} KST"


def compose(
    kind: str,
    order: Order,
    lines: list[OrderLine],
    lang: str,
    settings: Settings,
) -> tuple[str, str]:
    """(subject, body) of the ``kind`` mail about ``order`` in ``lang``."""
    en = lang == "en"
    market = MARKETPLACE_NAMES.get(order.marketplace, order.marketplace)
    subject = (
        _SUBJECTS[kind]
        .get(lang)
        .format(market=market, order_id=order.marketplace_order_id)
    )
    body = [
        _LEADS[kind].get(lang),
        "",
        f"{'Order' if en else '주문'}: {market} {order.marketplace_order_id}",
        f"{'Ship by (Korean time)' if en else '발송 기한(한국 시간)'}: "
        f"{seoul_label(order.ship_by)}",
        f"{'Ship to' if en else '배송 국가'}: {order.ship_to_country or '-'}",
        f"{'Items' if en else '품목'}:",
    ]
    for line in lines:
        sku = line.sku or "-"
        body.append(f"  - {sku} × {line.quantity} {line.title}".rstrip())
    base = settings.web.public_base_url.rstrip("/")
    body += ["", f"{base}/company/orders/{order.id}"]
    return subject, "\n".join(body) + "\n"


async def notify_order(
    db: AsyncSession,
    settings: Settings,
    order: Order,
    lines: list[OrderLine],
    kind: str,
    now: dt.datetime,
) -> int:
    """Queue the ``kind`` (``new`` / ``ship_by``) mail about ``order`` for the
    company's active users, once: returns 0 if it was sent before. Raises
    ``IntegrityError`` at flush when another transaction sends it at the
    same moment (the caller rolls back, nothing is sent twice)."""
    sent = await db.scalar(
        select(OrderNotice.id).where(
            OrderNotice.order_id == order.id, OrderNotice.kind == kind
        )
    )
    if sent is not None:
        return 0
    db.add(OrderNotice(order_id=order.id, kind=kind, sent_at=now))
    await db.flush()
    users = await db.scalars(
        select(User)
        .where(User.company_id == order.company_id, User.is_active)
        .order_by(User.id)
    )
    queued = 0
    for user in users:
        lang = "en" if user.language == "en" else "ko"
        subject, body = compose(kind, order, lines, lang, settings)
        mail = Mail(
            to=user.email,
            subject=subject,
            body=body,
            language=lang,
            related=f"order:{order.id}",
        )
        if enqueue(db, settings.mail, mail, now) is not None:
            queued += 1
    return queued
