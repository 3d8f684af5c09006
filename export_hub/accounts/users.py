"""Managing people: admins create and (de)activate staff and office users;
a company invites colleagues by e-mail and removes them.

An invitation is a user with an unusable random password and a single-use
link (the password-reset record, valid ``web.invite_ttl_seconds``) mailed in
the invitee's language through the outbox; following it sets the password.
Deactivating or removing someone ends their sessions and API tokens at once.
Every change is an audit event (``subject_type="user"``). The functions take a
session and never commit; the handler owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import (
    ApiToken,
    Company,
    PasswordResetToken,
    Role,
    User,
    UserSession,
)
from export_hub.accounts.service import create_user
from export_hub.catalog.models import AuditEvent
from export_hub.consultations.models import Office
from export_hub.cpu import CpuWork
from export_hub.errors import Conflict, FieldErrors, NotFound, Text
from export_hub.i18n import normalise_language, pick
from export_hub.mail import Mail, enqueue
from export_hub.security import new_token, sha256_hex
from export_hub.settings import Settings
from export_hub.validation import validate_email

#: Roles an admin creates on the users page (companies sign up or are invited).
AGENCY_ROLES = (Role.STAFF, Role.ADMIN, Role.OFFICE)
MAX_NAME = 100


@dataclass(frozen=True)
class NewUser:
    """A validated request to create an agency user."""

    email: str
    name: str
    role: Role
    office_code: str | None
    language: str


async def office_choices(db: AsyncSession) -> list[Office]:
    """The offices an office user may belong to, by code."""
    return list(await db.scalars(select(Office).order_by(Office.code)))


async def clean_new_user(db: AsyncSession, values: dict[str, str]) -> NewUser:
    """Validate the users page's form; raises ``ValidationFailed`` (bilingual)."""
    errors = FieldErrors()
    email = validate_email(values.get("email", ""), errors)
    name = values.get("name", "").strip()
    if len(name) > MAX_NAME or "\n" in name:
        errors.add("name", "이름은 한 줄, 100자까지입니다.", "One line, at most 100.")
    role_text = values.get("role", "")
    role = next((r for r in AGENCY_ROLES if r.value == role_text), None)
    if role is None:
        errors.add("role", "역할을 골라 주세요.", "Choose a role.")
    office_code = values.get("office_code", "").strip().upper() or None
    if role is Role.OFFICE:
        codes = {o.code for o in await office_choices(db)}
        if office_code not in codes:
            errors.add("office_code", "사무소를 골라 주세요.", "Choose the office.")
    else:
        office_code = None
    language = values.get("language") or "ko"
    if language not in ("ko", "en"):
        errors.add("language", "언어를 골라 주세요.", "Choose a language.")
    if role is None or errors:
        errors.raise_if_any()
        raise AssertionError("unreachable: no role is an error")
    return NewUser(email, name, role, office_code, language)


def _audit(
    db: AsyncSession,
    actor: User,
    user: User,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
) -> None:
    db.add(
        AuditEvent(
            actor_user_id=actor.id,
            subject_type="user",
            subject_id=user.id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            details={"email": user.email, "role": user.role.value},
        )
    )


