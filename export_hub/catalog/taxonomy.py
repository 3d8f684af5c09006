"""The agency's knowledge of the marketplaces' categories and attributes.

``config/ebay_categories.toml`` maps each agency category (what a company
picks in its product form) to an eBay leaf category per site, with the item
specifics (aspects) eBay requires or recommends there and the values it
allows; ``config/amazon_product_types.toml`` lists the Amazon product types
with the attributes a company fills in. Both follow the marketplaces; the
emulators keep their own trees (the emulator is the marketplace, this is what
the agency knows of it).

A product's eBay category on a site is its own override for that site, else
the mapping of its agency category (:func:`ebay_category_id`). Loading is
cached per path: the files ship with the application and change with a
release, like code.
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from export_hub.errors import Text
from export_hub.settings import PROJECT_ROOT

EBAY_FILE = PROJECT_ROOT / "config" / "ebay_categories.toml"
AMAZON_FILE = PROJECT_ROOT / "config" / "amazon_product_types.toml"
#: Aspects Export Hub fills in itself (the brand, "Does not apply").
FILLED_ASPECTS = frozenset({"Brand", "MPN"})


class TaxonomyError(RuntimeError):
    """A category or product type file is missing or invalid."""


@dataclass(frozen=True)
class Choice:
    """One attribute the company fills in: its marketplace name, Korean
    label, whether the marketplace requires it, and the allowed values
    (empty: free text)."""

    name: str
    label: Text
    required: bool
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class EbayCategory:
    """One eBay leaf category on one site."""

    site: str
    id: str
    name: str
    required: tuple[str, ...] = ()
    recommended: tuple[str, ...] = ()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def company_aspects(self, labels: Mapping[str, str]) -> list[Choice]:
        """The aspects the company fills in, required ones first."""
        names = [*self.required, *self.recommended]
        return [
            Choice(
                name,
                Text(labels.get(name, name), name),
                name in self.required,
                self.values.get(name, ()),
            )
            for name in names
            if name not in FILLED_ASPECTS
        ]


@dataclass(frozen=True)
class AgencyCategory:
    """A category as companies know it, mapped to eBay per site."""

    key: str
    label: Text
    words: tuple[str, ...]
    ebay: Mapping[str, EbayCategory]


@dataclass(frozen=True)
class ProductType:
    """An Amazon product type and the attributes a company fills in."""

    name: str
    label: Text
    words: tuple[str, ...]
    attributes: tuple[Choice, ...]
    localized: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SearchHit:
    """A picker suggestion: the value to store and how to show it."""

    value: str
    label: Text


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _matches(query: str, texts: Iterable[str]) -> bool:
    words = _fold(query).split()
    haystack = " ".join(_fold(t) for t in texts)
    return bool(words) and all(w in haystack for w in words)


@dataclass(frozen=True)
class Taxonomy:
    """The eBay category mapping and the Amazon product types."""

    sites: Mapping[str, Text]
    categories: tuple[AgencyCategory, ...]
    aspect_labels: Mapping[str, str]
    product_types: tuple[ProductType, ...]

    def category(self, value: str) -> AgencyCategory | None:
        """The agency category stored as ``value``: its key, or its Korean or
        English name (older products were given free text)."""
        folded = _fold(value)
        if not folded:
            return None
        for cat in self.categories:
            if folded in (_fold(cat.key), _fold(cat.label.ko), _fold(cat.label.en)):
                return cat
        return None

    def product_type(self, name: str) -> ProductType | None:
        return next((p for p in self.product_types if p.name == name.upper()), None)

    def ebay_category(self, site: str, category_id: str) -> EbayCategory | None:
        """The eBay category ``category_id`` on ``site``, if the mapping knows it."""
        for cat in self.categories:
            found = cat.ebay.get(site)
            if found is not None and found.id == category_id:
                return found
        return None

    def search_categories(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Agency categories matching every word of ``query`` (Korean or English,
        in their names, keywords or eBay's category names)."""
        hits = [
            SearchHit(cat.key, cat.label)
            for cat in self.categories
            if _matches(
                query,
                (
                    cat.key,
                    cat.label.ko,
                    cat.label.en,
                    *cat.words,
                    *(e.name for e in cat.ebay.values()),
                ),
            )
        ]
        return hits[:limit]

    def search_product_types(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Amazon product types matching every word of ``query``."""
        hits = [
            SearchHit(pt.name, pt.label)
            for pt in self.product_types
            if _matches(query, (pt.name, pt.label.ko, pt.label.en, *pt.words))
        ]
        return hits[:limit]


def ebay_category_id(
    taxonomy: Taxonomy, category: str, overrides: Mapping[str, str], site: str
) -> str:
    """The eBay category id for ``site``: the product's override, else the
    mapping of its agency ``category``; ``""`` when neither gives one."""
    override = str(overrides.get(site) or "").strip()
    if override:
        return override
    agency = taxonomy.category(category)
    mapped = agency.ebay.get(site) if agency else None
    return mapped.id if mapped else ""


def _text(entry: Mapping[str, Any], where: str) -> Text:
    try:
        return Text(str(entry["name_ko"]), str(entry["name_en"]))
    except KeyError as exc:
        raise TaxonomyError(f"{where}: {exc.args[0]} is missing") from None


def _ebay_category(site: str, raw: Mapping[str, Any], where: str) -> EbayCategory:
    values = {str(k): tuple(map(str, v)) for k, v in raw.get("values", {}).items()}
    try:
        return EbayCategory(
            site=site,
            id=str(raw["id"]),
            name=str(raw["name"]),
            required=tuple(map(str, raw.get("required", ()))),
            recommended=tuple(map(str, raw.get("recommended", ()))),
            values=values,
        )
    except KeyError as exc:
        raise TaxonomyError(f"{where}.{site}: {exc.args[0]} is missing") from None


def parse_taxonomy(ebay: Mapping[str, Any], amazon: Mapping[str, Any]) -> Taxonomy:
    """Build a :class:`Taxonomy` from the two parsed TOML documents."""
    sites = {site: _text(v, f"sites.{site}") for site, v in ebay["sites"].items()}
    categories = []
    for n, raw in enumerate(ebay.get("category", [])):
        where = f"category[{n}]"
        per_site = {
            site: _ebay_category(site, entry, f"{where}.ebay")
            for site, entry in raw.get("ebay", {}).items()
        }
        unknown = set(per_site) - set(sites)
        if unknown:
            raise TaxonomyError(f"{where}: unknown site(s) {sorted(unknown)}")
        categories.append(
            AgencyCategory(
                str(raw["key"]),
                _text(raw, where),
                tuple(map(str, raw.get("words", ()))),
                per_site,
            )
        )
    product_types = []
    for n, raw in enumerate(amazon.get("product_type", [])):
        attributes = tuple(
            Choice(
                name,
                _text(attr, f"product_type[{n}].{name}"),
                bool(attr.get("required", False)),
                tuple(map(str, attr.get("values", ()))),
            )
            for name, attr in raw.get("attributes", {}).items()
        )
        localized = frozenset(
            name
            for name, attr in raw.get("attributes", {}).items()
            if attr.get("localized")
        )
        product_types.append(
            ProductType(
                str(raw["name"]),
                _text(raw, f"product_type[{n}]"),
                tuple(map(str, raw.get("words", ()))),
                tuple(sorted(attributes, key=lambda c: not c.required)),
                localized,
            )
        )
    labels = {str(k): str(v) for k, v in ebay.get("aspect_labels", {}).items()}
    return Taxonomy(sites, tuple(categories), labels, tuple(product_types))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaxonomyError(f"{path} cannot be read: {exc}") from None


@functools.cache
def load_taxonomy(ebay: Path = EBAY_FILE, amazon: Path = AMAZON_FILE) -> Taxonomy:
    """The shipped taxonomy (cached per pair of paths); raises
    :class:`TaxonomyError` when a file is missing or invalid."""
    return parse_taxonomy(_read(ebay), _read(amazon))
