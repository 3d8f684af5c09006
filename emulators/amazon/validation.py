"""The emulator's own judgement of listing attributes against a product type
schema, written apart from the connector's pre-flight so that one fault
cannot pass both (the two are held to the same cases by a test).

A small interpreter of the JSON Schema 2019-09 keywords Amazon's product type
schemas use, plus Amazon's vocabulary as Amazon documents it
(https://developer-docs.amazon.com/sp-api/docs/product-type-definition-meta-schema)
and its sample validators apply it:

- ``maxUniqueItems`` N: no combination of ``selectors`` values occurs more than
  N times in the array; ``minUniqueItems`` N: each combination present occurs at
  least N times. An item's combination is the selector properties it has (all
  of its properties when the schema names no selectors).
- ``maxUtf8ByteLength``/``minUtf8ByteLength``: UTF-8 bytes.
- ``multipleOf``: decimal arithmetic on the number's JSON text.
- ``editable``, ``hidden``, ``enumNames``, ``$lifecycle`` and the other
  informational keywords: ignored. ``format`` is an annotation, as 2019-09 says.

A schema with a keyword outside this list is refused when compiled
(:class:`UnsupportedSchema`) rather than half-checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any

#: Amazon's issue codes: a required attribute missing, a value not accepted.
MISSING_CODE = "90220"
INVALID_CODE = "4000001"

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "$anchor",
        "title",
        "description",
        "examples",
        "default",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        # Amazon's informational vocabulary.
        "editable",
        "hidden",
        "enumNames",
        "$lifecycle",
        "replacedBy",
        "replaces",
        "enumDeprecated",
        # Read by maxUniqueItems/minUniqueItems; refuses nothing alone.
        "selectors",
        # Read by if.
        "then",
        "else",
    }
)


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this emulator does not judge."""


