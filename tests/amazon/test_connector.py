"""Every connector operation against the SP-API emulator over real sockets."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from connectors.amazon.client import AmazonListingsClient
from connectors.base import (
    ListingState,
    ListingStatus,
    MarketplaceConnector,
    PriceQuantityUpdate,
    SubmissionStatus,
)
from emulators.amazon import AmazonEmulator
from export_hub.errors import AuthorizationError, InvalidListing
from tests.amazon.conftest import (
    OTHER_REFRESH,
    OTHER_SELLER,
    REFRESH,
    SELLER,
    MakeClient,
    payload,
)


async def settled(client: AmazonListingsClient, sku: str) -> ListingState:
    """Poll until the listing leaves PENDING (as the outcome job does)."""
    for _ in range(200):
        state = await client.get_listing(sku)
        if state is not None and state.status is not ListingStatus.PENDING:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{sku} never settled")


def puts(emulator: AmazonEmulator) -> int:
    return sum(1 for op, _ in emulator.state.calls if op == "putListingsItem")


async def test_check_connection_is_one_search_and_tells_revoked_sellers(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    connector: MarketplaceConnector = client
    assert (connector.marketplace, connector.account.seller_id) == ("amazon", SELLER)
    await connector.check_connection()
    assert emulator.state.calls == [("searchListingsItems", SELLER)]
    emulator.state.revoke(REFRESH)
    emulator.state.access_tokens.clear()
    with pytest.raises(AuthorizationError):
        await connector.check_connection()
    assert emulator.state.calls[0] == ("searchListingsItems", SELLER)


async def test_put_is_accepted_then_becomes_buyable_with_an_asin(
    client: AmazonListingsClient,
) -> None:
    result = await client.put_listing(payload())
    assert result.status is SubmissionStatus.ACCEPTED
    assert result.submission_id
    assert result.request_id

    first = await client.get_listing("HB-TEA-001")
    assert first is not None
    assert first.status is ListingStatus.PENDING  # ACCEPTED is not listed

    state = await settled(client, "HB-TEA-001")
    assert state.status is ListingStatus.LIVE
    assert state.raw_status == ("BUYABLE", "DISCOVERABLE")
    assert state.listing_id
    assert state.listing_id.startswith("B0")
    assert state.price == Decimal("12.9")
    assert state.quantity == 25


async def test_validation_preview_stores_nothing(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    result = await client.put_listing(payload(), validate_only=True)
    assert result.status is SubmissionStatus.VALID
    assert emulator.state.listings == {}
    assert await client.get_listing("HB-TEA-001") is None


async def test_invalid_listing_is_refused_before_sending(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    listing = payload(gtin=None)  # no GTIN and no exemption declared
    with pytest.raises(InvalidListing) as caught:
        await client.put_listing(listing)
    codes = {(i.code, i.attribute_names) for i in caught.value.issues}
    assert ("90220", ("externally_assigned_product_identifier",)) in codes
    assert caught.value.sku == "HB-TEA-001"
    assert puts(emulator) == 0

    exempt = payload(gtin=None, exempt=True)
    assert (await client.put_listing(exempt)).status is SubmissionStatus.ACCEPTED


async def test_hangul_in_us_content_is_refused(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    with pytest.raises(InvalidListing) as caught:
        await client.put_listing(payload(name="유성 국화차 Chrysanthemum Tea"))
    assert [i.code for i in caught.value.issues] == ["HANGUL_IN_CONTENT"]
    assert puts(emulator) == 0


async def test_amazon_side_invalid_answer_is_returned_with_issues(
    client: AmazonListingsClient,
) -> None:
    # A product type our cache validated but Amazon refuses (unknown type):
    # the emulator answers 200 INVALID like Amazon, and the client returns it.
    definition = await client.definition("TEA")
    client.product_types._definitions[("NOT_A_TYPE", "ATVPDKIKX0DER", "")] = (
        float("inf"),
        definition,
    )
    result = await client.put_listing(payload(product_type="NOT_A_TYPE"))
    assert result.status is SubmissionStatus.INVALID
    assert not result.ok
    assert result.issues[0].code == "4000003"


async def test_unapproved_brand_gets_amazons_brand_issue(
    make_client: MakeClient,
) -> None:
    client = make_client(seller=OTHER_SELLER, refresh=OTHER_REFRESH)
    result = await client.put_listing(payload(brand="Onsen Lab"))
    assert result.status is SubmissionStatus.ACCEPTED
    state = await settled(client, "HB-TEA-001")
    assert state.status is ListingStatus.ERROR
    (issue,) = state.issues
    assert issue.code == "5665"
    assert issue.attribute_names == ("brand",)
    assert issue.severity == "ERROR"


async def test_price_and_quantity_patch(client: AmazonListingsClient) -> None:
    await client.put_listing(payload())
    await settled(client, "HB-TEA-001")
    results = await client.update_price_quantity(
        [
            PriceQuantityUpdate("HB-TEA-001", price=Decimal("14.50"), quantity=3),
            PriceQuantityUpdate("HB-TEA-001", quantity=2),
        ]
    )
    assert [r.status for r in results] == [SubmissionStatus.ACCEPTED] * 2, results
    state = await settled(client, "HB-TEA-001")
    assert state.price == Decimal("14.5")
    assert state.quantity == 2


async def test_patch_of_an_unknown_sku_is_invalid(client: AmazonListingsClient) -> None:
    (result,) = await client.update_price_quantity(
        [PriceQuantityUpdate("NOPE", quantity=1)]
    )
    assert result.status is SubmissionStatus.INVALID


async def test_delete_and_delete_again(client: AmazonListingsClient) -> None:
    await client.put_listing(payload())
    assert (
        await client.delete_listing("HB-TEA-001")
    ).status is SubmissionStatus.ACCEPTED
    assert await client.get_listing("HB-TEA-001") is None
    # Ending an absent listing is not an error (404 is skippable).
    assert (await client.delete_listing("HB-TEA-001")).status is SubmissionStatus.DONE


async def test_product_type_definitions_are_cached_by_checksum(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    await asyncio.gather(*(client.put_listing(payload(sku=f"S-{i}")) for i in range(6)))
    definitions = [
        op for op, _ in emulator.state.calls if op == "getDefinitionsProductType"
    ]
    assert len(definitions) == 1
    assert client.product_types.downloads == 1


async def test_seller_specific_definition_lists_approved_brands(
    client: AmazonListingsClient,
) -> None:
    definition = await client.definition("TEA", seller_specific=True)
    assert definition.brands == ["Hanbit Farm"]
    assert definition.version


async def test_concurrent_calls_after_a_dropped_access_token_all_recover(
    make_client: MakeClient, emulator: AmazonEmulator
) -> None:
    """Amazon stops honouring the cached access token (expired early, or the
    seller re-authorised) while several clients of one seller are busy (the
    library's token cache is process-wide): every call in flight gets a 403.
    Each must retry once with a fresh token, whichever dropped the old one."""
    clients = [make_client() for _ in range(4)]
    await clients[0].put_listing(payload())
    emulator.state.access_tokens.clear()
    results = await asyncio.gather(
        *(c.get_listing("HB-TEA-001") for c in clients for _ in range(3))
    )
    assert all(state is not None for state in results)
    # ... and a revoked seller is still told so after that one retry.
    emulator.state.revoke(REFRESH)
    with pytest.raises(AuthorizationError):
        await clients[1].get_listing("HB-TEA-001")
