"""Companies: sign-up (a company user and its company at once) and the profile.

Validation is the same for the sign-up form, the profile form and the JSON
API. Functions take the caller's session and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.picker import brn_digits, resolve_company
from export_hub.accounts.service import create_user
from export_hub.catalog.models import AuditEvent
from export_hub.errors import Conflict, FieldErrors, Text, ValidationFailed
from export_hub.validation import (
    validate_brn,
    validate_daejeon_postal_code,
    validate_email,
    validate_english,
    validate_password,
    validate_text,
)

#: Every profile field, in form order.
COMPANY_FIELDS = (
    "name_ko",
    "name_en",
    "brn",
    "representative",
    "postal_code",
    "address_ko",
    "address_en",
    "contact_name",
    "email",
    "phone",
    "industry",
    "own_brand",
    "website",
)
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]{7,18}[0-9]")
URL_RE = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
DUPLICATE_BRN = Text(
    "이미 등록된 사업자등록번호입니다.",
    "This business registration number is registered.",
)


@dataclass(frozen=True)
class CompanyFields:
    """A company profile that passed validation."""

    values: dict[str, str]

    def apply_to(self, company: Company) -> list[str]:
        """Set the values on ``company``; returns the names that changed."""
        changed = [k for k, v in self.values.items() if getattr(company, k) != v]
        for name in changed:
            setattr(company, name, self.values[name])
        return changed


def clean_company(data: Mapping[str, Any], *, partial: bool = False) -> CompanyFields:
    """Validate a company profile; ``partial`` checks only the sign-up fields.

    Raises ``ValidationFailed`` naming every bad field.
    """
    raw = {k: str(data.get(k) or "").strip() for k in COMPANY_FIELDS}
    errors = FieldErrors()
    values = {
        "name_ko": validate_text(raw["name_ko"], errors, "name_ko", max_len=200),
        "name_en": validate_english(raw["name_en"], errors, "name_en", max_len=200),
        "brn": validate_brn(raw["brn"], errors),
    }
    if not partial:
        values |= {
            "representative": validate_text(
                raw["representative"], errors, "representative", max_len=100
            ),
            "postal_code": validate_daejeon_postal_code(raw["postal_code"], errors),
            "address_ko": validate_text(
                raw["address_ko"], errors, "address_ko", max_len=300
            ),
            "address_en": validate_english(
                raw["address_en"], errors, "address_en", required=False, max_len=300
            ),
            "contact_name": validate_text(
                raw["contact_name"], errors, "contact_name", max_len=100
            ),
            "email": validate_email(raw["email"], errors),
            "phone": _phone(raw["phone"], errors),
            "industry": validate_text(
                raw["industry"], errors, "industry", max_len=100, required=False
            ),
            "own_brand": validate_text(
                raw["own_brand"], errors, "own_brand", max_len=100, required=False
            ),
            "website": _website(raw["website"], errors),
        }
    errors.raise_if_any()
    return CompanyFields(values)


def _phone(value: str, errors: FieldErrors) -> str:
    if not PHONE_RE.fullmatch(value):
        errors.add(
            "phone",
            "전화번호를 숫자와 - 로 입력해 주세요 (예: 042-123-4567).",
            "Enter a phone number in digits and '-' (e.g. +82-42-123-4567).",
        )
    return value


def _website(value: str, errors: FieldErrors) -> str:
    if value and (not URL_RE.fullmatch(value) or len(value) > 300):
        errors.add(
            "website",
            "http:// 또는 https:// 로 시작하는 주소를 입력해 주세요.",
            "Enter an address starting with http:// or https://.",
        )
    return value


async def _ensure_brn_free(db: AsyncSession, brn: str, company_id: int | None) -> None:
    query = select(Company.id).where(Company.brn == brn)
    if company_id is not None:
        query = query.where(Company.id != company_id)
    if await db.scalar(query) is not None:
        raise ValidationFailed({"brn": DUPLICATE_BRN})


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    company: CompanyFields


def clean_sign_up(data: Mapping[str, Any]) -> SignUp:
    """Validate the sign-up form (account and company together)."""
    errors = FieldErrors()
    email = validate_email(str(data.get("email") or ""), errors)
    password = validate_password(str(data.get("password") or ""), errors)
    if password != str(data.get("password_confirm") or ""):
        errors.add(
            "password_confirm",
            "비밀번호가 일치하지 않습니다.",
            "The passwords do not match.",
        )
    try:
        company = clean_company(data, partial=True)
    except ValidationFailed as exc:
        errors.errors.update(exc.fields)
        company = CompanyFields({})
    errors.raise_if_any()
    return SignUp(email=email, password=password, company=company)


async def sign_up(db: AsyncSession, form: SignUp) -> User:
    """Create the company and its first user; raises ``ValidationFailed``."""
    await _ensure_brn_free(db, form.company.values["brn"], None)
    exists = await db.scalar(
        select(User.id).where(func.lower(User.email) == form.email)
    )
    if exists is not None:
        raise ValidationFailed(
            {
                "email": Text(
                    "이미 가입된 이메일입니다.", "This e-mail address is registered."
                )
            }
        )
    company = Company(users=[], **form.company.values)
    company.email = form.email
    db.add(company)
    try:
        await db.flush()
        user = await create_user(
            db,
            email=form.email,
            password=form.password,
            role=Role.COMPANY,
            company=company,
        )
    except IntegrityError as exc:
        raise ValidationFailed({"brn": DUPLICATE_BRN}) from exc
    except Conflict as exc:
        raise ValidationFailed(exc.fields) from exc
    db.add(
        AuditEvent(
            actor_user_id=user.id,
            subject_type="company",
            subject_id=company.id,
            action="sign_up",
            details={"brn": company.brn},
        )
    )
    return user


async def update_company(
    db: AsyncSession, company: Company, fields: CompanyFields, *, actor: User
) -> list[str]:
    """Save a validated profile; returns the changed field names (audited)."""
    await _ensure_brn_free(db, fields.values["brn"], company.id)
    changed = fields.apply_to(company)
    if changed:
        try:
            await db.flush()
        except IntegrityError as exc:
            raise ValidationFailed({"brn": DUPLICATE_BRN}) from exc
        db.add(
            AuditEvent(
                actor_user_id=actor.id,
                subject_type="company",
                subject_id=company.id,
                action="update_profile",
                details={"fields": changed},
            )
        )
    return changed


def company_form_values(company: Company) -> dict[str, str]:
    return {name: str(getattr(company, name) or "") for name in COMPANY_FIELDS}


async def company_by_brn(db: AsyncSession, raw: str) -> Company:
    """The company with business registration number ``raw`` (dashes allowed),
    or the one the company search box names (a name or a chosen suggestion).

    Raises ``ValidationFailed`` on field ``brn`` if it is invalid or unknown.
    """
    if raw.strip() and brn_digits(raw) is None:
        chosen = await resolve_company(db, raw, field="brn")
        if chosen is not None:
            return chosen
    errors = FieldErrors()
    brn = validate_brn(raw, errors)
    errors.raise_if_any()
    company = await db.scalar(select(Company).where(Company.brn == brn))
    if company is None:
        raise ValidationFailed(
            {
                "brn": Text(
                    "이 사업자등록번호의 기업이 없습니다.",
                    "No company has this number.",
                )
            }
        )
    return company
