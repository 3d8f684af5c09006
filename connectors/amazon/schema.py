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


def compile_schema(schema: Mapping[str, Any]) -> Validator:
    """A validator for one product type schema (reusable, thread-safe)."""
    # The schema names Amazon's meta-schema in ``$schema``; validate with our
    # extension of 2019-09 regardless.
    return AmazonSchemaValidator(dict(schema))  # type: ignore[no-any-return]


def attribute_issues(
    validator: Validator, attributes: Mapping[str, Any]
) -> list[MarketplaceIssue]:
    """Every schema violation of ``attributes`` as Amazon-style issues."""
    issues: list[MarketplaceIssue] = []
    seen: set[tuple[str, str]] = set()
    for error in validator.iter_errors(dict(attributes)):
        for issue in _issues_for(error):
            key = (issue.code, issue.message)
            if key not in seen:
                seen.add(key)
                issues.append(issue)
    return issues


def _issues_for(error: ValidationError) -> list[MarketplaceIssue]:
    path = [str(p) for p in error.absolute_path]
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
