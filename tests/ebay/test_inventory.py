"""EbayInventoryClient against the emulator over real sockets."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from connectors.base import (
    ListingStatus,
    MarketplaceConnector,
    PriceQuantityUpdate,
    SubmissionStatus,
)
from connectors.ebay.bulk import answers_of, send_bulk
from connectors.ebay.inventory import EbayInventoryClient
from connectors.ebay.transport import EbayResponse
from emulators.ebay import EbayEmulator
from export_hub.errors import AuthorizationError, TransientError
from tests.ebay.conftest import SELLER, MakeTransport, listing


def offers_of(emulator: EbayEmulator, sku: str) -> list[str]:
    return [o.offer_id for o in emulator.state.sellers[SELLER].offers_for(sku)]


async def test_check_connection_is_one_read_and_tells_revoked_sellers(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    connector: MarketplaceConnector = client
    assert (connector.marketplace, connector.account.seller_id) == ("ebay", SELLER)
    await connector.check_connection()
    assert [(m, p, u) for m, p, u, _ in emulator.state.log] == [
        ("GET", "/sell/inventory/v1/inventory_item", SELLER)
    ]
    emulator.state.revoke_refresh_tokens(SELLER)
    with pytest.raises(AuthorizationError):
        await connector.check_connection()


async def test_put_listing_sets_up_the_seller_once_and_publishes(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    first = await client.put_listing(listing("TEA-1"))
    assert first.status is SubmissionStatus.DONE
    assert first.listing_id
    seller = emulator.state.sellers[SELLER]
    assert list(seller.locations) == ["daejeon-export-hub"]
    assert (
        seller.locations["daejeon-export-hub"]["location"]["address"]["country"] == "KR"
    )
    assert {k: len(v) for k, v in seller.policies.items()} == {
        "fulfillment": 1,
        "payment": 1,
        "return": 1,
    }
    state = await client.get_listing("TEA-1")
    assert state is not None
    assert state.status is ListingStatus.LIVE
    assert state.price == Decimal("24.90")
    assert state.quantity == 10
    assert state.listing_id == first.listing_id

    second = await client.put_listing(listing("TEA-1", price="19.50"))
    assert second.status is SubmissionStatus.DONE
    assert second.submission_id == first.submission_id
    assert offers_of(emulator, "TEA-1") == [first.submission_id]
    assert len(emulator.state.requests_to("/location/")) == 1
    put = emulator.state.requests_to("/inventory_item/TEA-1")
    assert put
    assert put[0][0] == "PUT"
    again = await client.get_listing("TEA-1")
    assert again is not None
    assert again.price == Decimal("19.50")


async def test_put_listing_keeps_ebays_issues_with_the_listing(
    client: EbayInventoryClient,
) -> None:
    result = await client.put_listing(
        listing("TEA-2", aspects={"Type": ["Green Tea"]}, title="T" * 81)
    )
    assert result.status is SubmissionStatus.INVALID
    codes = {(i.code, i.attribute_names) for i in result.issues}
    assert ("25002", ("Brand",)) in codes
    assert ("25002", ("title",)) in codes


async def test_validate_only_asks_for_fees_and_never_publishes(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    good = await client.put_listing(listing("TEA-3"), validate_only=True)
    assert good.status is SubmissionStatus.VALID
    assert any(i.code == "fee.InsertionFee" for i in good.issues)
    offer = emulator.state.sellers[SELLER].offers[good.submission_id or ""]
    assert offer.status == "UNPUBLISHED"
    bad = await client.put_listing(
        listing("TEA-4", category="11700"), validate_only=True
    )
    assert bad.status is SubmissionStatus.INVALID
    assert [i.code for i in bad.issues] == ["25005"]


async def test_bulk_put_batches_by_25_and_settles_each_item(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    emulator.state.record_exchanges = True
    payloads = [listing(f"B-{i:02d}") for i in range(30)]
    payloads.insert(7, listing("B-BAD", aspects={}))
    results = await client.bulk_put_listings(payloads)
    publish = [
        status
        for _, path, status, _ in emulator.state.exchanges
        if path.endswith("/bulk_publish_offer")
    ]
    assert publish == [207, 200]  # the bad item is in the first 25
    assert [r.sku for r in results] == [p.sku for p in payloads]
    assert results[7].status is SubmissionStatus.INVALID
    assert {i.attribute_names for i in results[7].issues} == {("Brand",), ("Type",)}
    assert all(
        r.status is SubmissionStatus.DONE and r.listing_id
        for i, r in enumerate(results)
        if i != 7
    )
    for path in (
        "bulk_create_or_replace_inventory_item",
        "bulk_create_offer",
        "bulk_publish_offer",
    ):
        sizes = [len(body["requests"]) for *_, body in emulator.state.requests_to(path)]
        assert sizes == [25, 6]
    offers = emulator.state.sellers[SELLER].offers.values()
    assert sum(o.status == "PUBLISHED" for o in offers) == 30


async def test_partial_bulk_failure_loses_nothing_repeats_nothing_no_duplicates(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    payloads = [listing(f"P-{i}") for i in range(10)]
    emulator.state.script_item_fault("P-3")  # one per-item 500 in the 207
    emulator.state.script_fault(
        "/bulk_publish_offer", "drop_after"
    )  # published, answer lost
    results = await client.bulk_put_listings(payloads)
    assert all(r.status is SubmissionStatus.DONE for r in results), results
    item_calls = emulator.state.requests_to("bulk_create_or_replace_inventory_item")
    assert [[r["sku"] for r in body["requests"]] for *_, body in item_calls] == [
        [p.sku for p in payloads],
        ["P-3"],
    ]
    for p in payloads:
        assert len(offers_of(emulator, p.sku)) == 1

    rerun = await client.bulk_put_listings(
        [listing(f"P-{i}", price="30.00") for i in range(10)]
    )
    assert [r.submission_id for r in rerun] == [r.submission_id for r in results]
    for p in payloads:
        assert len(offers_of(emulator, p.sku)) == 1
    state = await client.get_listing("P-5")
    assert state is not None
    assert state.price == Decimal("30.00")


async def test_update_price_quantity_in_batches_of_25(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    results = await client.bulk_put_listings([listing(f"Q-{i}") for i in range(30)])
    updates = [
        PriceQuantityUpdate(
            r.sku, Decimal("9.99"), quantity=i, listing_id=r.submission_id
        )
        for i, r in enumerate(results)
    ]
    updates.append(
        PriceQuantityUpdate("Q-0", quantity=4)
    )  # no offer id: looked up by SKU
    done = await client.update_price_quantity(updates)
    assert [d.status for d in done] == [SubmissionStatus.DONE] * 31
    sizes = [
        len(b["requests"])
        for *_, b in emulator.state.requests_to("bulk_update_price_quantity")
    ]
    assert sizes == [25, 6]
    state = await client.get_listing("Q-7")
    assert state is not None
    assert (state.price, state.quantity) == (Decimal("9.99"), 7)


async def test_revisions_per_listing_per_day_are_budgeted(
    make_transport: MakeTransport,
) -> None:
    client = EbayInventoryClient(make_transport(max_revisions_per_listing_per_day=2))
    first = await client.put_listing(listing("R-1"))
    update = PriceQuantityUpdate("R-1", quantity=1, listing_id=first.submission_id)
    assert (await client.update_price_quantity([update]))[0].ok
    assert (await client.update_price_quantity([update]))[0].ok
    third = (await client.update_price_quantity([update]))[0]
    assert third.status is SubmissionStatus.INVALID
    assert third.issues[0].code == "revision_limit"


async def test_delete_listing_withdraws_then_deletes(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    await client.put_listing(listing("D-1"))
    result = await client.delete_listing("D-1")
    assert result.status is SubmissionStatus.DONE
    assert emulator.state.requests_to("/withdraw")
    assert await client.get_listing("D-1") is None
    assert (await client.delete_listing("D-1")).status is SubmissionStatus.DONE


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop"])
async def test_transient_failures_are_retried(
    client: EbayInventoryClient, emulator: EbayEmulator, kind: str
) -> None:
    await client.put_listing(listing("F-1"))
    emulator.state.script_fault("/inventory_item/F-1", kind, times=2)
    state = await client.get_listing("F-1")
    assert state is not None
    assert state.status is ListingStatus.LIVE


async def test_expired_access_token_is_refreshed_once_for_20_concurrent_calls(
    client: EbayInventoryClient, emulator: EbayEmulator, make_transport: MakeTransport
) -> None:
    await client.put_listing(listing("T-1"))
    tokens = client._t.tokens
    assert tokens.refresh_count == 1
    emulator.state.expire_access_tokens()
    states = await asyncio.gather(*(client.get_listing("T-1") for _ in range(20)))
    assert all(s is not None and s.status is ListingStatus.LIVE for s in states)
    assert tokens.refresh_count == 2
    assert emulator.state.token_calls["refresh_token"] == 2


async def test_revoked_refresh_token_is_an_authorization_error(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    await client.check_connection()
    emulator.state.revoke_refresh_tokens(SELLER)
    with pytest.raises(AuthorizationError) as caught:
        await client.check_connection()
    assert caught.value.code == "invalid_grant"
    calls = emulator.state.token_calls["refresh_token"]
    with pytest.raises(AuthorizationError):
        await client.get_listing("X")
    assert emulator.state.token_calls["refresh_token"] == calls


async def test_daily_call_budget_stops_before_calling(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    client = EbayInventoryClient(make_transport(daily_call_budget=2))
    await client.check_connection()
    await client.check_connection()
    with pytest.raises(TransientError) as caught:
        await client.check_connection()
    assert caught.value.retry_after
    assert caught.value.retry_after > 0
    assert len(emulator.state.requests_to("/inventory_item")) == 2


async def test_business_policies_pending_until_ebay_opts_the_seller_in(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    emulator.config.opt_in_delay = 3600
    client = EbayInventoryClient(make_transport("new_seller", opted_in=False))
    result = await client.put_listing(listing("N-1"))
    assert result.status is SubmissionStatus.INVALID
    assert result.issues[0].code == "setup_pending"
    setup = await client.setup.ensure()
    assert setup.opt_in == "pending"
    assert not setup.policies_ready
    assert setup.location_key == "daejeon-export-hub"
    emulator.state.sellers["new_seller"].opt_in_at = 0
    assert (await client.setup.ensure()).ready
    assert (await client.put_listing(listing("N-1"))).status is SubmissionStatus.DONE


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("bulk_create_or_replace_inventory_item", 25727),
        ("bulk_create_offer", 25730),
        ("bulk_publish_offer", 25730),
        ("bulk_update_price_quantity", 25727),
    ],
)
async def test_emulator_refuses_more_than_25_per_bulk_call(
    client: EbayInventoryClient, resource: str, code: int
) -> None:
    resp = await client._t.request(
        "POST",
        f"/sell/inventory/v1/{resource}",
        api="inventory",
        operation="test",
        json={"requests": [{"sku": f"X-{i}", "offerId": str(i)} for i in range(26)]},
        headers={"Content-Language": "en-US"},
        allow=(400,),
    )
    assert resp.status == 400
    assert [e["errorId"] for e in resp.body["errors"]] == [code]


async def test_publish_and_withdraw_send_no_body_and_no_content_type(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    """publishOffer/withdrawOffer define no request body in eBay's model."""
    assert (await client.put_listing(listing("NB-1"))).status is SubmissionStatus.DONE
    assert (await client.delete_listing("NB-1")).status is SubmissionStatus.DONE
    sent = emulator.state.bodyless_calls
    assert [path.rsplit("/", 1)[1] for path, *_ in sent] == ["publish", "withdraw"]
    assert {(content_type, size) for _, content_type, size in sent} == {(None, 0)}


