"""Text helpers for marketplace content: word-boundary truncation that counts
characters and UTF-8 bytes, Hangul detection, and stable content hashes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from export_hub.validation import HANGUL_RE

_SPACE_RE = re.compile(r"[ \t\r\f\v]+")
#: Punctuation that reads badly at the end of a shortened text.
_TRAILING = " ,;:-–—/&|(+"


class TooLongWithoutBoundary(ValueError):
    """The text's first word alone exceeds the limit; cutting it would split a word."""


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def fits(text: str, max_chars: int, max_bytes: int | None = None) -> bool:
    return len(text) <= max_chars and (max_bytes is None or utf8_len(text) <= max_bytes)


def normalise_space(text: str) -> str:
    """Collapse runs of spaces and tabs; keep paragraph breaks (newlines)."""
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def truncate_words(text: str, max_chars: int, max_bytes: int | None = None) -> str:
    """``text`` shortened to the last whole word that fits both limits.

    Never splits a word or a multi-byte character: the cut is always at
    whitespace. Trailing punctuation left dangling by the cut is removed.
    Raises :class:`TooLongWithoutBoundary` when not even the first word fits.
    """
    text = normalise_space(text)
    if fits(text, max_chars, max_bytes):
        return text
    best: str | None = None
    for match in re.finditer(r"\s+", text):
        candidate = text[: match.start()].rstrip(_TRAILING)
        if not fits(candidate, max_chars, max_bytes):
            break
        if candidate:
            best = candidate
    if best is None:
        raise TooLongWithoutBoundary(
            f"first word of {text[:30]!r}… exceeds {max_chars} characters"
            + (f" / {max_bytes} bytes" if max_bytes else "")
        )
    return best


def hangul_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of every string inside ``value`` that contains Hangul."""
    if isinstance(value, str):
        if HANGUL_RE.search(value):
            yield path or "(value)"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from hangul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from hangul_paths(item, f"{path}[{index}]")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, Decimals as strings."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_json` — equal content, equal hash."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
