"""Changing a password and resetting a forgotten one by an e-mailed link.

A reset token comes from the OS CSPRNG, is stored only as its SHA-256,
expires after ``web.password_reset_ttl_seconds`` and works once: it is spent
by one conditional UPDATE, so two requests racing with the same link cannot
both succeed. Ending sessions is the caller's part (the web layer owns them).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import PasswordResetToken, User
from export_hub.accounts.service import hash_off_loop
from export_hub.cpu import CpuWork
from export_hub.errors import FieldErrors, RequestError, Text
from export_hub.i18n import pick
from export_hub.mail import Mail, enqueue
from export_hub.security import (
    constant_time_equals,
    new_token,
    sha256_hex,
    verify_password,
)
from export_hub.settings import Settings
from export_hub.validation import validate_password


class ResetLinkInvalid(RequestError):
    """The link is unknown, expired or already used (one answer for all)."""

    status = 400
    code = "reset_link_invalid"

    def __init__(self) -> None:
        super().__init__(
            Text(
                "비밀번호 재설정 링크가 올바르지 않거나 만료되었습니다. "
                "다시 요청해 주세요.",
                "This password reset link is invalid or has expired. "
                "Please ask for a new one.",
            )
        )


def check_new_password(new: str, confirm: str, errors: FieldErrors) -> None:
    validate_password(new, errors, "new_password")
    if new != confirm:
        errors.add(
            "new_password_confirm",
            "새 비밀번호가 일치하지 않습니다.",
            "The new passwords do not match.",
        )


async def change_password(
    db: AsyncSession,
    cpu: CpuWork,
    user: User,
    *,
    current: str,
    new: str,
    confirm: str,
) -> None:
    """Check ``current`` and store ``new``; raises ``ValidationFailed``."""
    errors = FieldErrors()
    if not await cpu.run(verify_password, user.password_hash, current):
        errors.add(
            "current_password",
            "현재 비밀번호가 올바르지 않습니다.",
            "The current password is wrong.",
        )
    check_new_password(new, confirm, errors)
    errors.raise_if_any()
    user.password_hash = await hash_off_loop(new, cpu)
    await db.execute(
        update(User).where(User.id == user.id).values(password_hash=user.password_hash)
    )


async def request_reset(
    db: AsyncSession, settings: Settings, email: str, now: dt.datetime
) -> bool:
    """E-mail a reset link to an active user with this address (in the user's
    language, through the outbox). Returns whether one was sent; callers must
    not tell the visitor, so the page reveals no address."""
    email = email.strip().lower()
    user = await db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.is_active:
        return False
    token = new_token()
    ttl = dt.timedelta(seconds=settings.web.password_reset_ttl_seconds)
    db.add(
        PasswordResetToken(
            token_sha256=sha256_hex(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    link = f"{settings.web.public_base_url.rstrip('/')}/password/reset/{token}"
    minutes = int(ttl.total_seconds() // 60)
    lang = user.language
    enqueue(
        db,
        settings.mail,
        Mail(
            to=user.email,
            subject=pick(
                lang, "Export Hub 비밀번호 재설정", "Reset your Export Hub password"
            ),
            body=pick(
                lang,
                f"아래 링크에서 새 비밀번호를 정해 주세요 ({minutes}분 동안, "
                f"한 번만 쓸 수 있습니다):\n\n{link}\n\n"
                "요청하지 않으셨다면 이 메일을 무시하세요.",
                f"Choose a new password at this link (valid for {minutes} min, "
                f"once):\n\n{link}\n\n"
                "If you did not ask for this, ignore this e-mail.",
            ),
            language=lang,
            related=f"password-reset:{user.id}",
        ),
        now,
    )
    return True


async def reset_token_user(
    db: AsyncSession, token: str, now: dt.datetime
) -> PasswordResetToken:
    """The unspent, unexpired reset record for ``token``, or raise
    :class:`ResetLinkInvalid`."""
    digest = sha256_hex(token)
    row = await db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_sha256 == digest)
    )
    if (
        row is None
        or not constant_time_equals(row.token_sha256, digest)
        or row.used_at is not None
        or row.expires_at <= now
    ):
        raise ResetLinkInvalid()
    return row


async def reset_password(
    db: AsyncSession,
    cpu: CpuWork,
    token: str,
    *,
    new: str,
    confirm: str,
    now: dt.datetime,
) -> int:
    """Spend ``token`` and set the new password; returns the user's id.

    Raises ``ValidationFailed`` (token kept) or :class:`ResetLinkInvalid`.
    """
    row = await reset_token_user(db, token, now)
    errors = FieldErrors()
    check_new_password(new, confirm, errors)
    errors.raise_if_any()
    password_hash = await hash_off_loop(new, cpu)
    spent = await db.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.id == row.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if not getattr(spent, "rowcount", 0):
        raise ResetLinkInvalid()
    await db.execute(
        update(User).where(User.id == row.user_id).values(password_hash=password_hash)
    )
    return row.user_id
