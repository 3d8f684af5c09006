"""Validating listing attributes against an Amazon product type schema.

Amazon's schemas are JSON Schema 2019-09 plus the keywords of its meta-schema
(https://developer-docs.amazon.com/sp-api/docs/product-type-definition-meta-schema).
What each keyword means here, as Amazon means it:

- ``maxUniqueItems`` N (with ``selectors``): each combination of the selector
  values may occur at most N times in the array (Amazon's sample validators:
  "Each combination of selector values may only occur N times"). Without
  ``selectors`` an object's whole value is the combination.
- ``minUniqueItems`` N: the reverse; each combination present occurs at least
  N times. Emptiness is ``minItems``' business.
- ``selectors``: names the properties that make an item's combination; it
  refuses nothing on its own.
- ``maxUtf8ByteLength``/``minUtf8ByteLength``: the string's length in UTF-8
  bytes, not characters.
- ``multipleOf``: exact decimal arithmetic on the number as written in JSON
  (19.99 is a multiple of 0.01), not binary floating point.
- ``editable``, ``hidden``, ``enumNames``, ``$lifecycle``, ``replacedBy``,
  ``replaces``, ``enumDeprecated``: informational, ignored.
- ``allOf``/``if``/``then``/``else``: standard 2019-09 conditionals.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal, localcontext
from typing import Any

from jsonschema import Draft201909Validator, ValidationError, validators
from jsonschema.protocols import Validator

from export_hub.errors import MarketplaceIssue

#: Amazon's code for "'x' is required but not supplied."
MISSING_ATTRIBUTE_CODE = "90220"
#: Amazon's code for a value its schema does not accept.
INVALID_ATTRIBUTE_CODE = "4000001"


def _utf8_length(instance: Any) -> int:
    return len(instance.encode("utf-8"))


def _max_utf8(
    validator: Validator, limit: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and _utf8_length(instance) > limit:
        yield ValidationError(f"{instance!r} is longer than {limit} UTF-8 bytes")


def _min_utf8(
    validator: Validator, limit: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and _utf8_length(instance) < limit:
        yield ValidationError(f"{instance!r} is shorter than {limit} UTF-8 bytes")


def exact_number(value: int | float | Decimal) -> Decimal:
    """The number as its JSON text says it (``repr`` of a float is the shortest
    text that reads back as the same float, which is what ``json.dumps`` sends)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _is_number(instance: Any) -> bool:
    return isinstance(instance, int | float | Decimal) and not isinstance(
        instance, bool
    )


def _multiple_of(
    validator: Validator, step: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not _is_number(instance) or not _is_number(step):
        return
    value, divisor = exact_number(instance), exact_number(step)
    exponent = divisor.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int) or divisor <= 0:
        return
    with localcontext() as context:
        # Enough digits for the integral quotient, so the remainder is exact.
        context.prec = max(28, value.adjusted() - exponent + 5)
        if value % divisor != 0:
            yield ValidationError(f"{instance!r} is not a multiple of {step!r}")


def _combination(item: Any, selectors: list[str]) -> str:
    """The key an item counts under: its selector values, or its whole value."""
    if isinstance(item, Mapping) and selectors:
        picked = {name: item[name] for name in selectors if name in item}
        return json.dumps(picked, sort_keys=True, default=str)
    return json.dumps(item, sort_keys=True, default=str)


def _combination_counts(instance: list[Any], schema: Mapping[str, Any]) -> Counter[str]:
    selectors = [str(s) for s in schema.get("selectors", [])]
    return Counter(_combination(item, selectors) for item in instance)


def _max_unique(
    validator: Validator, limit: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, list):
        for key, count in _combination_counts(instance, schema).items():
            if count > limit:
                yield ValidationError(
                    f"each combination of selector values may occur at most "
                    f"{limit} times; {key} occurs {count} times"
                )


def _min_unique(
    validator: Validator, limit: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, list):
        for key, count in _combination_counts(instance, schema).items():
            if count < limit:
                yield ValidationError(
                    f"each combination of selector values must occur at least "
                    f"{limit} times; {key} occurs {count} times"
                )


def _is_integer(checker: Any, instance: Any) -> bool:
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return bool(Draft201909Validator.TYPE_CHECKER.is_type(instance, "integer"))


