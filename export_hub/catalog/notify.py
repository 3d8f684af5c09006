"""E-mail to a company when staff decide on one of its products.

Queued in the outbox (:mod:`export_hub.mail`) in the review's own transaction,
one message per active user of the company, in that user's language: the
company learns of an approval, or of what to change and why, without having
to watch the site.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import User
from export_hub.catalog.models import (
    Product,
    ProductRevision,
    ReviewState,
    RevisionState,
)
from export_hub.db import utcnow
from export_hub.errors import Text
from export_hub.mail import Mail, enqueue
from export_hub.settings import Settings

_SUBJECTS: dict[ReviewState, Text] = {
    ReviewState.APPROVED: Text(
        "[대전 수출 허브] 제품이 승인되었습니다: {name}",
        "[Export Hub] Your product was approved: {name}",
    ),
    ReviewState.CHANGES_REQUESTED: Text(
        "[대전 수출 허브] 제품 보완 요청: {name}",
        "[Export Hub] Changes requested for your product: {name}",
    ),
    ReviewState.REJECTED: Text(
        "[대전 수출 허브] 제품이 반려되었습니다: {name}",
        "[Export Hub] Your product was not accepted: {name}",
    ),
}
_NEXT: dict[ReviewState, Text] = {
    ReviewState.APPROVED: Text(
        "기관이 공동 브랜드로 아마존·이베이 등록을 진행합니다. "
        "진행 상황은 '내 리스팅'에서 볼 수 있습니다.",
        "The agency will list it on Amazon and eBay under the shared brand; "
        "follow it under 'My listings'.",
    ),
    ReviewState.CHANGES_REQUESTED: Text(
        "아래 사유를 보고 제품 정보를 고친 뒤 다시 심사를 요청해 주세요.",
        "Please change the product as the reason below says and submit it again.",
    ),
    ReviewState.REJECTED: Text(
        "궁금한 점은 기관 수출지원팀에 문의해 주세요.",
        "Please contact the agency's export team with any questions.",
    ),
}


async def notify_review(db: AsyncSession, settings: Settings, product: Product) -> int:
    """Queue the review outcome of ``product`` for its company's users.

    Call it after :func:`~export_hub.catalog.service.review_product` in the
    same transaction. Returns how many e-mails were queued (0 for a state
    that is not a review outcome).
    """
    subject = _SUBJECTS.get(product.state)
    if subject is None:
        return 0
    return await _mail_company(
        db, settings, product, subject, _NEXT[product.state], product.review_reason
    )


_REVISION_SUBJECTS: dict[RevisionState, Text] = {
    RevisionState.APPROVED: Text(
        "[대전 수출 허브] 제품 정보 변경이 승인되었습니다: {name}",
        "[Export Hub] Your product change was approved: {name}",
    ),
    RevisionState.REJECTED: Text(
        "[대전 수출 허브] 제품 정보 변경이 반려되었습니다: {name}",
        "[Export Hub] Your product change was not accepted: {name}",
    ),
}
_REVISION_NEXT: dict[RevisionState, Text] = {
    RevisionState.APPROVED: Text(
        "새 내용이 다음 동기화 때 아마존·이베이에 반영됩니다.",
        "The new content goes to Amazon and eBay at the next sync.",
    ),
    RevisionState.REJECTED: Text(
        "승인된 기존 내용이 그대로 판매됩니다."
        " 아래 사유를 보고 다시 수정할 수 있습니다.",
        "The approved content stays on sale. You may edit again as the reason says.",
    ),
}


async def notify_revision(
    db: AsyncSession, settings: Settings, product: Product, revision: ProductRevision
) -> int:
    """Queue the staff's decision on ``revision`` for the company's users, in
    the decision's transaction. Returns how many e-mails were queued."""
    subject = _REVISION_SUBJECTS.get(revision.state)
    if subject is None:
        return 0
    return await _mail_company(
        db, settings, product, subject, _REVISION_NEXT[revision.state], revision.reason
    )


async def _mail_company(
    db: AsyncSession,
    settings: Settings,
    product: Product,
    subject: Text,
    next_step: Text,
    reason: str,
) -> int:
    """One e-mail about ``product`` to each active user of its company, in the
    user's language; returns how many were queued."""
    users = await db.scalars(
        select(User).where(User.company_id == product.company_id, User.is_active)
    )
    link = f"{settings.web.public_base_url}/company/products/{product.id}"
    now = utcnow()
    queued = 0
    for user in users:
        lang = "en" if user.language == "en" else "ko"
        name = product.name_en if lang == "en" and product.name_en else product.name_ko
        lines = [
            subject.get(lang).format(name=name).split("] ", 1)[1],
            "",
            f"SKU: {product.sku}",
            next_step.get(lang),
        ]
        if reason:
            label = "Reason" if lang == "en" else "사유"
            lines += ["", f"{label}: {reason}"]
        lines += ["", link]
        mail = Mail(
            to=user.email,
            subject=subject.get(lang).format(name=name),
            body="\n".join(lines),
            language=lang,
            related=f"product:{product.id}",
        )
        if enqueue(db, settings.mail, mail, now) is not None:
            queued += 1
    return queued
