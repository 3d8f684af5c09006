"""Account operations: log-in with throttling, user creation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company, LoginThrottle, Role, User
from export_hub.db import utcnow
from export_hub.errors import Conflict, FieldErrors, RequestError, Text
from export_hub.security import DUMMY_PASSWORD_HASH, hash_password, verify_password
from export_hub.validation import validate_email, validate_password


class LoginLocked(RequestError):
    status = 429
    code = "login_locked"


async def authenticate(
    db: AsyncSession,
    email: str,
    password: str,
    *,
    max_failures: int,
    lockout_seconds: int,
) -> User | None:
    """The user whose credentials these are, or ``None``.

    After ``max_failures`` failures in a row the address is locked for
    ``lockout_seconds`` (raises :class:`LoginLocked`), whether or not the
    address exists, so the lock reveals nothing.
    """
    email = email.strip().lower()
    throttle = await db.scalar(
        select(LoginThrottle).where(LoginThrottle.email == email)
    )
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise _locked_error(throttle.locked_until - now)
    user = await db.scalar(select(User).where(func.lower(User.email) == email))
    ok = verify_password(user.password_hash if user else DUMMY_PASSWORD_HASH, password)
    if ok and user is not None and user.is_active:
        if throttle is not None:
            throttle.failures = 0
            throttle.locked_until = None
        user.last_login_at = now
        return user
    if throttle is None:
        throttle = LoginThrottle(email=email, failures=0)
        db.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= max_failures:
        throttle.locked_until = now + dt.timedelta(seconds=lockout_seconds)
        throttle.failures = 0
    return None


def _locked_error(remaining: dt.timedelta) -> LoginLocked:
    minutes = max(1, int(remaining.total_seconds() // 60) + 1)
    return LoginLocked(
        Text(
            f"로그인 시도가 너무 많습니다. {minutes}분 뒤에 다시 시도해 주세요.",
            f"Too many log-in attempts. Try again in {minutes} min.",
        )
    )


async def create_user(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    name: str = "",
    company: Company | None = None,
    office_code: str | None = None,
    language: str = "ko",
) -> User:
    """Validate and add a user. Raises ``ValidationFailed`` or ``Conflict``."""
    errors = FieldErrors()
    email = validate_email(email, errors)
    validate_password(password, errors)
    if role is Role.COMPANY and company is None:
        errors.add(
            "company",
            "회사 사용자는 회사가 필요합니다.",
            "A company user needs a company.",
        )
    if role is Role.OFFICE and not office_code:
        errors.add(
            "office_code", "해외사무소를 지정해 주세요.", "Name the overseas office."
        )
    errors.raise_if_any()
    exists = await db.scalar(select(User.id).where(func.lower(User.email) == email))
    if exists is not None:
        raise Conflict(
            Text(
                "이미 가입된 이메일입니다.",
                "This e-mail address is already registered.",
            ),
            fields={"email": Text("이미 가입된 이메일입니다.", "Already registered.")},
        )
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        name=name,
        company=company,
        office_code=office_code,
        language=language,
    )
    db.add(user)
    await db.flush()
    return user
