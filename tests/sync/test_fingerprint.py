"""The fingerprint moves with every input of the rendering, and only with
them; the planner decides an unchanged listing without rendering it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from export_hub.brand.config import BrandConfig, load_brand
from export_hub.brand.prepare import ExchangeRates
from export_hub.catalog.models import ProductImage
from export_hub.catalog.taxonomy import load_taxonomy
from export_hub.listings.sync.fingerprint import (
    account_context,
    image_stamp,
    listing_fingerprint,
)
from export_hub.listings.sync.plan import (
    Action,
    Candidate,
    PlanRules,
    Settled,
    plan,
    plan_one,
)
from export_hub.orders.restock import PUSH_DUE
from export_hub.pricing.config import PricingConfig, load_pricing
from export_hub.pricing.rates import RateInForce
from tests.sync.test_plan import NOW, URL, candidate, sent

UPDATED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def brand() -> BrandConfig:
    return load_brand(ROOT / "config" / "brand.toml")


@pytest.fixture(scope="module")
def pricing() -> PricingConfig:
    return load_pricing(ROOT / "config" / "pricing.toml")


@pytest.fixture(scope="module")
def rules(brand: BrandConfig) -> PlanRules:
    return PlanRules.from_brand(brand)


def fingerprint_of(
    c: Candidate,
    brand: BrandConfig,
    pricing: PricingConfig,
    *,
    taxonomy: object = None,
    version: int = 1,
    updated_at: dt.datetime = UPDATED,
    url: str = URL,
) -> str:
    context = account_context(
        brand,
        pricing,
        account=c.account,
        company=c.company,
        rates=c.rates,
        public_base_url=url,
        taxonomy=taxonomy or load_taxonomy(),  # type: ignore[arg-type]
    )
    return listing_fingerprint(
        context,
        product_id=c.product.id,
        version=version,
        updated_at=updated_at,
        state=str(c.product.state),
        quantity=c.quantity,
        images=[image_stamp(i) for i in c.images],
    )


def test_same_inputs_same_fingerprint(brand, pricing) -> None:
    a = fingerprint_of(candidate(), brand, pricing)
    assert a == fingerprint_of(candidate(), brand, pricing)
    assert len(a) == 32
    # Images in another order are the same images.
    two = [
        ProductImage(id=1, stored_name="1.jpg", position=0, sha256="a"),
        ProductImage(id=2, stored_name="2.jpg", position=1, sha256="b"),
    ]
    ordered = replace(candidate(), images=two)
    reversed_ = replace(candidate(), images=two[::-1])
    assert fingerprint_of(ordered, brand, pricing) == fingerprint_of(
        reversed_, brand, pricing
    )


def _with_image(c: Candidate) -> Candidate:
    image = ProductImage(id=1, stored_name="1-new.jpg", position=0)
    return replace(c, images=[image])


def _setup(c: Candidate) -> Candidate:
    c.account.setup = {**c.account.setup, "payment_policy_id": "p2"}
    return c


def _approved_brands(c: Candidate) -> Candidate:
    c.account.approved_brands = ["Hanbit Farm"]
    return c


def _branding(c: Candidate) -> Candidate:
    c.company.branding_mode = "own"
    return c


CHANGES: dict[str, Callable[[Candidate], Candidate]] = {
    "image": _with_image,
    "quantity": lambda c: replace(c, quantity=c.quantity - 1),
    "rate": lambda c: replace(
        c,
        rates=ExchangeRates(
            NOW.date(),
            {"USD": RateInForce("KRW", "USD", Decimal("0.00076"), NOW.date(), "t")},
        ),
    ),
    "seller setup": _setup,
    "approved brands": _approved_brands,
    "branding mode": _branding,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_input_moves_the_fingerprint(change: str, brand, pricing) -> None:
    before = fingerprint_of(candidate(), brand, pricing)
    after = fingerprint_of(CHANGES[change](candidate()), brand, pricing)
    assert after != before


def test_product_content_moves_the_fingerprint(brand, pricing) -> None:
    """An edit moves the product's version (ORM) or ``updated_at`` (any
    UPDATE of the row): either moves the fingerprint."""
    before = fingerprint_of(candidate(), brand, pricing)
    assert fingerprint_of(candidate(), brand, pricing, version=2) != before
    later = UPDATED + dt.timedelta(microseconds=1)
    assert fingerprint_of(candidate(), brand, pricing, updated_at=later) != before


def test_configuration_moves_the_fingerprint(brand, pricing) -> None:
    before = fingerprint_of(candidate(), brand, pricing)
    rebranded = brand.model_copy(
        update={"brand": brand.brand.model_copy(update={"line": "A new line"})}
    )
    assert fingerprint_of(candidate(), rebranded, pricing) != before
    repriced = pricing.model_copy(
        update={"fees": {**pricing.fees, "amazon": Decimal(99)}}
    )
    assert fingerprint_of(candidate(), brand, repriced) != before
    taxonomy = load_taxonomy()
    other = replace(
        taxonomy, aspect_labels={**taxonomy.aspect_labels, "Extra": "Extra"}
    )
    assert fingerprint_of(candidate(), brand, pricing, taxonomy=other) != before
    assert fingerprint_of(candidate(), brand, pricing, url=URL + "/x") != before


def test_unrelated_fields_leave_it(brand, pricing) -> None:
    before = fingerprint_of(candidate(), brand, pricing)
    c = candidate()
    c.account.last_check_at = NOW  # type: ignore[attr-defined]
    c.company.name_ko = "다른 이름"
    assert fingerprint_of(c, brand, pricing) == before


def settled_candidate(
    brand: BrandConfig, pricing: PricingConfig, rules: PlanRules, **changes: object
) -> Candidate:
    """A candidate whose listing was last sent with today's inputs."""
    c = candidate()
    fp = fingerprint_of(c, brand, pricing)
    listing = sent(c, brand, pricing, rules, sent_fingerprint=fp, **changes)
    return replace(candidate(), listing=listing, fingerprint=fp)


