"""A product's marketplace fields: its agency category, eBay category per
site, and the values the marketplaces ask for (eBay item specifics, Amazon
attributes), validated against :mod:`export_hub.catalog.taxonomy`.

In a form each value is one input named by :func:`field_key`
(``ebay_attr-material``, ``amazon_attr-item-type-keyword``,
``ebay_category-EBAY_GB``); :func:`collect_form_inputs` folds them into the
two JSON inputs the validator reads (``ebay_categories`` and
``marketplace_attributes``), which the JSON API and spreadsheets give
directly. Errors are keyed by the same field keys, so each shows beside its
input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from export_hub.catalog.taxonomy import (
    Choice,
    EbayCategory,
    Taxonomy,
    ebay_category_id,
)
from export_hub.errors import FieldErrors, Text
from export_hub.validation import HANGUL_RE, validate_text

#: Inputs holding JSON objects (text in forms and spreadsheets).
JSON_INPUTS = ("ebay_categories", "marketplace_attributes")
MARKETPLACES = ("ebay", "amazon")
#: eBay: aspect names up to 40 characters, values up to 65; Amazon's text
#: attributes allow more, the emulator's schemas 200 bytes.
MAX_NAME = {"ebay": 40, "amazon": 100}
MAX_VALUE = {"ebay": 65, "amazon": 200}
CATEGORY_ID_RE = re.compile(r"\d{1,10}")


def slug(name: str) -> str:
    """``"Tea Type"`` -> ``"tea-type"`` (safe in HTML ids and names)."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def field_key(marketplace: str, name: str) -> str:
    """The form input (and error key) of attribute ``name`` on ``marketplace``."""
    return f"{marketplace}_attr-{slug(name)}"


def site_key(site: str) -> str:
    """The form input of the eBay category override for ``site``."""
    return f"ebay_category-{site}"


def _json_object(raw: Any, errors: FieldErrors, name: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, Mapping):
        errors.add(name, "형식이 올바르지 않습니다.", "The value is not a JSON object.")
        return {}
    return dict(raw)


def clean_category(value: str, errors: FieldErrors, taxonomy: Taxonomy) -> str:
    """The agency category's key when ``value`` names one (key, Korean or
    English name); other text is kept (older products), required."""
    found = taxonomy.category(value)
    if found is not None:
        return found.key
    return validate_text(value, errors, "category", max_len=100)


def clean_ebay_categories(
    raw: Any, errors: FieldErrors, taxonomy: Taxonomy
) -> dict[str, str]:
    """Per-site category overrides: known sites, numeric ids, empty ones dropped."""
    given = _json_object(raw, errors, "ebay_categories")
    out: dict[str, str] = {}
    for site, value in given.items():
        text = "" if value is None else str(value).strip()
        if site not in taxonomy.sites:
            errors.add(
                "ebay_categories",
                f"알 수 없는 eBay 사이트입니다: {site}",
                f"Unknown eBay site: {site}",
            )
        elif text and not CATEGORY_ID_RE.fullmatch(text):
            errors.add(
                site_key(site),
                "eBay 카테고리 ID는 숫자입니다.",
                "The eBay category id is a number.",
            )
        elif text:
            out[site] = text
    return out


def ebay_categories_by_site(
    taxonomy: Taxonomy, category: str, overrides: Mapping[str, str]
) -> dict[str, str]:
    """The eBay category id on every known site (``""``: none)."""
    return {
        site: ebay_category_id(taxonomy, category, overrides, site)
        for site in taxonomy.sites
    }


def allowed_values(
    taxonomy: Taxonomy,
    marketplace: str,
    name: str,
    *,
    category: str,
    overrides: Mapping[str, str],
    product_type: str,
) -> tuple[str, ...] | None:
    """The values ``name`` may take for this product (``None``: free text).
    Where several eBay sites give a list, a value must suit all of them."""
    if marketplace == "amazon":
        pt = taxonomy.product_type(product_type)
        choice = (
            next((c for c in pt.attributes if c.name == name), None) if pt else None
        )
        return choice.values if choice and choice.values else None
    lists = [
        cat.values[name]
        for cat in _site_categories(taxonomy, category, overrides).values()
        if name in cat.values
    ]
    if not lists:
        return None
    return tuple(v for v in lists[0] if all(v in other for other in lists[1:]))


