"""What every marketplace receives, rendered from a product under the brand.

:func:`render_listing` dispatches to :func:`export_hub.brand.amazon.render_amazon`
or :func:`export_hub.brand.ebay.render_ebay`; what they share (the records,
:func:`~export_hub.brand.base.brand_text`, the part hashes) lives in
:mod:`export_hub.brand.base`.

Rendering is pure: no I/O, no clock. It raises
:class:`~export_hub.brand.base.RenderError` carrying pre-flight issues when the
content cannot be sent as it is (Hangul in English content, a required text
missing, a word longer than a limit).
"""

from __future__ import annotations

from export_hub.brand.amazon import render_amazon
from export_hub.brand.base import ListingInput, RenderedListing
from export_hub.brand.config import BrandConfig
from export_hub.brand.ebay import render_ebay


def render_listing(
    config: BrandConfig, listing: ListingInput, *, public_base_url: str
) -> RenderedListing:
    """Render ``listing`` for its seller account's marketplace."""
    if listing.seller.marketplace == "amazon":
        return render_amazon(config, listing, public_base_url=public_base_url)
    if listing.seller.marketplace == "ebay":
        return render_ebay(config, listing, public_base_url=public_base_url)
    raise ValueError(f"unknown marketplace {listing.seller.marketplace!r}")
