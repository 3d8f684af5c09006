"""The brand a product goes out under on Amazon, and whether the seller may
use it. Pure: the listing renderer, the pre-flight and the onboarding
checklist all ask here, so what is checked is what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from export_hub.brand.config import BrandConfig, BrandingMode

if TYPE_CHECKING:
    from export_hub.accounts.models import Company
    from export_hub.marketplaces.models import SellerAccount

#: ``SellerAccount.setup`` key: whether Amazon's seller-specific product type
#: definition restricts ``brand`` to an enum (learned by the connection test).
BRAND_RESTRICTED = "amazon_brand_restricted"


def listing_brand(config: BrandConfig, company: Company) -> str:
    """The brand a product of ``company`` is sent under (Amazon's ``brand``
    attribute): the shared brand in co-brand mode, else the company's own
    brand (its English name when it has none)."""
    if config.mode_for(company.branding_mode) is BrandingMode.CO_BRAND:
        return config.name
    return (company.own_brand or company.name_en).strip()


@dataclass(frozen=True)
class BrandApproval:
    """What the last connection test learned about a seller's brands."""

    #: A connection test has told us (else nothing may be sent unchecked).
    known: bool
    #: Amazon lists the brands this seller may use (a ``brand`` enum).
    restricted: bool
    approved: tuple[str, ...] = ()

    def allows(self, brand: str) -> bool:
        """Whether a listing under ``brand`` passes Amazon's brand gate."""
        if not self.restricted:
            return self.known
        wanted = brand.strip().casefold()
        return any(b.strip().casefold() == wanted for b in self.approved)


def brand_approval(seller: SellerAccount) -> BrandApproval:
    """The seller's brand approval as last learned (accounts tested before
    the restriction was recorded count as restricted when they list brands)."""
    approved = tuple(seller.approved_brands or ())
    setup = seller.setup or {}
    if BRAND_RESTRICTED in setup:
        return BrandApproval(True, bool(setup[BRAND_RESTRICTED]), approved)
    if seller.last_check_ok:
        return BrandApproval(True, bool(approved), approved)
    return BrandApproval(False, False, approved)