AmazonSchemaValidator = validators.extend(
    Draft201909Validator,
    {
        "multipleOf": _multiple_of,
        "maxUtf8ByteLength": _max_utf8,
        "minUtf8ByteLength": _min_utf8,
        "maxUniqueItems": _max_unique,
        "minUniqueItems": _min_unique,
    },
    type_checker=Draft201909Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    """Replace local ``{"$ref": "#/$defs/x"}`` by the definition (faster, and
    lets each attribute's subschema be validated on its own)."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(value, defs) for value in node]
    return node


class ProductTypeValidator:
    """Validates attributes against one product type schema.

    The root (``required``, ``additionalProperties``, the ``allOf`` conditional
    rules) is checked on every call; each attribute's own subschema is checked
    once per distinct value and remembered, since most attributes (brand,
    country, regulations...) repeat across a seller's listings.
    """

    def __init__(self, schema: Mapping[str, Any], memo_size: int = 8192):
        schema = _inline_refs(dict(schema), schema.get("$defs", {}))
        properties: Mapping[str, Any] = schema.get("properties", {})
        root = {**schema, "properties": dict.fromkeys(properties, True)}
        self.schema = schema
        self._root: Validator = AmazonSchemaValidator(root)
        self._properties = {
            name: AmazonSchemaValidator(subschema)
            for name, subschema in properties.items()
        }
        self._memo: dict[tuple[str, str], list[MarketplaceIssue]] = {}
        self._memo_size = memo_size

    def issues(self, attributes: Mapping[str, Any]) -> list[MarketplaceIssue]:
        found = [
            issue
            for error in self._root.iter_errors(dict(attributes))
            for issue in _issues_for(error, ())
        ]
        for name, value in attributes.items():
            if name in self._properties:
                found.extend(self._attribute(name, value))
        return _unique(found)

    def _attribute(self, name: str, value: Any) -> list[MarketplaceIssue]:
        key = (name, json.dumps(value, sort_keys=True, default=str))
        cached = self._memo.get(key)
        if cached is None:
            cached = [
                issue
                for error in self._properties[name].iter_errors(value)
                for issue in _issues_for(error, (name,))
            ]
            if len(self._memo) >= self._memo_size:
                self._memo.clear()
            self._memo[key] = cached
        return cached


def compile_schema(schema: Mapping[str, Any]) -> ProductTypeValidator:
    """A validator for one product type schema (reusable).

    The schema names Amazon's meta-schema in ``$schema``; it is validated with
    our extension of 2019-09 regardless.
    """
    return ProductTypeValidator(schema)


def attribute_issues(
    validator: ProductTypeValidator, attributes: Mapping[str, Any]
) -> list[MarketplaceIssue]:
    """Every schema violation of ``attributes`` as Amazon-style issues."""
    return validator.issues(attributes)


def _unique(issues: list[MarketplaceIssue]) -> list[MarketplaceIssue]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for issue in issues:
        if (issue.code, issue.message) not in seen:
            seen.add((issue.code, issue.message))
            unique.append(issue)
    return unique


def _issues_for(
    error: ValidationError, prefix: tuple[str, ...]
) -> list[MarketplaceIssue]:
    path = [*prefix, *(str(p) for p in error.absolute_path)]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [name for name in error.validator_value if name not in error.instance]
        if not path:
            return [
                MarketplaceIssue(
                    code=MISSING_ATTRIBUTE_CODE,
                    message=f"'{name}' is required but not supplied.",
                    attribute_names=(name,),
                    categories=("MISSING_ATTRIBUTE",),
                )
                for name in missing
            ]
    if error.validator == "additionalProperties" and not path:
        return [
            MarketplaceIssue(
                code=INVALID_ATTRIBUTE_CODE,
                message=f"Attributes are not valid for this product type: "
                f"{error.message}",
                attribute_names=tuple(
                    sorted(
                        set(error.instance) - set(error.schema.get("properties", {}))
                    )
                ),
                categories=("INVALID_ATTRIBUTE",),
            )
        ]
    attribute = path[0] if path else ""
    where = "/".join(path) or "attributes"
    return [
        MarketplaceIssue(
            code=INVALID_ATTRIBUTE_CODE,
            message=f"The value of '{where}' is not valid: {error.message}",
            attribute_names=(attribute,) if attribute else (),
            categories=("INVALID_ATTRIBUTE",),
        )
    ]


def enum_values(property_schema: Mapping[str, Any]) -> list[str]:
    """Values an attribute's ``value`` lists (directly or in ``anyOf``), e.g. the
    brands a seller may use in a seller-specific ``brand`` schema."""
    value = property_schema.get("items", {}).get("properties", {}).get("value", {})
    found: list[str] = list(value.get("enum", []))
    for option in value.get("anyOf", []):
        found.extend(option.get("enum", []))
    return [str(v) for v in found]
