from __future__ import annotations

from decimal import Decimal

import pytest

from export_hub.brand.text import (
    TooLongWithoutBoundary,
    canonical_json,
    content_hash,
    hangul_paths,
    truncate_words,
    utf8_len,
)


def test_short_text_is_untouched_but_spaces_collapse() -> None:
    assert truncate_words("  Silver   bracelet ", 80) == "Silver bracelet"


def test_cuts_at_word_boundary_and_drops_dangling_punctuation() -> None:
    text = "Handmade sterling silver bracelet, adjustable - gift boxed"
    out = truncate_words(text, 36)
    assert out == "Handmade sterling silver bracelet"
    assert text.startswith(out)
    assert truncate_words(text, 47) == "Handmade sterling silver bracelet, adjustable"


def test_never_cuts_a_word() -> None:
    words = "alpha beta gamma delta epsilon".split()
    for limit in range(5, 31):
        out = truncate_words(" ".join(words), limit)
        assert len(out) <= limit
        assert all(w in words for w in out.split())


def test_byte_limit_counts_utf8_and_keeps_characters_whole() -> None:
    text = "Café crème brûlée naïve façade"  # accented letters are 2 bytes
    for limit in range(6, 40):
        out = truncate_words(text, 100, limit)
        assert utf8_len(out) <= limit
        out.encode("utf-8").decode("utf-8")  # whole characters only
        assert text.startswith(out)
    # 3- and 4-byte characters too.
    assert truncate_words("日本製 品質 🎁 gift", 100, 20) == "日本製 品質"  # 16 bytes
    assert truncate_words("日本製 品質 🎁 gift", 100, 15) == "日本製"


def test_a_single_overlong_word_is_refused_not_cut() -> None:
    with pytest.raises(TooLongWithoutBoundary):
        truncate_words("Supercalifragilistic bracelet", 10)


def test_hangul_paths_name_the_fields() -> None:
    body = {"a": "ok", "b": ["fine", "한글"], "c": {"d": "English 팔찌"}}
    assert list(hangul_paths(body)) == ["b[1]", "c.d"]


def test_hash_is_canonical() -> None:
    assert content_hash({"b": 1, "a": [Decimal("1.50")]}) == content_hash(
        {"a": [Decimal("1.50")], "b": 1}
    )
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert canonical_json({"p": Decimal("23.99"), "k": "é"}) == '{"k":"é","p":"23.99"}'
