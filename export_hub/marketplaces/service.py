"""Seller onboarding, marketplace-neutral: consent state, grants, status, checklist.

Query functions take a session and never commit; the handler owns the
transaction. Secrets are encrypted with :class:`~export_hub.security.SecretBox`
before they reach a row and decrypted only to make a call.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.catalog.models import AuditEvent
from export_hub.db import utcnow
from export_hub.errors import AuthorizationError, MarketplaceError, Text
from export_hub.marketplaces.adapters import (
    AccountRef,
    ChecklistItem,
    ConnectionCheck,
    Grant,
    OAuthAdapter,
    OnboardingError,
)
from export_hub.marketplaces.models import OAuthState, SellerAccount
from export_hub.marketplaces.ownership import SellerAccountTaken, holder_of
from export_hub.security import SecretBox, constant_time_equals, new_token, sha256_hex

#: A consent round trip must come back within this time.
STATE_TTL = dt.timedelta(minutes=10)


class ConnectionStatus(enum.StrEnum):
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    #: Still works, but the re-authorization deadline is near.
    REAUTHORIZE_SOON = "reauthorize_soon"
    #: Past the deadline (Amazon: 365 days) or refused by the marketplace.
    EXPIRED = "expired"
    DISCONNECTED = "disconnected"


STATUS_LABELS: dict[ConnectionStatus, Text] = {
    ConnectionStatus.NOT_CONNECTED: Text("연결 안 됨", "Not connected"),
    ConnectionStatus.CONNECTED: Text("연결됨", "Connected"),
    ConnectionStatus.REAUTHORIZE_SOON: Text(
        "재승인 필요 (기한 임박)", "Needs re-authorization soon"
    ),
    ConnectionStatus.EXPIRED: Text(
        "만료됨: 다시 연결해 주세요", "Expired: please reconnect"
    ),
    ConnectionStatus.DISCONNECTED: Text("연결 해제됨", "Disconnected"),
}

_STATE_INVALID = Text(
    "연결 요청이 만료되었거나 올바르지 않습니다. 다시 시도해 주세요.",
    "The connection request expired or is not valid. Please try again.",
)


async def start_authorization(
    db: AsyncSession,
    adapter: OAuthAdapter,
    *,
    company_id: int,
    user_id: int,
    marketplace_id: str,
    redirect_uri: str,
    now: dt.datetime | None = None,
) -> str:
    """Create a single-use ``state`` (only its SHA-256 is stored) and return the
    consent URL to redirect the company to."""
    if marketplace_id not in adapter.marketplace_ids:
        raise OnboardingError(
            Text("지원하지 않는 마켓플레이스입니다.", "Unsupported marketplace.")
        )
    now = now or utcnow()
    state = new_token()
    db.add(
        OAuthState(
            state_sha256=sha256_hex(state),
            company_id=company_id,
            user_id=user_id,
            marketplace=adapter.marketplace,
            marketplace_id=marketplace_id,
            created_at=now,
            expires_at=now + STATE_TTL,
        )
    )
    return adapter.consent_url(
        state=state, marketplace_id=marketplace_id, redirect_uri=redirect_uri
    )


async def consume_state(
    db: AsyncSession,
    *,
    marketplace: str,
    state: str,
    company_id: int,
    now: dt.datetime | None = None,
) -> OAuthState:
    """Check ``state`` (unknown, used, expired, other company or marketplace are
    all refused alike) and mark it used. Raises :class:`OnboardingError`."""
    now = now or utcnow()
    digest = sha256_hex(state)
    row = await db.scalar(
        select(OAuthState).where(OAuthState.state_sha256 == digest).with_for_update()
    )
    if (
        row is None
        or not constant_time_equals(row.state_sha256, digest)
        or row.used_at is not None
        or row.expires_at <= now
        or row.company_id != company_id
        or row.marketplace != marketplace
    ):
        raise OnboardingError(_STATE_INVALID)
    row.used_at = now
    return row


async def account_for(
    db: AsyncSession, company_id: int, marketplace: str, marketplace_id: str
) -> SellerAccount | None:
    return await db.scalar(
        select(SellerAccount).where(
            SellerAccount.company_id == company_id,
            SellerAccount.marketplace == marketplace,
            SellerAccount.marketplace_id == marketplace_id,
        )
    )


async def accounts_of(db: AsyncSession, company_id: int) -> list[SellerAccount]:
    rows = await db.scalars(
        select(SellerAccount)
        .where(SellerAccount.company_id == company_id)
        .order_by(SellerAccount.marketplace, SellerAccount.marketplace_id)
    )
    return list(rows)


async def save_grant(
    db: AsyncSession,
    box: SecretBox,
    *,
    company_id: int,
    user_id: int | None,
    marketplace: str,
    marketplace_id: str,
    grant: Grant,
    now: dt.datetime | None = None,
) -> SellerAccount:
    """Store (or replace) the company's account with the grant, encrypted.

    Raises :class:`SellerAccountTaken` (nothing stored) when another company
    has this seller account connected."""
    now = now or utcnow()
    holder = await holder_of(db, marketplace, grant.seller_id, besides=company_id)
    if holder is not None:
        raise SellerAccountTaken(marketplace, grant.seller_id, holder.company_id)
    account = await account_for(db, company_id, marketplace, marketplace_id)
    if account is None:
        account = SellerAccount(
            company_id=company_id,
            marketplace=marketplace,
            marketplace_id=marketplace_id,
            approved_brands=[],
            setup={},
        )
        db.add(account)
    account.region = grant.region
    account.seller_id = grant.seller_id
    account.refresh_token_encrypted = box.encrypt(grant.refresh_token)
    account.refresh_token_expires_at = grant.refresh_token_expires_at
    account.access_token_encrypted = (
        box.encrypt(grant.access_token) if grant.access_token else None
    )
    account.access_token_expires_at = grant.access_token_expires_at
    account.status = "connected"
    account.connected_at = now
    account.disconnected_at = None
    account.last_check_at = None
    account.last_check_ok = None
    account.last_check_message = ""
    await db.flush()
    _audit(db, account, user_id, "seller_account.connected", now)
    return account


def disconnect(
    db: AsyncSession,
    account: SellerAccount,
    *,
    user_id: int | None,
    now: dt.datetime | None = None,
) -> None:
    """Forget the tokens; the row stays for history. Idempotent."""
    now = now or utcnow()
    account.refresh_token_encrypted = None
    account.access_token_encrypted = None
    account.access_token_expires_at = None
    account.status = "disconnected"
    account.disconnected_at = now
    _audit(db, account, user_id, "seller_account.disconnected", now)


def connection_status(
    account: SellerAccount | None,
    adapter: OAuthAdapter,
    now: dt.datetime | None = None,
) -> ConnectionStatus:
    """What the page shows for ``account`` (``None``: never connected)."""
    if account is None:
        return ConnectionStatus.NOT_CONNECTED
    if account.status == "disconnected" or account.refresh_token_encrypted is None:
        return ConnectionStatus.DISCONNECTED
    if account.status == "revoked":
        return ConnectionStatus.EXPIRED
    now = now or utcnow()
    expires = account.refresh_token_expires_at
    if expires is not None:
        if expires <= now:
            return ConnectionStatus.EXPIRED
        if expires - adapter.reauthorize_notice <= now:
            return ConnectionStatus.REAUTHORIZE_SOON
    return ConnectionStatus.CONNECTED


def account_ref(account: SellerAccount) -> AccountRef:
    return AccountRef(
        seller_id=account.seller_id,
        marketplace_id=account.marketplace_id,
        region=account.region,
    )


async def run_connection_check(
    db: AsyncSession,
    box: SecretBox,
    adapter: OAuthAdapter,
    account: SellerAccount,
    now: dt.datetime | None = None,
) -> ConnectionCheck | None:
    """Make the adapter's test call and record its outcome on ``account``.

    Returns the check, or ``None`` when it failed (the message is recorded). An
    ``AuthorizationError`` marks the account revoked.
    """
    if account.refresh_token_encrypted is None:
        raise OnboardingError(
            Text("먼저 계정을 연결해 주세요.", "Please connect the account first.")
        )
    now = now or utcnow()
    account.last_check_at = now
    try:
        check = await adapter.check_connection(
            account_ref(account), box.decrypt(account.refresh_token_encrypted)
        )
    except AuthorizationError as exc:
        account.status = "revoked"
        account.last_check_ok = False
        account.last_check_message = _failure_text(exc)
        return None
    except MarketplaceError as exc:
        account.last_check_ok = False
        account.last_check_message = _failure_text(exc)
        return None
    account.last_check_ok = True
    account.last_check_message = str(check.message)
    if check.approved_brands is not None:
        account.approved_brands = list(check.approved_brands)
    if check.setup:
        account.setup = {**(account.setup or {}), **check.setup}
    return check


def _failure_text(exc: MarketplaceError) -> str:
    kind = (
        Text("권한이 취소되었거나 만료되었습니다", "Authorization revoked or expired")
        if isinstance(exc, AuthorizationError)
        else Text("테스트 호출 실패", "Test call failed")
    )
    reference = f" (request id {exc.request_id})" if exc.request_id else ""
    return f"{kind}: {exc.code or exc.status or exc.operation}{reference}"


@dataclass(frozen=True)
class Onboarding:
    """One company's state on one marketplace, for the page and for staff."""

    adapter: OAuthAdapter
    marketplace_id: str
    account: SellerAccount | None
    status: ConnectionStatus
    checklist: Sequence[ChecklistItem]

    @property
    def status_label(self) -> Text:
        return STATUS_LABELS[self.status]

    @property
    def complete(self) -> bool:
        return all(item.ok for item in self.checklist)