def _site_categories(
    taxonomy: Taxonomy, category: str, overrides: Mapping[str, str]
) -> dict[str, EbayCategory]:
    found = {}
    for site, cid in ebay_categories_by_site(taxonomy, category, overrides).items():
        cat = taxonomy.ebay_category(site, cid) if cid else None
        if cat is not None:
            found[site] = cat
    return found


def clean_marketplace_attributes(
    raw: Any,
    errors: FieldErrors,
    taxonomy: Taxonomy,
    *,
    category: str,
    overrides: Mapping[str, str],
    product_type: str,
) -> dict[str, dict[str, str]]:
    """``{"ebay": {aspect: value}, "amazon": {attribute: value}}``: English
    text within the marketplace's limits, one of the allowed values where the
    marketplace gives them. Empty values are dropped."""
    given = _json_object(raw, errors, "marketplace_attributes")
    out: dict[str, dict[str, str]] = {}
    for marketplace, values in given.items():
        if marketplace not in MARKETPLACES or not isinstance(values, Mapping):
            errors.add(
                "marketplace_attributes",
                f"알 수 없는 마켓플레이스 항목입니다: {marketplace}",
                f"Unknown marketplace entry: {marketplace}",
            )
            continue
        for name, value in values.items():
            cleaned = _clean_value(
                taxonomy,
                marketplace,
                str(name).strip(),
                value,
                errors,
                category=category,
                overrides=overrides,
                product_type=product_type,
            )
            if cleaned:
                out.setdefault(marketplace, {})[str(name).strip()] = cleaned
    return out


def _clean_value(
    taxonomy: Taxonomy,
    marketplace: str,
    name: str,
    value: Any,
    errors: FieldErrors,
    **product: Any,
) -> str:
    key = field_key(marketplace, name)
    text = "" if value is None else str(value).strip()
    if not name or len(name) > MAX_NAME[marketplace]:
        errors.add(key, "항목 이름이 올바르지 않습니다.", "The field name is invalid.")
        return ""
    if not text:
        return ""
    if HANGUL_RE.search(text):
        errors.add(
            key,
            "마켓플레이스 항목은 영문으로 입력해 주세요.",
            "Marketplace fields are in English.",
        )
    elif len(text) > MAX_VALUE[marketplace]:
        limit = MAX_VALUE[marketplace]
        errors.add(
            key, f"{limit}자 이하로 입력해 주세요.", f"At most {limit} characters."
        )
    allowed = allowed_values(taxonomy, marketplace, name, **product)
    if allowed is not None and text not in allowed:
        shown = ", ".join(allowed)
        errors.add(
            key,
            f"{name}: 목록에 있는 값 중에서 골라 주세요 ({shown}).",
            f"{name}: choose one of the allowed values ({shown}).",
        )
    return text


def known_names(
    taxonomy: Taxonomy, stored: Mapping[str, Mapping[str, str]]
) -> dict[str, set[str]]:
    """Every attribute name a form may post, per marketplace."""
    names: dict[str, set[str]] = {m: set(stored.get(m, {})) for m in MARKETPLACES}
    for cat in taxonomy.categories:
        for ebay in cat.ebay.values():
            names["ebay"].update(ebay.required, ebay.recommended, ebay.values)
    for pt in taxonomy.product_types:
        names["amazon"].update(c.name for c in pt.attributes)
    return names


def collect_form_inputs(values: MutableMapping[str, str], taxonomy: Taxonomy) -> None:
    """Fold the per-field inputs of a form into the JSON inputs, in place.

    The form carries the values it was shown with as JSON (hidden inputs);
    each field posted replaces its value, an emptied field removes it.
    """
    attributes = {
        m: {str(k): str(v) for k, v in (given or {}).items()}
        for m, given in _parsed(values.get("marketplace_attributes")).items()
        if isinstance(given, Mapping)
    }
    for marketplace, names in known_names(taxonomy, attributes).items():
        for name in sorted(names):
            key = field_key(marketplace, name)
            if key in values:
                attributes.setdefault(marketplace, {})[name] = values.pop(key)
    overrides = _parsed(values.get("ebay_categories"))
    for site in taxonomy.sites:
        if site_key(site) in values:
            overrides[site] = values.pop(site_key(site))
    values["marketplace_attributes"] = json.dumps(attributes, ensure_ascii=False)
    values["ebay_categories"] = json.dumps(overrides, ensure_ascii=False)