async def test_a_whole_bulk_call_refused_with_400_settles_each_item(
    client: EbayInventoryClient, emulator: EbayEmulator
) -> None:
    """eBay refuses the first batch of 25 as a whole (400, no per-item
    answers): those items carry the call's error; the next batch still goes."""
    emulator.config.max_bulk = 2
    payloads = [listing(f"W-{i}") for i in range(27)]
    results = await client.bulk_put_listings(payloads)
    assert [r.sku for r in results] == [p.sku for p in payloads]
    refused, fine = results[:25], results[25:]
    assert all(r.status is SubmissionStatus.INVALID for r in refused)
    assert {tuple(i.code for i in r.issues) for r in refused} == {("25727",)}
    assert all(r.status is SubmissionStatus.DONE for r in fine), fine


class CannedTransport:
    """A transport answering every bulk call with one canned response."""

    def __init__(self, response: EbayResponse):
        self.response = response
        self.calls = 0

    async def request(self, *args: Any, **kwargs: Any) -> EbayResponse:
        assert 400 in kwargs["allow"]
        self.calls += 1
        return self.response


async def test_a_400_with_per_item_answers_settles_from_them() -> None:
    body = {
        "responses": [
            {"statusCode": 200, "sku": "A", "offerId": "1"},
            {
                "statusCode": 400,
                "sku": "B",
                "errors": [{"errorId": 25604, "message": "Bad price"}],
            },
        ]
    }
    transport = CannedTransport(EbayResponse(400, body, "req-1", {}))
    settled: dict[str, dict[str, Any]] = {}

    async def settle(sku: str, answer: dict[str, Any]) -> None:
        settled[sku] = answer

    await send_bulk(
        transport,  # type: ignore[arg-type]
        ["A", "B"],
        "bulk_create_offer",
        "inventory.bulk_create_offer",
        lambda sku: {"sku": sku},
        settle,
    )
    assert transport.calls == 1
    assert settled["A"]["statusCode"] == 200
    assert settled["B"]["errors"][0]["errorId"] == 25604


def test_a_400_without_answers_marks_every_item_with_the_calls_error() -> None:
    error = {"errorId": 25728, "message": "InventoryItems should be unique."}
    answers = answers_of(400, {"errors": [error]}, 3)
    assert answers == [{"statusCode": 400, "errors": [error]}] * 3
    assert answers_of(400, None, 2)[1]["statusCode"] == 400
    assert answers_of(207, {"responses": []}, 2) == []