async def onboarding_for(
    db: AsyncSession,
    adapter: OAuthAdapter,
    company_id: int,
    marketplace_id: str | None = None,
    now: dt.datetime | None = None,
) -> Onboarding:
    """Status and checklist of ``company_id`` on one marketplace."""
    marketplace_id = marketplace_id or adapter.default_marketplace_id
    account = await account_for(db, company_id, adapter.marketplace, marketplace_id)
    status = connection_status(account, adapter, now)
    usable = status in (ConnectionStatus.CONNECTED, ConnectionStatus.REAUTHORIZE_SOON)
    items = [
        ChecklistItem(
            "connected",
            Text("판매자 계정 연결", "Seller account connected"),
            usable,
            STATUS_LABELS[status],
        ),
        ChecklistItem(
            "test_call",
            Text("테스트 호출 성공", "Test call succeeded"),
            (account.last_check_ok if account is not None and usable else None),
            Text(account.last_check_message, account.last_check_message)
            if account is not None and account.last_check_message
            else None,
        ),
    ]
    items.extend(await adapter.extra_checklist(db, company_id, account))
    return Onboarding(adapter, marketplace_id, account, status, items)


async def rotate_secrets(db: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt every stored secret under the first configured key.

    Returns how many values were rewritten. Raises ``ValueError`` if a value
    cannot be decrypted with any configured key (nothing is changed then, as
    the caller's transaction rolls back).
    """
    count = 0
    for account in await db.scalars(select(SellerAccount)):
        for column in ("refresh_token_encrypted", "access_token_encrypted"):
            value = getattr(account, column)
            if value:
                setattr(account, column, box.rotate(value))
                count += 1
    return count


def _audit(
    db: AsyncSession,
    account: SellerAccount,
    user_id: int | None,
    action: str,
    now: dt.datetime,
) -> None:
    db.add(
        AuditEvent(
            at=now,
            actor_user_id=user_id,
            subject_type="seller_account",
            subject_id=account.id,
            action=action,
            to_state=account.status,
            details={
                "marketplace": account.marketplace,
                "marketplace_id": account.marketplace_id,
                "seller_id": account.seller_id,
            },
        )
    )
