"""The emulator keeps one category tree per eBay site and judges an offer by
the tree of its marketplaceId (real sockets, the eBay connector)."""

from __future__ import annotations

import dataclasses

from connectors.base import ListingStatus, SubmissionStatus
from connectors.ebay.inventory import EbayInventoryClient
from emulators.ebay import EbayEmulator
from tests.ebay.conftest import MakeTransport, listing

COOKWARE_ASPECTS = {
    "Brand": ["DDK Steel"],
    "MPN": ["Does not apply"],
    "Material": ["Stainless Steel"],
}


def pan(sku: str, category: str, aspects: dict[str, list[str]] | None = None):
    payload = listing(
        sku,
        title="Stainless Steel Milk Pan, 16 cm",
        category=category,
        aspects=COOKWARE_ASPECTS if aspects is None else aspects,
    )
    return dataclasses.replace(payload, currency="GBP")


async def test_a_gb_offer_with_a_us_only_category_is_refused_and_the_gb_one_taken(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    client = EbayInventoryClient(make_transport(marketplace_id="EBAY_GB"))
    # 20636 is Cookware on ebay.com; ebay.co.uk has no such category.
    refused = await client.put_listing(pan("PAN-1", "20636"))
    assert refused.status is SubmissionStatus.INVALID
    assert ("25005", ("20636",)) in {
        (i.code, i.attribute_names) for i in refused.issues
    }
    assert "EBAY_GB" in next(i.message for i in refused.issues if i.code == "25005")

    taken = await client.put_listing(pan("PAN-1", "36027"))
    assert taken.status is SubmissionStatus.DONE, taken.issues
    state = await client.get_listing("PAN-1")
    assert state is not None
    assert state.status is ListingStatus.LIVE
    assert emulator.state.categories["EBAY_US"]["20636"].name == "Cookware"
    assert "20636" not in emulator.state.categories["EBAY_GB"]


async def test_each_site_asks_for_its_own_item_specifics_and_values(
    make_transport: MakeTransport,
) -> None:
    client = EbayInventoryClient(make_transport(marketplace_id="EBAY_GB"))
    missing = await client.put_listing(
        pan("PAN-2", "36027", {"Brand": ["DDK Steel"], "MPN": ["Does not apply"]})
    )
    assert missing.status is SubmissionStatus.INVALID
    assert ("25002", ("Material",)) in {
        (i.code, i.attribute_names) for i in missing.issues
    }
    wrong = await client.put_listing(
        pan("PAN-3", "36027", {**COOKWARE_ASPECTS, "Material": ["Wood"]})
    )
    assert wrong.status is SubmissionStatus.INVALID
    assert any(
        i.code == "25002" and "Wood" in i.message and i.attribute_names == ("Material",)
        for i in wrong.issues
    )


async def test_the_us_tree_is_unchanged_for_us_offers(
    client: EbayInventoryClient,
) -> None:
    result = await client.put_listing(
        dataclasses.replace(pan("PAN-4", "20636"), currency="USD")
    )
    assert result.status is SubmissionStatus.DONE, result.issues