@dataclass(frozen=True)
class Violation:
    """One reason the attributes are refused."""

    path: tuple[str | int, ...]
    keyword: str
    message: str
    #: Property names a ``required`` (missing) or ``additionalProperties``
    #: (not allowed) violation is about.
    names: tuple[str, ...] = ()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _decimal(value: int | float | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    # repr is the shortest text reading back as the same float: its JSON text.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _type_of(value: Any) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, str):
        return {"string"}
    if isinstance(value, list):
        return {"array"}
    if isinstance(value, dict):
        return {"object"}
    if _is_number(value):
        number = _decimal(value)
        integral = number.is_finite() and number == number.to_integral_value()
        return {"number", "integer"} if integral else {"number"}
    return set()


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: 1 == 1.0, but true != 1."""
    if _is_number(a) and _is_number(b):
        return _decimal(a) == _decimal(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _key(value: Any) -> Any:
    """A hashable stand-in with :func:`json_equal`'s equality."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if _is_number(value):
        return ("number", _decimal(value).normalize())
    if isinstance(value, list):
        return ("array", tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("object", frozenset((k, _key(v)) for k, v in value.items()))
    return ("other", repr(value))


def _combination(item: Any, selectors: list[str]) -> Any:
    if isinstance(item, dict) and selectors:
        return _key({name: item[name] for name in selectors if name in item})
    return _key(item)


class SchemaJudge:
    """Judges instances against one product type schema (compiled once)."""

    def __init__(self, schema: Mapping[str, Any]):
        self.root = dict(schema)
        self._check_keywords(self.root)

    def violations(self, instance: Any) -> list[Violation]:
        return list(self._judge(self.root, instance, ()))

    def is_valid(self, instance: Any) -> bool:
        return next(iter(self._judge(self.root, instance, ())), None) is None

    # --- compile-time checks ---------------------------------------------

    def _check_keywords(self, schema: Any) -> None:
        if isinstance(schema, bool):
            return
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"not a schema: {schema!r}")
        for keyword, value in schema.items():
            if keyword in ANNOTATIONS or keyword in _VALIDATORS:
                pass
            else:
                raise UnsupportedSchema(f"keyword {keyword!r} is not judged")
            for child in _subschemas(keyword, value):
                self._check_keywords(child)
        ref = schema.get("$ref")
        if ref is not None:
            self._resolve(ref)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise UnsupportedSchema(f"only local references are judged: {ref}")
        node: Any = self.root
        for part in filter(None, ref[1:].split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise UnsupportedSchema(f"unresolvable reference: {ref}")
            node = node[part]
        return node

    # --- judging -----------------------------------------------------------

    def _judge(
        self, schema: Any, instance: Any, path: tuple[str | int, ...]
    ) -> Iterator[Violation]:
        if schema is True:
            return
        if schema is False:
            yield Violation(path, "false", "no value is allowed here")
            return
        for keyword, value in schema.items():
            check = _VALIDATORS.get(keyword)
            if check is not None:
                yield from check(self, value, instance, path, schema)

    def _passes(self, schema: Any, instance: Any) -> bool:
        return next(iter(self._judge(schema, instance, ())), None) is None


Check = Any  # (judge, value, instance, path, schema) -> Iterator[Violation]


def _ref(j: SchemaJudge, ref: str, inst: Any, path: Any, s: Any) -> Iterator[Violation]:
    yield from j._judge(j._resolve(ref), inst, path)


def _type(
    j: SchemaJudge, want: Any, inst: Any, path: Any, s: Any
) -> Iterator[Violation]:
    wanted = {want} if isinstance(want, str) else set(want)
    if not wanted & _type_of(inst):
        yield Violation(path, "type", f"{inst!r} is not of type {want}")


def _enum(
    j: SchemaJudge, values: Any, inst: Any, path: Any, s: Any
) -> Iterator[Violation]:
    if not any(json_equal(inst, v) for v in values):
        yield Violation(path, "enum", f"{inst!r} is not one of the allowed values")


def _const(
    j: SchemaJudge, value: Any, inst: Any, path: Any, s: Any
) -> Iterator[Violation]:
    if not json_equal(inst, value):
        yield Violation(path, "const", f"{inst!r} is not {value!r}")


def _string_rule(name: str) -> Check:
    def check(j: SchemaJudge, limit: Any, inst: Any, path: Any, s: Any) -> Any:
        if not isinstance(inst, str):
            return
        size = len(inst.encode("utf-8")) if "Utf8" in name else len(inst)
        if (size > limit) if name.startswith("max") else (size < limit):
            unit = "UTF-8 bytes" if "Utf8" in name else "characters"
            yield Violation(path, name, f"{size} {unit}; {name} is {limit}")

    return check


def _pattern(
    j: SchemaJudge, regex: str, inst: Any, path: Any, s: Any
) -> Iterator[Violation]:
    if isinstance(inst, str) and not _compiled(regex).search(inst):
        yield Violation(path, "pattern", f"{inst!r} does not match {regex!r}")


@lru_cache(maxsize=256)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def _bound(name: str) -> Check:
    def check(j: SchemaJudge, limit: Any, inst: Any, path: Any, s: Any) -> Any:
        if not _is_number(inst):
            return
        value, bound = _decimal(inst), _decimal(limit)
        ok = {
            "minimum": value >= bound,
            "maximum": value <= bound,
            "exclusiveMinimum": value > bound,
            "exclusiveMaximum": value < bound,
        }[name]
        if not ok:
            yield Violation(path, name, f"{inst!r} breaks {name} {limit!r}")

    return check


def _multiple_of(j: SchemaJudge, step: Any, inst: Any, path: Any, s: Any) -> Any:
    if not _is_number(inst):
        return
    value, divisor = _decimal(inst), _decimal(step)
    places = divisor.as_tuple().exponent
    if not isinstance(places, int) or not value.is_finite():
        return
    with localcontext() as context:
        # Digits enough for the whole quotient: the remainder is then exact.
        context.prec = max(28, value.adjusted() - places + 5)
        remainder = value % divisor
    if remainder != 0:
        yield Violation(path, "multipleOf", f"{inst!r} is not a multiple of {step!r}")


def _array_count(name: str) -> Check:
    def check(j: SchemaJudge, limit: Any, inst: Any, path: Any, s: Any) -> Any:
        if isinstance(inst, list) and (
            len(inst) > limit if name == "maxItems" else len(inst) < limit
        ):
            yield Violation(path, name, f"{len(inst)} items; {name} is {limit}")

    return check


def _unique_by_selectors(name: str) -> Check:
    def check(j: SchemaJudge, limit: Any, inst: Any, path: Any, s: Any) -> Any:
        if not isinstance(inst, list):
            return
        selectors = [str(x) for x in s.get("selectors", [])]
        counts: dict[Any, int] = {}
        for item in inst:
            key = _combination(item, selectors)
            counts[key] = counts.get(key, 0) + 1
        for count in counts.values():
            if count > limit if name == "maxUniqueItems" else count < limit:
                yield Violation(
                    path,
                    name,
                    f"a combination of {selectors or 'values'} occurs {count} "
                    f"times; {name} is {limit}",
                )
                return

    return check


def _unique_items(j: SchemaJudge, on: Any, inst: Any, path: Any, s: Any) -> Any:
    if on and isinstance(inst, list) and len({_key(v) for v in inst}) < len(inst):
        yield Violation(path, "uniqueItems", "items are not unique")


def _items(j: SchemaJudge, items: Any, inst: Any, path: Any, s: Any) -> Any:
    if not isinstance(inst, list):
        return
    if isinstance(items, list):
        for index, (schema, value) in enumerate(zip(items, inst, strict=False)):
            yield from j._judge(schema, value, (*path, index))
        return
    for index, value in enumerate(inst):
        yield from j._judge(items, value, (*path, index))


def _contains(j: SchemaJudge, schema: Any, inst: Any, path: Any, s: Any) -> Any:
    if isinstance(inst, list) and not any(j._passes(schema, v) for v in inst):
        yield Violation(path, "contains", "no item matches what is required")


def _properties(j: SchemaJudge, props: Any, inst: Any, path: Any, s: Any) -> Any:
    if isinstance(inst, dict):
        for name, schema in props.items():
            if name in inst:
                yield from j._judge(schema, inst[name], (*path, name))


def _required(j: SchemaJudge, names: Any, inst: Any, path: Any, s: Any) -> Any:
    if isinstance(inst, dict):
        missing = tuple(n for n in names if n not in inst)
        if missing:
            yield Violation(path, "required", f"missing {missing}", missing)


def _additional(j: SchemaJudge, extra: Any, inst: Any, path: Any, s: Any) -> Any:
    if not isinstance(inst, dict):
        return
    known = s.get("properties", {})
    patterns = [_compiled(p) for p in s.get("patternProperties", {})]
    others = [
        n for n in inst if n not in known and not any(p.search(n) for p in patterns)
    ]
    if extra is False and others:
        yield Violation(
            path, "additionalProperties", f"not allowed: {others}", tuple(others)
        )
    elif isinstance(extra, dict):
        for name in others:
            yield from j._judge(extra, inst[name], (*path, name))


def _pattern_properties(j: SchemaJudge, pats: Any, inst: Any, path: Any, s: Any) -> Any:
    if isinstance(inst, dict):
        for regex, schema in pats.items():
            for name, value in inst.items():
                if _compiled(regex).search(name):
                    yield from j._judge(schema, value, (*path, name))


def _all_of(j: SchemaJudge, schemas: Any, inst: Any, path: Any, s: Any) -> Any:
    for schema in schemas:
        yield from j._judge(schema, inst, path)


def _any_of(j: SchemaJudge, schemas: Any, inst: Any, path: Any, s: Any) -> Any:
    if not any(j._passes(schema, inst) for schema in schemas):
        yield Violation(path, "anyOf", "matches none of the allowed forms")


def _one_of(j: SchemaJudge, schemas: Any, inst: Any, path: Any, s: Any) -> Any:
    matched = sum(1 for schema in schemas if j._passes(schema, inst))
    if matched != 1:
        yield Violation(path, "oneOf", f"matches {matched} forms; exactly one needed")


def _not(j: SchemaJudge, schema: Any, inst: Any, path: Any, s: Any) -> Any:
    if j._passes(schema, inst):
        yield Violation(path, "not", "matches a form that is not allowed")


def _if(j: SchemaJudge, condition: Any, inst: Any, path: Any, s: Any) -> Any:
    branch = "then" if j._passes(condition, inst) else "else"
    if branch in s:
        yield from j._judge(s[branch], inst, path)


_VALIDATORS: dict[str, Check] = {
    "$ref": _ref,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "minLength": _string_rule("minLength"),
    "maxLength": _string_rule("maxLength"),
    "minUtf8ByteLength": _string_rule("minUtf8ByteLength"),
    "maxUtf8ByteLength": _string_rule("maxUtf8ByteLength"),
    "pattern": _pattern,
    "minimum": _bound("minimum"),
    "maximum": _bound("maximum"),
    "exclusiveMinimum": _bound("exclusiveMinimum"),
    "exclusiveMaximum": _bound("exclusiveMaximum"),
    "multipleOf": _multiple_of,
    "minItems": _array_count("minItems"),
    "maxItems": _array_count("maxItems"),
    "maxUniqueItems": _unique_by_selectors("maxUniqueItems"),
    "minUniqueItems": _unique_by_selectors("minUniqueItems"),
    "uniqueItems": _unique_items,
    "items": _items,
    "contains": _contains,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "required": _required,
    "additionalProperties": _additional,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
}

_ONE_SCHEMA = {"items", "contains", "additionalProperties", "not", "if", "then", "else"}
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "items"}
_SCHEMA_MAPS = {"properties", "patternProperties", "$defs"}


def _subschemas(keyword: str, value: Any) -> list[Any]:
    if keyword in _SCHEMA_MAPS and isinstance(value, dict):
        return list(value.values())
    if keyword in _SCHEMA_LISTS and isinstance(value, list):
        return list(value)
    if keyword in _ONE_SCHEMA and isinstance(value, dict | bool):
        return [value]
    return []


def issues(judge: SchemaJudge, attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Amazon's ``Issue`` objects for ``attributes`` (empty when valid)."""
    found: list[dict[str, Any]] = []
    for violation in judge.violations(dict(attributes)):
        if not violation.path and violation.keyword == "required":
            found.extend(
                _issue(
                    MISSING_CODE,
                    f"'{name}' is required but not supplied.",
                    [name],
                    "MISSING_ATTRIBUTE",
                )
                for name in violation.names
            )
        elif not violation.path and violation.keyword == "additionalProperties":
            found.append(
                _issue(
                    INVALID_CODE,
                    "Attributes are not valid for this product type: "
                    + ", ".join(violation.names),
                    sorted(violation.names),
                    "INVALID_ATTRIBUTE",
                )
            )
        else:
            where = "/".join(str(p) for p in violation.path) or "attributes"
            names = [str(violation.path[0])] if violation.path else []
            found.append(
                _issue(
                    INVALID_CODE,
                    f"The value of '{where}' is not valid: {violation.message}",
                    names,
                    "INVALID_ATTRIBUTE",
                )
            )
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for issue in found:
        unique.setdefault((issue["code"], issue["message"]), issue)
    return list(unique.values())


def _issue(code: str, message: str, names: list[str], category: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "severity": "ERROR",
        "attributeNames": names,
        "categories": [category],
    }