@dataclass(frozen=True)
class FormField:
    """One marketplace field of the product form."""

    key: str
    marketplace: str
    choice: Choice
    value: str
    #: Sites (eBay) or product type (Amazon) that ask for it, for the label.
    asked_by: tuple[str, ...]
    required_by: tuple[str, ...]


@dataclass(frozen=True)
class SiteCategory:
    """The eBay category a product gets on one site, and where it comes from."""

    site: str
    label: Text
    category_id: str
    category: EbayCategory | None
    override: str


@dataclass(frozen=True)
class MarketplaceForm:
    """What the product form asks for, given the product's current inputs."""

    sites: tuple[SiteCategory, ...]
    ebay: tuple[FormField, ...]
    amazon: tuple[FormField, ...]


def _parsed(raw: Any) -> dict[str, Any]:
    return _json_object(raw, FieldErrors(), "")


def marketplace_form(taxonomy: Taxonomy, values: Mapping[str, str]) -> MarketplaceForm:
    """The per-site categories and attribute fields for the form's ``values``
    (the strings of :func:`~export_hub.catalog.validation.product_form_values`)."""
    category = values.get("category", "")
    overrides = {
        str(k): str(v) for k, v in _parsed(values.get("ebay_categories")).items()
    }
    stored = _parsed(values.get("marketplace_attributes"))
    sites = []
    for site, label in taxonomy.sites.items():
        cid = ebay_category_id(taxonomy, category, overrides, site)
        sites.append(
            SiteCategory(
                site,
                label,
                cid,
                taxonomy.ebay_category(site, cid) if cid else None,
                overrides.get(site, ""),
            )
        )
    ebay = _ebay_fields(taxonomy, sites, stored.get("ebay") or {})
    amazon = _amazon_fields(
        taxonomy, values.get("amazon_product_type", ""), stored.get("amazon") or {}
    )
    return MarketplaceForm(tuple(sites), ebay, amazon)


def _ebay_fields(
    taxonomy: Taxonomy, sites: Iterable[SiteCategory], stored: Mapping[str, Any]
) -> tuple[FormField, ...]:
    asked: dict[str, list[str]] = {}
    required: dict[str, list[str]] = {}
    choices: dict[str, Choice] = {}
    for site in sites:
        if site.category is None:
            continue
        for choice in site.category.company_aspects(taxonomy.aspect_labels):
            asked.setdefault(choice.name, []).append(site.site)
            if choice.required:
                required.setdefault(choice.name, []).append(site.site)
            known = choices.get(choice.name)
            values = choice.values
            if known is not None and known.values and values:
                values = tuple(v for v in known.values if v in values)
            elif known is not None:
                values = known.values or values
            choices[choice.name] = Choice(
                choice.name, choice.label, choice.name in required, values
            )
    for name in stored:
        if name not in choices:
            label = Text(taxonomy.aspect_labels.get(name, name), name)
            choices[name] = Choice(name, label, False)
    fields = [
        FormField(
            field_key("ebay", name),
            "ebay",
            choice,
            str(stored.get(name, "")),
            tuple(asked.get(name, ())),
            tuple(required.get(name, ())),
        )
        for name, choice in choices.items()
    ]
    return tuple(sorted(fields, key=lambda f: (not f.required_by, f.choice.name)))


def _amazon_fields(
    taxonomy: Taxonomy, product_type: str, stored: Mapping[str, Any]
) -> tuple[FormField, ...]:
    pt = taxonomy.product_type(product_type) if product_type else None
    choices = list(pt.attributes) if pt else []
    named = {c.name for c in choices}
    choices += [Choice(n, Text(n, n), False) for n in stored if n not in named]
    origin = (pt.name,) if pt else ()
    return tuple(
        FormField(
            field_key("amazon", c.name),
            "amazon",
            c,
            str(stored.get(c.name, "")),
            origin,
            origin if c.required else (),
        )
        for c in choices
    )
