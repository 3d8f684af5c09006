"""The shared brand's configuration (``config/brand.toml``), typed and checked.

Load it with :func:`load_brand`; every problem (missing key, unknown template
placeholder, Hangul in English text, bad mode) is reported at once with its
dotted key, so a broken file fails at start-up rather than mid-sync.
"""

from __future__ import annotations

import enum
import string
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from export_hub.validation import contains_hangul

if TYPE_CHECKING:
    from export_hub.settings import Settings

#: Placeholders a template may use (see :mod:`export_hub.brand.render`).
PLACEHOLDERS = frozenset(
    {
        "name",
        "shared_brand",
        "brand",
        "company_brand",
        "company",
        "line",
        "story",
        "description",
        "category",
    }
)


class BrandingMode(enum.StrEnum):
    #: The shared brand is the marketplace ``brand``; the company is the manufacturer.
    CO_BRAND = "co-brand"
    #: The company's own brand stays the ``brand``; the shared brand is in the text.
    DUAL = "dual"


class OutOfStock(enum.StrEnum):
    ZERO = "zero"
    END = "end"


class BrandConfigError(RuntimeError):
    """``config/brand.toml`` is missing or invalid; the message says what to fix."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Identity(_Model):
    name: str = Field(min_length=1, max_length=100)
    line: str = ""
    story: str = ""
    logo_url: str = ""
    storefront_image_urls: tuple[str, ...] = ()
    default_mode: BrandingMode = BrandingMode.DUAL
    gs1_company_prefixes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _english_only(self) -> Identity:
        for field in ("name", "line", "story"):
            if contains_hangul(getattr(self, field)):
                raise ValueError(f"brand.{field} is marketplace content: English only")
        for prefix in self.gs1_company_prefixes:
            if not prefix.isdigit() or not 6 <= len(prefix) <= 12:
                raise ValueError(f"GS1 company prefix {prefix!r} must be 6-12 digits")
        return self


class Templates(_Model):
    """``string.Template`` texts ($placeholder) for one marketplace and mode."""

    title: str
    bullets: tuple[str, ...] = ()
    description: str = "$description"

    @model_validator(mode="after")
    def _known_placeholders(self) -> Templates:
        for text in (self.title, self.description, *self.bullets):
            template = string.Template(text)
            if not template.is_valid():
                raise ValueError(
                    f"malformed template {text!r} (use $name or ${{name}})"
                )
            unknown = set(template.get_identifiers()) - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"unknown placeholder(s) {sorted(unknown)} in {text!r}; "
                    f"allowed: {sorted(PLACEHOLDERS)}"
                )
            if contains_hangul(text):
                raise ValueError(f"template {text!r} is English content: no Hangul")
        return self


class Limits(_Model):
    """Marketplace text limits: characters and UTF-8 bytes."""

    title_chars: int = Field(gt=0)
    title_bytes: int = Field(gt=0)
    bullet_chars: int = Field(gt=0)
    bullet_bytes: int = Field(gt=0)
    bullet_count: int = Field(ge=0)
    description_chars: int = Field(gt=0)
    description_bytes: int = Field(gt=0)
    aspect_value_chars: int = Field(default=50, gt=0)


class AmazonBrandConfig(_Model):
    #: product type (or ``"*"``) -> attribute name -> attribute values.
    attribute_defaults: dict[str, dict[str, list[dict[str, Any]]]] = Field(
        default_factory=dict
    )

    def defaults_for(self, product_type: str) -> dict[str, list[dict[str, Any]]]:
        merged = dict(self.attribute_defaults.get("*", {}))
        merged.update(self.attribute_defaults.get(product_type, {}))
        return merged


class SyncRules(_Model):
    end_states: tuple[str, ...] = ("withdrawn", "rejected")
    out_of_stock: OutOfStock = OutOfStock.ZERO
    quantity_reassert_hours: float = Field(default=24, gt=0)
    price_change_threshold_percent: Decimal = Field(default=Decimal("1.0"), ge=0)
    needs_human_pause_hours: float = Field(default=24, gt=0)
    #: Units held back from every channel (on hand − reserved − buffer is offered).
    safety_buffer: int = Field(default=1, ge=0)

    def listing_action(self, review_state: str, quantity: int) -> str:
        """What the sync does with a product's listings: ``list``, ``zero``
        (keep the listing, quantity 0) or ``end``."""
        if review_state in self.end_states:
            return "end"
        if quantity <= 0:
            return "end" if self.out_of_stock is OutOfStock.END else "zero"
        return "list"

    @property
    def price_change_threshold(self) -> Decimal:
        """The threshold as a fraction (1 % -> ``Decimal("0.01")``)."""
        return self.price_change_threshold_percent / 100


class BrandConfig(_Model):
    """The whole brand file."""

    brand: Identity
    #: marketplace (``amazon``/``ebay``) -> mode -> templates.
    templates: dict[str, dict[BrandingMode, Templates]]
    limits: dict[str, Limits]
    amazon: AmazonBrandConfig = AmazonBrandConfig()
    sync: SyncRules = SyncRules()

    @model_validator(mode="after")
    def _complete(self) -> BrandConfig:
        for marketplace in ("amazon", "ebay"):
            modes = self.templates.get(marketplace, {})
            missing = [m.value for m in BrandingMode if m not in modes]
            if missing:
                raise ValueError(f"templates.{marketplace} lacks mode(s) {missing}")
            if marketplace not in self.limits:
                raise ValueError(f"limits.{marketplace} is missing")
        return self

    @property
    def name(self) -> str:
        return self.brand.name

    def templates_for(self, marketplace: str, mode: BrandingMode) -> Templates:
        return self.templates[marketplace][mode]

    def mode_for(self, company_mode: str) -> BrandingMode:
        """The company's override when set, else the brand's default."""
        if company_mode:
            try:
                return BrandingMode(company_mode)
            except ValueError:
                raise BrandConfigError(
                    f"unknown branding mode {company_mode!r} "
                    f"(use {[m.value for m in BrandingMode]})"
                ) from None
        return self.brand.default_mode


def parse_brand(data: dict[str, Any], source: str = "brand config") -> BrandConfig:
    """Validate an already-parsed TOML document."""
    try:
        return BrandConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"  - {key}: {err['msg']}")
        raise BrandConfigError(
            f"{source} is invalid / 브랜드 설정이 올바르지 않습니다:\n"
            + "\n".join(problems)
        ) from None


def load_brand(path: Path) -> BrandConfig:
    """Read and validate ``path``; raises :class:`BrandConfigError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BrandConfigError(
            f"brand config {path} cannot be read / "
            f"브랜드 설정 파일을 읽을 수 없습니다: {exc}"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BrandConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_brand(data, str(path))


def brand_from_settings(settings: Settings) -> BrandConfig:
    """The brand file named by ``settings.brand.file``."""
    return load_brand(resolve_config_path(settings.brand.file))


def resolve_config_path(path: Path) -> Path:
    """Relative paths are taken from the working directory, then the project."""
    if path.is_absolute() or path.exists():
        return path
    from export_hub.settings import PROJECT_ROOT

    return PROJECT_ROOT / path
