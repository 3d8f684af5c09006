"""Choosing a company by what staff type: a name (Korean or English, any part)
or a business registration number with or without dashes (``314-81-07352``).

:func:`search_companies` feeds the search box's suggestions;
:func:`resolve_company` turns a submitted box into one company, or says why
not (none, or several that match). Query functions: they never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.errors import Text, ValidationFailed

_BRN_SEPARATORS = re.compile(r"[\s\-–.]")
MAX_QUERY = 100


def brn_digits(text: str) -> str | None:
    """The digits of ``text`` if it reads as (part of) a BRN: digits with
    optional dashes, dots or spaces; otherwise ``None``."""
    digits = _BRN_SEPARATORS.sub("", text)
    return digits if digits.isdigit() else None


def format_brn(brn: str) -> str:
    """``3148107352`` → ``314-81-07352`` (as printed on a certificate)."""
    if len(brn) != 10:
        return brn
    return f"{brn[:3]}-{brn[3:5]}-{brn[5:]}"


def picker_label(company: Company) -> str:
    """What the search box shows and accepts back: the BRN, then the names."""
    return f"{format_brn(company.brn)} {company.name_ko} ({company.name_en})"


@dataclass(frozen=True)
class CompanyChoice:
    """One suggestion: what goes in the box and what it is."""

    id: int
    brn: str
    label: str
    name_ko: str
    name_en: str


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches_company(text: str) -> ColumnElement[bool]:
    """The condition on :class:`Company` for what was typed: exactly that BRN
    when ``text`` is a whole BRN (dashes or not) or a chosen suggestion, else
    any part of either name or of the BRN."""
    text = text.strip()[:MAX_QUERY]
    digits = brn_digits(text)
    # A label chosen from the suggestions starts with the formatted BRN.
    for candidate in (digits, brn_digits(text.split(" ", 1)[0])):
        if candidate and len(candidate) == 10:
            return Company.brn == candidate
    like = f"%{_escape_like(text.lower())}%"
    clauses = [func.lower(Company.name_ko).like(like, escape="\\")]
    clauses.append(func.lower(Company.name_en).like(like, escape="\\"))
    if digits:
        clauses.append(Company.brn.like(f"%{digits}%"))
    return or_(*clauses)


async def search_companies(
    db: AsyncSession, text: str, *, limit: int = 10
) -> list[CompanyChoice]:
    """Companies whose name contains ``text`` or whose BRN contains its
    digits, by Korean name; empty ``text`` finds nothing."""
    if not text.strip():
        return []
    rows = await db.scalars(
        select(Company)
        .where(matches_company(text))
        .order_by(Company.name_ko)
        .limit(limit)
    )
    return [
        CompanyChoice(c.id, c.brn, picker_label(c), c.name_ko, c.name_en) for c in rows
    ]


def _refuse(field: str, ko: str, en: str) -> ValidationFailed:
    return ValidationFailed({field: Text(ko, en)}, message=Text(ko, en))


async def resolve_company(
    db: AsyncSession, text: str, *, field: str = "company"
) -> Company | None:
    """The one company ``text`` names; ``None`` for an empty box.

    Raises ``ValidationFailed`` on ``field`` (Korean and English) when no
    company or more than one matches, or for part of a number.
    """
    if not text.strip():
        return None
    digits = brn_digits(text)
    if digits is not None and len(digits) != 10:
        # Part of a number names no company for sure: ask for all of it.
        raise _refuse(
            field,
            "사업자등록번호 10자리를 모두 입력하거나 목록에서 기업을 골라 주세요.",
            "Enter all 10 digits of the registration number, or pick a company "
            "from the list.",
        )
    rows = list(await db.scalars(select(Company).where(matches_company(text)).limit(2)))
    if not rows:
        raise _refuse(
            field,
            "해당하는 기업이 없습니다. 이름이나 사업자등록번호로 찾아 주세요.",
            "No company matches. Search by name or registration number.",
        )
    if len(rows) > 1:
        raise _refuse(
            field,
            "여러 기업이 해당합니다. 목록에서 하나를 골라 주세요.",
            "Several companies match. Pick one from the list.",
        )
    return rows[0]
