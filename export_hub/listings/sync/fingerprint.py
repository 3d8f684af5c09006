"""Fingerprints: one digest of everything a rendered listing depends on.

The planner renders a listing only when something it depends on moved. What
it depends on (see :func:`export_hub.brand.prepare.prepare_listing`):

* the product: its ``version`` (moves with every ORM update) and
  ``updated_at`` (moves with every UPDATE of the row, ORM or Core, through
  its ``onupdate``), and its review state;
* its images (id, stored name, position, checksum, size);
* the quantity offered (on hand − reserved − buffer);
* per seller account, computed once (:func:`account_context`): the brand and
  pricing configuration, the taxonomy, the public base URL of images, the
  exchange rate in force for the account's currency, the account's settings
  that rendering and pre-flight read (site, seller id, setup, approved
  brands, brand check) and its company's (names, own brand, branding mode,
  margin floor).

A listing stores the fingerprint it was last brought fully in step with
(``Listing.sent_fingerprint``); while the fingerprint of today's inputs
equals it, rendering again would give exactly what was sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig
from export_hub.brand.prepare import ExchangeRates
from export_hub.catalog.taxonomy import Taxonomy, load_taxonomy
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig

#: Bump when the rendering code changes what it reads: every listing renders
#: once more after a release that does.
RENDERING_VERSION = "1"

_digests: dict[int, tuple[object, str]] = {}


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def config_digest(config: BrandConfig | PricingConfig | Taxonomy) -> str:
    """Digest of a loaded configuration (cached per object: configs are
    frozen)."""
    key = id(config)
    found = _digests.get(key)
    if found is None or found[0] is not config:
        if isinstance(config, Taxonomy):
            text = repr(config)
        else:
            text = config.model_dump_json()
        found = _digests[key] = (config, _digest(text))
    return found[1]


def account_context(
    brand: BrandConfig,
    pricing: PricingConfig,
    *,
    account: SellerAccount,
    company: Company,
    rates: ExchangeRates,
    public_base_url: str,
    taxonomy: Taxonomy | None = None,
) -> str:
    """The part of every fingerprint shared by one account's listings."""
    currency = pricing.currencies.get(account.marketplace_id)
    rate = rates.krw_to.get(currency) if currency else None
    parts: tuple[Any, ...] = (
        RENDERING_VERSION,
        config_digest(brand),
        config_digest(pricing),
        config_digest(taxonomy or load_taxonomy()),
        public_base_url,
        currency,
        (str(rate.rate), rate.effective_on.isoformat()) if rate else None,
        account.id,
        account.marketplace,
        account.marketplace_id,
        account.region,
        account.seller_id,
        sorted((account.setup or {}).items()),
        list(account.approved_brands or ()),
        account.last_check_ok,
        company.id,
        company.name_en,
        company.own_brand,
        str(company.branding_mode),
        str(company.margin_floor_percent),
    )
    return _digest(repr(parts))


def listing_fingerprint(
    context: str,
    *,
    product_id: int,
    version: int,
    updated_at: Any,
    state: str,
    quantity: int,
    images: Sequence[tuple[Any, ...]],
) -> str:
    """The fingerprint of one listing's inputs. ``images`` are tuples of
    (id, stored name, position, sha256, width, height), in any order."""
    # The instant as a number: formatting a datetime costs more than all else.
    instant = updated_at.timestamp() if hasattr(updated_at, "timestamp") else updated_at
    listed = sorted(images) if len(images) > 1 else images
    return _digest(
        f"{context}|{product_id}|{version}|{instant!r}|{state}|{quantity}|{listed!r}"
    )


def image_stamp(image: Any) -> tuple[Any, ...]:
    """What of an image (row or record) the fingerprint covers."""
    return (
        image.id,
        image.stored_name,
        image.position,
        image.sha256,
        image.width,
        image.height,
    )
