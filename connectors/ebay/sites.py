"""The eBay sites Daejeon companies sell on (DOMAIN.md): no Korean site."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    marketplace_id: str
    #: Trading API ``X-EBAY-API-SITEID``.
    site_id: int
    currency: str
    #: ``Content-Language`` of the listing content.
    content_language: str


SITES: dict[str, Site] = {
    "EBAY_US": Site("EBAY_US", 0, "USD", "en-US"),
    "EBAY_GB": Site("EBAY_GB", 3, "GBP", "en-GB"),
    "EBAY_DE": Site("EBAY_DE", 77, "EUR", "de-DE"),
    "EBAY_AU": Site("EBAY_AU", 15, "AUD", "en-AU"),
}


def site_for(marketplace_id: str) -> Site:
    """The site record; raises ``KeyError`` for a marketplace we do not sell on."""
    return SITES[marketplace_id]
