"""Validating listing attributes against an Amazon product type schema.

Amazon's schemas are JSON Schema 2019-09 plus the keywords of its meta-schema
(https://developer-docs.amazon.com/sp-api/docs/product-type-definition-meta-schema).
Of those, ``maxUtf8ByteLength``/``minUtf8ByteLength`` and
``maxUniqueItems``/``minUniqueItems`` (uniqueness by the ``selectors``)
constrain values and are implemented here; ``selectors``, ``editable``,
``hidden``, ``enumNames`` and ``$lifecycle`` are annotations and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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


def _unique_count(instance: list[Any], selectors: list[str]) -> int:
    keys = set()
    for item in instance:
        if isinstance(item, Mapping) and selectors:
            keys.add(json.dumps([item.get(s) for s in selectors], sort_keys=True))
        else:
            keys.add(json.dumps(item, sort_keys=True))
    return len(keys)


def _max_unique(
    validator: Validator, limit: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, list):
        count = _unique_count(instance, list(schema.get("selectors", [])))
        if count > limit:
            yield ValidationError(f"has {count} distinct values; at most {limit}")


def _min_unique(
    validator: Validator, limit: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, list):
        count = _unique_count(instance, list(schema.get("selectors", [])))
        if count < limit:
            yield ValidationError(f"has {count} distinct values; at least {limit}")


AmazonSchemaValidator = validators.extend(
    Draft201909Validator,
    {
        "maxUtf8ByteLength": _max_utf8,
        "minUtf8ByteLength": _min_utf8,
        "maxUniqueItems": _max_unique,
        "minUniqueItems": _min_unique,
    },
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
