"""Who holds a seller account: one company at a time.

A seller account (an Amazon selling partner id, an eBay user) connected to one
company cannot be connected to another: two companies sharing one would list
into each other's catalogue. :func:`~export_hub.marketplaces.service.save_grant`
refuses such a grant with :class:`SellerAccountTaken`; the web layer records the
refusal for staff (:func:`record_refused_grant`, an audit event the staff
onboarding page lists) and e-mails staff (:func:`mail_staff`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.models import AuditEvent
from export_hub.db import utcnow
from export_hub.errors import Text
from export_hub.mail import Mail, enqueue
from export_hub.marketplaces.adapters import OnboardingError
from export_hub.marketplaces.models import SellerAccount
from export_hub.settings import MailSettings

REFUSED = "seller_account.refused_taken"


class SellerAccountTaken(OnboardingError):
    """The seller account of a grant is connected to another company.

    A seller account belongs to one company: two companies sharing one would
    list into each other's catalogue. ``holder_company_id`` is for staff only;
    the message names no other company.
    """

    code = "seller_account_taken"

    def __init__(self, marketplace: str, seller_id: str, holder_company_id: int):
        super().__init__(
            Text(
                f"이 판매자 계정({seller_id})은 이미 다른 기업에 연결되어 있어 연결하지"
                " 않았습니다. 귀사의 판매자 계정으로 로그인해 다시 연결해 주세요."
                " 담당 직원에게도 알렸습니다.",
                f"This seller account ({seller_id}) is already connected to another"
                " company, so it was not connected. Please sign in with your own"
                " company's seller account and connect again. Staff have been told.",
            )
        )
        self.marketplace = marketplace
        self.seller_id = seller_id
        self.holder_company_id = holder_company_id


async def holder_of(
    db: AsyncSession, marketplace: str, seller_id: str, *, besides: int
) -> SellerAccount | None:
    """Another company's connected account for ``seller_id`` (a disconnected
    one, without tokens, no longer holds it)."""
    found: SellerAccount | None = await db.scalar(
        select(SellerAccount)
        .where(
            SellerAccount.marketplace == marketplace,
            SellerAccount.seller_id == seller_id,
            SellerAccount.company_id != besides,
            SellerAccount.refresh_token_encrypted.is_not(None),
        )
        .limit(1)
    )
    return found


def record_refused_grant(
    db: AsyncSession,
    refused: SellerAccountTaken,
    *,
    company_id: int,
    user_id: int | None,
    marketplace_id: str,
    now: dt.datetime | None = None,
) -> None:
    """The audit event staff see for a refused grant (the caller's transaction)."""
    db.add(
        AuditEvent(
            at=now or utcnow(),
            actor_user_id=user_id,
            subject_type="company",
            subject_id=company_id,
            action=REFUSED,
            to_state="refused",
            details={
                "marketplace": refused.marketplace,
                "marketplace_id": marketplace_id,
                "seller_id": refused.seller_id,
                "holder_company_id": refused.holder_company_id,
            },
        )
    )


async def refused_grants(
    db: AsyncSession, *, company_id: int | None = None, limit: int = 50
) -> list[AuditEvent]:
    """The latest refused grants (newest first), of one company or all, for
    the staff pages."""
    query = select(AuditEvent).where(AuditEvent.action == REFUSED)
    if company_id is not None:
        query = query.where(
            AuditEvent.subject_type == "company", AuditEvent.subject_id == company_id
        )
    rows = await db.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    )
    return list(rows)


async def mail_staff(
    db: AsyncSession,
    settings: MailSettings,
    refused: SellerAccountTaken,
    *,
    company: Company,
    link: str,
    now: dt.datetime | None = None,
) -> int:
    """Queue an e-mail about ``refused`` to every active staff member, each in
    their language. Returns how many were queued."""
    now = now or utcnow()
    holder = await db.get(Company, refused.holder_company_id)
    holder_name = (
        holder.name_ko if holder is not None else str(refused.holder_company_id)
    )
    staff = await db.scalars(
        select(User).where(User.role.in_((Role.STAFF, Role.ADMIN)), User.is_active)
    )
    queued = 0
    for user in staff:
        lang = "en" if user.language == "en" else "ko"
        text = _staff_text(refused, company.name_ko, holder_name)
        mail = Mail(
            to=user.email,
            subject=text[0].get(lang),
            body=f"{text[1].get(lang)}\n\n{link}",
            language=lang,
            related=f"company:{company.id}",
        )
        if enqueue(db, settings, mail, now) is not None:
            queued += 1
    return queued


def _staff_text(
    refused: SellerAccountTaken, company: str, holder: str
) -> tuple[Text, Text]:
    market = refused.marketplace
    subject = Text(
        f"[Export Hub] 판매자 계정 연결 거부: {company}",
        f"[Export Hub] Seller account connection refused: {company}",
    )
    body = Text(
        f"{company}이(가) {market} 판매자 계정 {refused.seller_id}을(를) 연결하려"
        f" 했으나, 이 계정은 이미 {holder}에 연결되어 있어 거부되었습니다."
        " 두 기업에 확인해 주세요.",
        f"{company} tried to connect {market} seller account {refused.seller_id},"
        f" which is already connected to {holder}; the connection was refused."
        " Please check with both companies.",
    )
    return subject, body
