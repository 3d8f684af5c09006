"""``config/pricing.toml``, typed and checked (see the file for the formula)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PricingConfigError(RuntimeError):
    """The pricing file is missing or invalid; the message says what to fix."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CurrencyRule(_Model):
    decimals: int = Field(ge=0, le=3)
    #: The fractional ending prices are rounded up to ("0.99"); "0" = none.
    ending: Decimal = Decimal(0)
    cap: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _ending_fits(self) -> CurrencyRule:
        if not Decimal(0) <= self.ending < 1:
            raise ValueError("ending is a fraction of one unit, 0 <= ending < 1")
        if self.ending != self.ending.quantize(Decimal(1).scaleb(-self.decimals)):
            raise ValueError(
                f"ending {self.ending} has more than {self.decimals} decimals"
            )
        return self


class ShippingBand(_Model):
    max_weight_g: int = Field(gt=0)
    cost_krw: int = Field(ge=0)


class RatesSource(_Model):
    enabled: bool = False
    url: str = ""
    interval_hours: float = Field(default=12, gt=0)
    timeout_seconds: float = Field(default=20, gt=0)

    @model_validator(mode="after")
    def _url_when_enabled(self) -> RatesSource:
        if self.enabled and not self.url.startswith(("https://", "http://")):
            raise ValueError("rates_source.url must be an http(s) URL when enabled")
        return self


class PricingConfig(_Model):
    #: marketplace (``amazon``/``ebay``) -> fee percent of the sale price.
    fees: dict[str, Decimal]
    #: marketplace id -> ISO currency.
    currencies: dict[str, str]
    currency: dict[str, CurrencyRule]
    shipping: tuple[ShippingBand, ...] = Field(min_length=1)
    rates_source: RatesSource = RatesSource()

    @model_validator(mode="after")
    def _consistent(self) -> PricingConfig:
        for name, fee in self.fees.items():
            if not Decimal(0) <= fee < 100:
                raise ValueError(f"fees.{name} must be 0 <= fee < 100 (percent)")
        for marketplace_id, code in self.currencies.items():
            if code not in self.currency:
                raise ValueError(
                    f"currencies.{marketplace_id}: no [currency.{code}] rule"
                )
        weights = [band.max_weight_g for band in self.shipping]
        if weights != sorted(set(weights)):
            raise ValueError("shipping bands must be in increasing max_weight_g order")
        return self

    def currency_for(self, marketplace_id: str) -> str:
        try:
            return self.currencies[marketplace_id]
        except KeyError:
            raise PricingConfigError(
                f"no currency configured for marketplace {marketplace_id}"
            ) from None


def parse_pricing(
    data: dict[str, Any], source: str = "pricing config"
) -> PricingConfig:
    try:
        return PricingConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"  - {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise PricingConfigError(
            f"{source} is invalid / 가격 설정이 올바르지 않습니다:\n"
            + "\n".join(problems)
        ) from None


def load_pricing(path: Path) -> PricingConfig:
    """Read and validate ``path``; raises :class:`PricingConfigError`."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise PricingConfigError(
            f"pricing config {path} cannot be read: {exc}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PricingConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_pricing(data, str(path))
