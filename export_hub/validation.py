"""Field validators shared by forms, the JSON API and bulk import.

Each takes the raw value and a :class:`FieldErrors`; it returns the cleaned
value and records a bilingual message when the value is bad.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from typing import Any

import email_validator
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.kr import brn as kr_brn

from export_hub.errors import FieldErrors, NotFound, Text

HANGUL_RE = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")

#: The largest id or integer a column holds on every database (PostgreSQL's
#: ``integer``); SQLite would take up to 2^63 - 1, PostgreSQL refuses more.
MAX_INT = 2**31 - 1
#: Business dates (bookings, reports, filters) fall in these years; the bounds
#: keep every ``± timedelta`` and time zone shift far from year 1 and 9999.
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
_ASCII_DIGITS = re.compile(r"[0-9]+")
_ASCII_INTEGER = re.compile(r"-?[0-9]+")
# Cc (C0, DEL, C1) plus the Unicode line and paragraph separators.
_LINE_BREAKERS = frozenset("\u2028\u2029\u0085")
_MULTILINE_OK = frozenset("\n\r\t")


def is_id(text: object) -> bool:
    """``True`` for a canonical id: ASCII digits, no leading zero, 1..2^31-1."""
    return (
        isinstance(text, str)
        and len(text) <= 10
        and _ASCII_DIGITS.fullmatch(text) is not None
        and not text.startswith("0")
        and int(text) <= MAX_INT
    )


def parse_id(text: object) -> int:
    """An id from a URL path; :class:`NotFound` (404) if it cannot be one.

    Only canonical ASCII digits in 1..2^31-1: ``"²"`` (which ``str.isdigit``
    accepts), ``"01"``, ``"-1"`` and ``"2147483648"`` all name nothing.
    """
    if not is_id(text):
        raise NotFound()
    return int(str(text))


def clean_int(
    value: object,
    errors: FieldErrors,
    name: str,
    *,
    lo: int = 0,
    hi: int = MAX_INT,
    required: bool = False,
) -> int | None:
    """An integer from JSON (``int``) or a form/query (ASCII digits) in lo..hi.

    Booleans, floats, ``"²"`` and out-of-range values record a bilingual field
    error; a missing value (``None`` or ``""``) is ``None`` unless ``required``.
    """
    if value is None or value == "":
        if required:
            errors.add(name, "필수 항목입니다.", "Required.")
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) <= 12 and _ASCII_INTEGER.fullmatch(text):
            number = int(text)
    if number is None:
        errors.add(name, "정수를 입력해 주세요.", "Enter a whole number.")
        return None
    if not lo <= number <= hi:
        errors.add(
            name,
            f"{lo} 이상 {hi} 이하의 정수여야 합니다.",
            f"Must be a whole number from {lo} to {hi}.",
        )
        return None
    return number


def refuse_unknown(body: Mapping[str, Any], allowed: set[str] | frozenset[str]) -> None:
    """400 naming every key of a JSON object that the operation does not know."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        FieldErrors(
            {
                name[:100]: Text("알 수 없는 항목입니다.", "Unknown field.")
                for name in unknown
            }
        ).raise_if_any()


