"""Account operations: log-in with throttling, user creation."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts import throttle
from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.throttle import ThrottleRule
from export_hub.cpu import CpuWork
from export_hub.db import transaction, utcnow
from export_hub.errors import Conflict, FieldErrors, NotFound, RequestError, Text
from export_hub.security import DUMMY_PASSWORD_HASH, hash_password, verify_password
from export_hub.settings import WebSettings
from export_hub.validation import validate_email, validate_password


class LoginLocked(RequestError):
    status = 429
    code = "login_locked"


@dataclass(frozen=True)
class LoginPolicy:
    """How failed log-ins are throttled (see :mod:`export_hub.accounts.throttle`)."""

    account: ThrottleRule
    address: ThrottleRule

    @classmethod
    def from_settings(cls, web: WebSettings) -> LoginPolicy:
        def rule(max_failures: int) -> ThrottleRule:
            return ThrottleRule(
                max_failures=max_failures,
                delay=dt.timedelta(seconds=web.login_delay_seconds),
                max_delay=dt.timedelta(seconds=web.login_lockout_seconds),
                forget=dt.timedelta(seconds=web.login_forget_seconds),
            )

        return cls(
            account=rule(web.login_max_failures),
            address=rule(web.login_max_failures_per_address),
        )


async def authenticate(
    sessions: async_sessionmaker[AsyncSession],
    cpu: CpuWork,
    email: str,
    password: str,
    *,
    address: str,
    policy: LoginPolicy,
) -> User | None:
    """The user whose credentials these are, or ``None``.

    The attempt is counted (committed) before the password is checked, for
    the e-mail from ``address`` and for ``address`` alone; while either waits,
    raises :class:`LoginLocked` without checking anything, whether or not the
    e-mail exists, so the lock reveals nothing. The hash is checked off the
    event loop through ``cpu``.
    """
    email = email.strip().lower()
    own_key = throttle.account_key(email, address)
    keys = [own_key, throttle.address_key(address)]
    now = utcnow()
    async with transaction(sessions) as db:
        counted = await throttle.count_attempt(db, keys[0], policy.account, now)
        counted = counted and await throttle.count_attempt(
            db, keys[1], policy.address, now
        )
        if not counted:
            until = await throttle.locked_until(db, keys)
            # Raised inside the transaction: neither count is kept.
            raise _locked_error((until or now) - now)
        user = await db.scalar(select(User).where(func.lower(User.email) == email))
    stored = user.password_hash if user else DUMMY_PASSWORD_HASH
    ok = await cpu.run(verify_password, stored, password)
    if not (ok and user is not None and user.is_active):
        return None
    async with transaction(sessions) as db:
        await throttle.clear(db, own_key)
        await throttle.forgive(db, keys[1], policy.address)
        await db.execute(
            update(User).where(User.id == user.id).values(last_login_at=utcnow())
        )
    return user


def _locked_error(remaining: dt.timedelta) -> LoginLocked:
    seconds = max(1, int(remaining.total_seconds()) + 1)
    minutes = max(1, -(-seconds // 60))
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
    cpu: CpuWork | None = None,
    time_zone: str = "Asia/Seoul",
) -> User:
    """Validate and add a user. Raises ``ValidationFailed`` or ``Conflict``.

    ``time_zone`` is where the user's pages show times (an office user's is
    best the office's zone).

    The password is hashed off the event loop (through ``cpu`` when given).
    """
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
        password_hash=await hash_off_loop(password, cpu),
        role=role,
        name=name,
        company=company,
        office_code=office_code,
        language=language,
        time_zone=time_zone,
    )
    db.add(user)
    await db.flush()
    return user


async def hash_off_loop(password: str, cpu: CpuWork | None = None) -> str:
    """:func:`hash_password` in a worker thread (bounded by ``cpu`` if given)."""
    if cpu is not None:
        return await cpu.run(hash_password, password)
    return await asyncio.to_thread(hash_password, password)


#: Zones offered first on the account page (Seoul, then the overseas offices'
#: usual zones); any other IANA name is accepted too.
ZONE_CHOICES = (
    "Asia/Seoul",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Ho_Chi_Minh",
    "Asia/Jakarta",
    "Asia/Singapore",
)


async def set_time_zone(db: AsyncSession, user: User, zone: str) -> None:
    """Set ``user``'s time zone (IANA name, e.g. ``Europe/Berlin``): pages show
    every time in it. Raises ``ValidationFailed`` for an unknown zone; the
    caller commits."""
    zone = zone.strip()
    if zone not in available_timezones():
        errors = FieldErrors()
        errors.add(
            "time_zone",
            "알 수 없는 시간대입니다 (예: Asia/Seoul).",
            "Unknown time zone (e.g. Asia/Seoul).",
        )
        errors.raise_if_any()
    row = await db.get(User, user.id)
    if row is None:
        raise NotFound(Text("사용자가 없습니다.", "No such user."))
    row.time_zone = zone
    user.time_zone = zone
