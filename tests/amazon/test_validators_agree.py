"""The connector's pre-flight and the emulator's judgement are written apart and
must agree: one body of cases (every keyword case on the real BRACELET schema,
synthetic unique-count cases, the emulator's own product types) through both."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from connectors.amazon.schema import attribute_issues, compile_schema
from emulators.amazon import validation
from emulators.amazon.product_types import PRODUCT_TYPES, build_schema
from tests.amazon.conftest import US, attributes
from tests.amazon.test_schema_keywords import (
    CASES,
    SELECTED,
    bracelet,
    bracelet_attributes,
    require_bracelet,
)

EMULATORS = Path(__file__).resolve().parents[2] / "emulators"


def both(schema: dict[str, Any], attrs: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Attributes each side refuses."""
    ours = attribute_issues(compile_schema(schema), attrs)
    theirs = validation.issues(validation.SchemaJudge(schema), attrs)
    return (
        {n for i in ours for n in i.attribute_names},
        {n for i in theirs for n in i["attributeNames"]},
    )


@pytest.mark.parametrize("case", list(CASES))
def test_both_agree_on_the_real_schema(case: str) -> None:
    require_bracelet()
    changes, expected = CASES[case]
    preflight, emulator = both(bracelet(), bracelet_attributes(**changes))
    assert preflight == emulator == set(expected)


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("keyword", ["maxUniqueItems", "minUniqueItems"])
@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"marketplace_id": "A"}] * 2,
        [{"marketplace_id": "A"}, {"marketplace_id": "B"}],
        [{"marketplace_id": "A", "v": i} for i in range(3)] + [{"marketplace_id": "B"}],
        [{"v": 1}, {"v": 1.0}, {"marketplace_id": "A"}],
    ],
)
def test_both_count_combinations_alike(keyword: str, limit: int, items: Any) -> None:
    schema = {"properties": {"x": {**SELECTED, keyword: limit}}}
    preflight, emulator = both(schema, {"x": items})
    assert preflight == emulator


@pytest.mark.parametrize(
    ("step", "value"),
    [
        (0.01, 19.99),
        (0.01, 0.1 + 0.2),
        (0.01, 1e-7),
        (0.01, 12345678901.23),
        (1e-05, 0.00003),
        (1e-05, 0.000031),
        (1.0, 3),
        (1.0, 3.5),
        (0.5, 2.5),
    ],
)
def test_both_divide_exactly(step: float, value: float) -> None:
    schema = {"properties": {"x": {"type": "number", "multipleOf": step}}}
    preflight, emulator = both(schema, {"x": value})
    assert preflight == emulator


@pytest.mark.parametrize("name", sorted(PRODUCT_TYPES))
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"gtin": None, "exempt": False},
        {"gtin": None, "exempt": True},
        {"name": "가" * 70},
        {"price": 12.999},
    ],
)
def test_both_agree_on_the_emulators_product_types(
    name: str, changes: dict[str, Any]
) -> None:
    schema = build_schema(PRODUCT_TYPES[name], US, approved_brands=["Hanbit Farm"])
    preflight, emulator = both(schema, attributes(**changes))
    assert preflight == emulator


def test_the_emulator_does_not_import_the_connectors_validator() -> None:
    for path in EMULATORS.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not any(n.startswith("connectors.amazon.schema") for n in names), (
                path
            )


def test_the_emulator_refuses_a_keyword_it_does_not_judge() -> None:
    with pytest.raises(validation.UnsupportedSchema):
        validation.SchemaJudge({"properties": {"x": {"unevaluatedItems": False}}})