def lenient_int(raw: object, *, default: int, lo: int = 0, hi: int = MAX_INT) -> int:
    """A query-string integer (page, days) clamped to lo..hi; odd input is default."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not (len(text) <= 12 and _ASCII_INTEGER.fullmatch(text)):
        return default
    return max(lo, min(int(text), hi))


def optional_id(raw: object) -> int | None:
    """An id from a query string or form field, ``None`` unless canonical."""
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if is_id(text) else None


def clean_date(
    value: object,
    errors: FieldErrors,
    name: str,
    *,
    lo: dt.date = FIRST_DATE,
    hi: dt.date = LAST_DATE,
) -> dt.date | None:
    """A ``YYYY-MM-DD`` date in lo..hi (2000..2100 by default), else a field error."""
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None or len(str(value)) != 10:
        errors.add(name, "날짜는 YYYY-MM-DD 형식입니다.", "Dates are YYYY-MM-DD.")
        return None
    if not lo <= day <= hi:
        errors.add(
            name,
            f"날짜는 {lo}부터 {hi}까지입니다.",
            f"Dates run from {lo} to {hi}.",
        )
        return None
    return day


def clean_instant(value: object, errors: FieldErrors, name: str) -> dt.datetime | None:
    """An ISO 8601 instant with its offset, in UTC, dated 2000..2100."""
    instant: dt.datetime | None = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            instant = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            instant = None
    if instant is None or instant.tzinfo is None:
        errors.add(
            name,
            "시각은 시간대를 포함한 ISO 8601 형식이어야 합니다"
            "(예: 2026-12-03T07:00:00Z).",
            "Give an ISO 8601 time with its offset, e.g. 2026-12-03T07:00:00Z.",
        )
        return None
    # Compare before converting: astimezone() overflows near year 1 and 9999.
    if not FIRST_DATE <= instant.date() <= LAST_DATE:
        errors.add(
            name,
            f"시각은 {FIRST_DATE.year}–{LAST_DATE.year}년 사이여야 합니다.",
            f"Times fall in {FIRST_DATE.year}–{LAST_DATE.year}.",
        )
        return None
    return instant.astimezone(dt.UTC)


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_zone(value: object) -> bool:
    """``True`` for an IANA zone name (not a folder such as ``America``)."""
    return isinstance(value, str) and value in _zone_names()


def clean_zone(value: object, errors: FieldErrors, name: str) -> str:
    """An IANA time zone name; folders, paths and unknown names are errors."""
    zone = value.strip() if isinstance(value, str) else ""
    if not is_zone(zone):
        errors.add(
            name,
            "IANA 시간대가 아닙니다(예: Europe/Berlin).",
            "Not an IANA time zone (e.g. Europe/Berlin).",
        )
    return zone


def bad_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character that may not be stored in a text field, or ``None``.

    NUL is never allowed (PostgreSQL refuses it); other control characters
    and line separators only in multi-line fields (newline, tab).
    """
    for char in value:
        if char in _MULTILINE_OK and multiline:
            continue
        if char in _LINE_BREAKERS or unicodedata.category(char) == "Cc":
            return char
    return None


def check_characters(
    value: str, errors: FieldErrors, name: str, *, multiline: bool = False
) -> str:
    """Record a field error if ``value`` holds a control character."""
    if bad_character(value, multiline=multiline) is not None:
        if multiline:
            errors.add(
                name,
                "제어 문자(예: NUL)는 입력할 수 없습니다.",
                "Control characters (such as NUL) are not allowed.",
            )
        else:
            errors.add(
                name,
                "한 줄로 입력해 주세요(줄바꿈·제어 문자 불가).",
                "One line only: no line breaks or control characters.",
            )
    return value


def find_nul(data: Any) -> str | None:
    """The dotted path of the first string holding NUL in decoded JSON or a form.

    Iterative, so it works on any depth :func:`json.loads` returns.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "body"
        elif isinstance(item, Mapping):
            for key, value in item.items():
                where = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    return where
                stack.append((where, value))
        elif isinstance(item, list):
            stack += [(f"{path}[{i}]", value) for i, value in enumerate(item)]
    return None


def nesting_depth(data: Any) -> int:
    """How deeply lists and objects nest in decoded JSON (a scalar is 0)."""
    deepest = 0
    stack: list[tuple[int, Any]] = [(0, data)]
    while stack:
        depth, item = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, Mapping):
            stack += [(depth + 1, value) for value in item.values()]
        elif isinstance(item, list):
            stack += [(depth + 1, value) for value in item]
    return deepest


def validate_email(value: str, errors: FieldErrors, name: str = "email") -> str:
    """A deliverable-looking address (syntax only, no DNS), lower-cased."""
    value = (value or "").strip().lower()
    if not is_email(value):
        errors.add(
            name, "올바른 이메일 주소를 입력해 주세요.", "Enter a valid e-mail address."
        )
    return value


def is_email(value: str) -> bool:
    """Syntax check by ``email-validator`` (no DNS look-up), at most 254 chars."""
    if not value or len(value) > 254:
        return False
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


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
    multiline: bool = False,
) -> str:
    """English marketplace content: no Hangul, optional length limit.

    Single-line unless ``multiline`` (then newlines and tabs are allowed);
    control characters are refused either way.
    """
    value = (value or "").strip()
    check_characters(value, errors, name, multiline=multiline)
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
    value: str,
    errors: FieldErrors,
    name: str,
    *,
    max_len: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """Free text in any language: required unless told, at most ``max_len``.

    Single-line unless ``multiline``; control characters are refused.
    """
    value = (value or "").strip()
    check_characters(value, errors, name, multiline=multiline)
    if required and not value:
        errors.add(name, "필수 항목입니다.", "Required.")
    elif len(value) > max_len:
        errors.add(
            name, f"{max_len}자 이하로 입력해 주세요.", f"At most {max_len} characters."
        )
    return value


def contains_hangul(value: str) -> bool:
    return bool(HANGUL_RE.search(value))