async def _invite_link(
    db: AsyncSession, settings: Settings, user: User, now: dt.datetime
) -> str:
    token = new_token()
    ttl = dt.timedelta(seconds=settings.web.invite_ttl_seconds)
    db.add(
        PasswordResetToken(
            token_sha256=sha256_hex(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return f"{settings.web.public_base_url.rstrip('/')}/invite/{token}"


def _mail_invite(
    db: AsyncSession,
    settings: Settings,
    user: User,
    *,
    link: str,
    where: Text,
    now: dt.datetime,
) -> None:
    days = max(1, settings.web.invite_ttl_seconds // 86400)
    lang = user.language
    enqueue(
        db,
        settings.mail,
        Mail(
            to=user.email,
            subject=pick(lang, "Export Hub 초대", "Your Export Hub invitation"),
            body=pick(
                lang,
                f"{where.ko} Export Hub 계정에 초대되었습니다. 아래 링크에서 "
                f"비밀번호를 정해 주세요 ({days}일 동안, 한 번만 쓸 수 있습니다):"
                f"\n\n{link}\n\n모르는 초대라면 이 메일을 무시하세요.",
                f"You are invited to {where.en} on Export Hub. Choose your "
                f"password at this link (valid for {days} days, once):\n\n{link}"
                "\n\nIf you did not expect this, ignore this e-mail.",
            ),
            language=lang,
            related=f"invite:{user.id}",
        ),
        now,
    )


async def create_agency_user(
    db: AsyncSession,
    settings: Settings,
    cpu: CpuWork,
    actor: User,
    new: NewUser,
    now: dt.datetime,
) -> User:
    """Create a staff, admin or office user and mail them an invitation link
    to set their password. Raises ``Conflict`` for a registered address."""
    user = await create_user(
        db,
        email=new.email,
        password=new_token(),  # unusable until the invitation sets one
        role=new.role,
        name=new.name,
        office_code=new.office_code,
        language=new.language,
        cpu=cpu,
    )
    link = await _invite_link(db, settings, user, now)
    where = Text("기관의", "the agency")
    _mail_invite(db, settings, user, link=link, where=where, now=now)
    _audit(db, actor, user, "create", to_state="active")
    return user


async def end_access(db: AsyncSession, user_id: int, now: dt.datetime) -> None:
    """End every session, API token and unused invitation or reset link of
    ``user_id`` (effective at once: each request looks them up)."""
    await db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        delete(PasswordResetToken).where(
            PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None)
        )
    )


async def set_active(
    db: AsyncSession,
    actor: User,
    user_id: int,
    *,
    active: bool,
    reason: str,
    now: dt.datetime,
) -> User:
    """Deactivate (ending the user's sessions and tokens) or reactivate an
    agency or office user. Idempotent. Admins cannot deactivate themselves."""
    user = await db.get(User, user_id)
    if user is None or user.role is Role.COMPANY:
        raise NotFound()
    if user.id == actor.id and not active:
        raise Conflict(
            Text(
                "자기 계정은 비활성화할 수 없습니다.",
                "You cannot deactivate your own account.",
            )
        )
    if user.is_active == active:
        return user
    before = "active" if user.is_active else "inactive"
    user.is_active = active
    if not active:
        await end_access(db, user.id, now)
    action = "reactivate" if active else "deactivate"
    _audit(
        db,
        actor,
        user,
        action,
        from_state=before,
        to_state="active" if active else "inactive",
        reason=reason,
    )
    return user


@dataclass(frozen=True)
class Member:
    """A company user on the team page; ``invited``: no password set yet."""

    user: User
    invited: bool


async def team(db: AsyncSession, company_id: int) -> list[Member]:
    """The company's active users, with whether each is still only invited."""
    users = list(
        await db.scalars(
            select(User)
            .where(User.company_id == company_id, User.is_active.is_(True))
            .order_by(User.created_at, User.id)
        )
    )
    pending = set(
        await db.scalars(
            select(PasswordResetToken.user_id).where(
                PasswordResetToken.user_id.in_([u.id for u in users]),
                PasswordResetToken.used_at.is_(None),
            )
        )
    )
    return [
        Member(u, invited=u.last_login_at is None and u.id in pending) for u in users
    ]


async def invite_colleague(
    db: AsyncSession,
    settings: Settings,
    cpu: CpuWork,
    actor: User,
    company: Company,
    values: dict[str, str],
    now: dt.datetime,
) -> User:
    """Invite a colleague of ``actor`` by e-mail (a single-use link, in the
    language chosen for them). Raises ``ValidationFailed`` or ``Conflict``."""
    errors = FieldErrors()
    email = validate_email(values.get("email", ""), errors)
    name = values.get("name", "").strip()
    if len(name) > MAX_NAME or "\n" in name:
        errors.add("name", "이름은 한 줄, 100자까지입니다.", "One line, at most 100.")
    language = values.get("language") or "ko"
    if language not in ("ko", "en"):
        errors.add("language", "언어를 골라 주세요.", "Choose a language.")
    errors.raise_if_any()
    user = await create_user(
        db,
        email=email,
        password=new_token(),
        role=Role.COMPANY,
        name=name,
        company=company,
        language=normalise_language(language),
        cpu=cpu,
    )
    link = await _invite_link(db, settings, user, now)
    where = Text(f"{company.name_ko}의", company.name_en)
    _mail_invite(db, settings, user, link=link, where=where, now=now)
    _audit(db, actor, user, "invite", to_state="invited")
    return user


async def remove_colleague(
    db: AsyncSession, actor: User, user_id: int, *, reason: str, now: dt.datetime
) -> User:
    """Remove a colleague from ``actor``'s company: deactivated, sessions,
    tokens and unused links ended. The company keeps at least one user."""
    user = await db.get(User, user_id)
    if (
        user is None
        or user.company_id != actor.company_id
        or user.role is not Role.COMPANY
        or not user.is_active
    ):
        raise NotFound()
    others = await db.scalar(
        select(func.count(User.id)).where(
            User.company_id == actor.company_id,
            User.is_active.is_(True),
            User.id != user.id,
        )
    )
    if not others:
        raise Conflict(
            Text(
                "회사의 마지막 사용자는 삭제할 수 없습니다.",
                "The company's last user cannot be removed.",
            )
        )
    user.is_active = False
    await end_access(db, user.id, now)
    _audit(
        db,
        actor,
        user,
        "remove",
        from_state="active",
        to_state="removed",
        reason=reason,
    )
    return user


async def agency_users(db: AsyncSession) -> list[User]:
    """Admins, staff and office users, active first, by e-mail."""
    return list(
        await db.scalars(
            select(User)
            .where(User.role != Role.COMPANY)
            .order_by(User.is_active.desc(), User.role, User.email)
        )
    )