def test_settled_listing_is_planned_without_rendering(brand, pricing, rules) -> None:
    c = settled_candidate(brand, pricing, rules)
    # Content that no longer matches the (unchanged) fingerprint is not even
    # looked at: the fingerprint vouches for it.
    c.product.name_en = "Not rendered"
    assert plan_one(c, brand, pricing, rules, now=NOW, public_base_url=URL) == (
        "in_sync"
    )
    # Another fingerprint: rendered, and the change is found.
    moved = replace(c, fingerprint="0" * 32)
    work = plan_one(moved, brand, pricing, rules, now=NOW, public_base_url=URL)
    assert isinstance(work, list)
    assert [w.action for w in work] == [Action.UPDATE_CONTENT]
    assert work[-1].fingerprint == "0" * 32
    # force renders and re-sends.
    forced = plan_one(
        c, brand, pricing, rules, now=NOW, public_base_url=URL, force=True
    )
    assert isinstance(forced, list)
    assert [w.action for w in forced] == [Action.UPDATE_CONTENT]


def test_settled_quantity_is_still_reasserted(brand, pricing, rules) -> None:
    c = settled_candidate(brand, pricing, rules)
    assert c.listing is not None
    item = Settled(
        c.product.id, "approved", c.quantity, c.account, c.listing, c.fingerprint or ""
    )
    result = plan([item], brand, pricing, rules, now=NOW, public_base_url=URL)
    assert result.work == []
    assert result.skipped == {"in_sync": 1}
    later = NOW + rules.quantity_reassert
    (work,) = plan([item], brand, pricing, rules, now=later, public_base_url=URL).work
    assert (work.action, work.quantity, work.fingerprint) == (
        Action.UPDATE_QUANTITY,
        c.listing.sent_quantity,
        c.fingerprint,
    )
    assert work.hashes == {"quantity": c.listing.sent_hashes["quantity"]}
    # A sale on another channel marks it due at once.
    c.listing.last_quantity_assert_at = PUSH_DUE
    (work,) = plan([item], brand, pricing, rules, now=NOW, public_base_url=URL).work
    assert work.action is Action.UPDATE_QUANTITY


def test_settled_listing_still_ends_pauses_and_checks(brand, pricing, rules) -> None:
    c = settled_candidate(brand, pricing, rules)
    assert c.listing is not None
    assert c.fingerprint is not None
    item = Settled(c.product.id, "withdrawn", 5, c.account, c.listing, c.fingerprint)
    (work,) = plan([item], brand, pricing, rules, now=NOW, public_base_url=URL).work
    assert work.action is Action.END
    c.listing.in_doubt_operation = "update_quantity"
    item = replace(item, state="approved")
    (work,) = plan([item], brand, pricing, rules, now=NOW, public_base_url=URL).work
    assert work.action is Action.CHECK


def test_in_sync_by_rendering_refreshes_the_fingerprint(brand, pricing, rules) -> None:
    c = settled_candidate(brand, pricing, rules)
    assert c.listing is not None
    fresh = replace(c, fingerprint="f" * 32)
    result = plan([fresh], brand, pricing, rules, now=NOW, public_base_url=URL)
    assert result.skipped == {"in_sync": 1}
    assert result.fingerprints == {c.listing.id: "f" * 32}
    # Nothing to refresh when it is current, or the listing is not steady.
    assert (
        plan([c], brand, pricing, rules, now=NOW, public_base_url=URL).fingerprints
        == {}
    )
    c.listing.status = "needs_action"
    assert (
        plan([fresh], brand, pricing, rules, now=NOW, public_base_url=URL).fingerprints
        == {}
    )
