"""Field validators shared by forms, the JSON API and bulk import.

Each takes the raw value and a :class:`FieldErrors`; it returns the cleaned
value and records a bilingual message when the value is bad.
"""

from __future__ import annotations

import re

from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.kr import brn as kr_brn

from export_hub.errors import FieldErrors

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HANGUL_RE = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def validate_email(value: str, errors: FieldErrors, name: str = "email") -> str:
    value = (value or "").strip().lower()
    if not EMAIL_RE.match(value) or len(value) > 254:
        errors.add(
            name, "올바른 이메일 주소를 입력해 주세요.", "Enter a valid e-mail address."
        )
    return value


def validate_password(value: str, errors: FieldErrors, name: str = "password") -> str:
    if len(value or "") < 10:
        errors.add(
            name,
            "비밀번호는 10자 이상이어야 합니다.",
            "The password must be at least 10 characters.",
        )
    return value


def validate_brn(value: str, errors: FieldErrors, name: str = "brn") -> str:
    """Korean business registration number: 10 digits with a valid check digit."""
    digits = re.sub(r"[\s-]", "", value or "")
    try:
        # python-stdnum checks only length and components, not the check digit.
        valid = str(kr_brn.validate(digits))
        if not brn_check_digit_ok(valid):
            raise StdnumError()
        return valid
    except StdnumError:
        errors.add(
            name,
            "사업자등록번호 10자리를 정확히 입력해 주세요 (검증 숫자 오류).",
            "Enter the 10-digit business registration number (check digit invalid).",
        )
        return digits


_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_check_digit_ok(digits: str) -> bool:
    """The National Tax Service's check digit rule for a 10-digit BRN."""
    d = [int(c) for c in digits]
    total = sum(a * b for a, b in zip(d[:9], _BRN_WEIGHTS, strict=True))
    total += d[8] * 5 // 10
    return (10 - total % 10) % 10 == d[9]


def validate_daejeon_postal_code(
    value: str, errors: FieldErrors, name: str = "postal_code"
) -> str:
    value = (value or "").strip()
    if not re.fullmatch(r"3[45]\d{3}", value):
        errors.add(
            name,
            "대전 지역 우편번호(34000–35999)를 입력해 주세요.",
            "Enter a Daejeon postal code (34000–35999).",
        )
    return value


def validate_gtin(value: str, errors: FieldErrors, name: str = "gtin") -> str | None:
    """EAN-13 or UPC-A (12 digits) with a valid check digit; blank is ``None``."""
    value = re.sub(r"[\s-]", "", value or "")
    if not value:
        return None
    if len(value) not in (12, 13) or not value.isdigit():
        errors.add(
            name,
            "GTIN은 EAN-13(13자리) 또는 UPC-A(12자리)여야 합니다.",
            "A GTIN is EAN-13 (13 digits) or UPC-A (12 digits).",
        )
        return value
    try:
        return str(ean.validate(value))
    except StdnumError:
        errors.add(
            name,
            "GTIN 검증 숫자가 올바르지 않습니다.",
            "The GTIN check digit is wrong.",
        )
        return value


def validate_hs_code(value: str, errors: FieldErrors, name: str = "hs_code") -> str:
    value = re.sub(r"[\s.]", "", value or "")
    if not re.fullmatch(r"\d{6,10}", value):
        errors.add(
            name, "HS 코드는 숫자 6–10자리입니다.", "The HS code is 6–10 digits."
        )
    return value


def validate_english(
    value: str,
    errors: FieldErrors,
    name: str,
    *,
    required: bool = True,
    max_len: int | None = None,
) -> str:
    """English marketplace content: no Hangul, optional length limit."""
    value = (value or "").strip()
    if required and not value:
        errors.add(name, "영문으로 입력해 주세요 (필수).", "Required, in English.")
    elif HANGUL_RE.search(value):
        errors.add(
            name,
            "영문 항목에 한글이 들어 있습니다.",
            "English content contains Hangul.",
        )
    if max_len is not None and len(value) > max_len:
        errors.add(
            name, f"{max_len}자 이하로 입력해 주세요.", f"At most {max_len} characters."
        )
    return value


def validate_text(
    value: str, errors: FieldErrors, name: str, *, max_len: int, required: bool = True
) -> str:
    """Free text in any language: required unless told, at most ``max_len``."""
    value = (value or "").strip()
    if required and not value:
        errors.add(name, "필수 항목입니다.", "Required.")
    elif len(value) > max_len:
        errors.add(
            name, f"{max_len}자 이하로 입력해 주세요.", f"At most {max_len} characters."
        )
    return value


def contains_hangul(value: str) -> bool:
    return bool(HANGUL_RE.search(value))
