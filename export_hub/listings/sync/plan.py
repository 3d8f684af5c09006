"""The sync planner: what to send for each (product, seller account), and in
which order. Pure: no I/O, no clock (``now`` is passed in).

For each candidate the planner prepares the listing with
:func:`export_hub.brand.prepare.prepare_listing` (price, quantity, rendering
and pre-flight: the very function behind the staff's preview), compares the
rendered part hashes with what was last sent (``Listing.sent_hashes``) and
plans only the difference:

* ``end``: the product was withdrawn or rejected, or is out of stock and the
  brand's sync rules say ``end`` (``zero`` keeps the listing at quantity 0);
* ``create``: never sent successfully (or ended and listable again);
* ``update_content``: title, texts, attributes or images changed (a full
  replace, which carries price and quantity too);
* ``update_price``: the price moved by more than the threshold (1 % default);
* ``update_quantity``: the quantity changed, or was last asserted longer ago
  than ``quantity_reassert_hours`` (a lost update must not oversell forever),
  or a sale on another channel marked it due
  (:data:`export_hub.orders.restock.PUSH_DUE`). When the content changed too,
  the quantity still goes first, on its own, ahead of the full replace;
* ``check``: an earlier operation's outcome is unknown: look it up first;
* ``preflight``: the pre-flight check failed: record the issues, send nothing.

A listing still managed through eBay's Trading API (``Candidate.trading_item``)
exists already: it is never created or replaced (its content is the
seller's until it is migrated); its quantity — whatever the product's review
state, since stock never waits for review — and, once the product is
approved, its price are compared with what was last sent and revised
(ReviseInventoryStatus, through the connector).

Unchanged listings are planned without rendering: a candidate carries the
fingerprint of its inputs (:mod:`export_hub.listings.sync.fingerprint`);
when it equals the fingerprint its listing was last brought in step with,
the rendering would be what was sent, so only the quantity re-assertion
(on its schedule, or marked due by a sale elsewhere) can be due. The loader
does not even load such a product (:class:`Settled`). The last work item
planned for a listing carries the fingerprint, recorded once the marketplace
accepted it; a listing found in sync by rendering has its fingerprint
refreshed (``Plan.fingerprints``).

Paused listings (``paused_until`` in the future) are skipped. Work is ordered
by priority — end and quantity first, then price, then content and new
listings — and ages: every ``aging_seconds`` of waiting raises an item one
priority level, so nothing starves.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Protocol

from connectors.base import ListingPayload
from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig
from export_hub.brand.prepare import ExchangeRates, prepare_listing
from export_hub.catalog.models import Product, ProductImage
from export_hub.errors import MarketplaceIssue
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig
from export_hub.pricing.engine import should_resend


class Action(enum.StrEnum):
    END = "end"
    CHECK = "check"
    UPDATE_QUANTITY = "update_quantity"
    UPDATE_PRICE = "update_price"
    UPDATE_CONTENT = "update_content"
    CREATE = "create"
    PREFLIGHT = "preflight"


#: Lower runs first.
PRIORITY: dict[Action, int] = {
    Action.END: 0,
    Action.CHECK: 0,
    Action.PREFLIGHT: 0,
    Action.UPDATE_QUANTITY: 1,
    Action.UPDATE_PRICE: 2,
    Action.UPDATE_CONTENT: 3,
    Action.CREATE: 3,
}
#: Actions that send the whole listing.
FULL = frozenset({Action.CREATE, Action.UPDATE_CONTENT})
OFFER = frozenset({Action.UPDATE_PRICE, Action.UPDATE_QUANTITY})


@dataclass(frozen=True)
class Candidate:
    """One product on one seller account, as loaded from the database."""

    product: Product
    company: Company
    account: SellerAccount
    images: Sequence[ProductImage]
    listing: Listing | None
    #: Units to offer: on hand − reserved − safety buffer, never below 0
    #: (:func:`export_hub.listings.sync.load.offered_quantity`).
    quantity: int
    rates: ExchangeRates
    #: The eBay ItemID when the listing is still managed through the Trading
    #: API (imported and linked, not yet migrated): only its price and
    #: quantity are ours to send (ReviseInventoryStatus); it is never created.
    trading_item: str | None = None
    #: Digest of everything the rendering depends on (``None``: unknown).
    fingerprint: str | None = None


class ListingView(Protocol):
    """What the planner reads of a settled listing: a
    :class:`~export_hub.listings.models.Listing` or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def sku(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def sent_hashes(self) -> dict[str, str]: ...
    @property
    def sent_quantity(self) -> int | None: ...
    @property
    def sent_currency(self) -> str: ...
    @property
    def sent_fingerprint(self) -> str | None: ...
    @property
    def in_doubt_operation(self) -> str | None: ...
    @property
    def paused_until(self) -> dt.datetime | None: ...
    @property
    def last_quantity_assert_at(self) -> dt.datetime | None: ...
    @property
    def last_submitted_at(self) -> dt.datetime | None: ...
    @property
    def pending_since(self) -> dt.datetime | None: ...
    @property
    def offer_id(self) -> str | None: ...


@dataclass(frozen=True)
class Settled:
    """A listed product whose inputs match its listing's sent fingerprint
    (:func:`is_settled`): planned from the listing alone, without loading or
    rendering the product."""

    product_id: int
    #: The product's review state.
    state: str
    quantity: int
    account: SellerAccount
    listing: ListingView
    fingerprint: str


@dataclass(frozen=True)
class Work:
    """One thing to do for one listing."""

    action: Action
    account_id: int
    product_id: int
    sku: str
    marketplace: str
    #: The listing row's id (``None``: to be created with the first send).
    listing_row_id: int | None = None
    payload: ListingPayload | None = None
    price: Decimal | None = None
    currency: str = "USD"
    quantity: int | None = None
    #: Part hashes to record once the marketplace accepted the work.
    hashes: Mapping[str, str] = field(default_factory=dict)
    #: The marketplace's ids (eBay offer id for price/quantity updates).
    marketplace_listing_id: str | None = None
    issues: tuple[MarketplaceIssue, ...] = ()
    waiting_since: dt.datetime | None = None
    #: Recorded on the listing once the marketplace accepted this item: the
    #: listing is then in step with these inputs. Only the listing's last
    #: item carries it (an earlier one clears it until the last succeeds).
    fingerprint: str | None = None

    def effective_priority(self, now: dt.datetime, aging_seconds: float) -> int:
        base = PRIORITY[self.action]
        if self.waiting_since is None or aging_seconds <= 0:
            return base
        waited = max((now - self.waiting_since).total_seconds(), 0.0)
        return base - int(waited // aging_seconds)


@dataclass
class Plan:
    """Ordered work plus what was deliberately left alone (and why)."""

    work: list[Work] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    #: listing row id -> fingerprint, for listings found in sync by
    #: rendering whose stored fingerprint is stale (nothing to send).
    fingerprints: dict[int, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return dict(Counter(w.action.value for w in self.work))

    @property
    def api_work(self) -> list[Work]:
        return [w for w in self.work if w.action is not Action.PREFLIGHT]


@dataclass(frozen=True)
class PlanRules:
    """The brand's sync rules as the planner needs them."""

    end_states: tuple[str, ...]
    out_of_stock_ends: bool
    price_threshold: Decimal
    quantity_reassert: dt.timedelta
    aging_seconds: float = 3600.0

    @classmethod
    def from_brand(
        cls, config: BrandConfig, *, aging_seconds: float = 3600.0
    ) -> PlanRules:
        rules = config.sync
        return cls(
            end_states=tuple(rules.end_states),
            out_of_stock_ends=rules.listing_action("approved", 0) == "end",
            price_threshold=rules.price_change_threshold,
            quantity_reassert=dt.timedelta(hours=rules.quantity_reassert_hours),
            aging_seconds=aging_seconds,
        )


def is_settled(listing: ListingView | None, fingerprint: str | None) -> bool:
    """Whether ``listing`` was last brought in step with exactly the inputs
    ``fingerprint`` stands for, so that planning it needs no rendering."""
    return (
        fingerprint is not None
        and listing is not None
        and listing.sent_fingerprint == fingerprint
        and _steady(listing)
    )


def _steady(listing: ListingView) -> bool:
    """Live or submitted with a full listing sent: a state a fingerprint can
    vouch for."""
    return (
        listing.status in ("live", "submitted")
        and bool(listing.sent_hashes.get("content"))
        and "quantity" in listing.sent_hashes
        and listing.sent_quantity is not None
    )


def _stale_fingerprint(
    candidate: Candidate | Settled, outcome: str
) -> tuple[int, str] | None:
    """(listing id, fingerprint) to store for a listing found in sync by
    rendering, when what it stores differs."""
    if outcome != "in_sync" or not isinstance(candidate, Candidate):
        return None
    listing, fingerprint = candidate.listing, candidate.fingerprint
    if (
        listing is None
        or fingerprint is None
        or candidate.trading_item is not None
        or listing.sent_fingerprint == fingerprint
        or not _steady(listing)
    ):
        return None
    return listing.id, fingerprint


def plan(
    candidates: Iterable[Candidate | Settled],
    config: BrandConfig,
    pricing: PricingConfig,
    rules: PlanRules,
    *,
    now: dt.datetime,
    public_base_url: str,
    force: bool = False,
) -> Plan:
    """Plan every candidate and order the work (see the module docstring).

    ``force`` re-sends every listable listing in full (after a marketplace
    lost its state, e.g. an emulator restarted).
    """
    result = Plan()
    for candidate in candidates:
        if isinstance(candidate, Settled):
            work = plan_settled(candidate, rules, now=now)
        else:
            work = plan_one(
                candidate,
                config,
                pricing,
                rules,
                now=now,
                public_base_url=public_base_url,
                force=force,
            )
        if isinstance(work, str):
            result.skipped[work] += 1
            stale = _stale_fingerprint(candidate, work)
            if stale is not None:
                result.fingerprints[stale[0]] = stale[1]
        else:
            result.work.extend(work)
    result.work.sort(
        key=lambda w: (
            w.effective_priority(now, rules.aging_seconds),
            w.waiting_since or now,
            w.product_id,
        )
    )
    return result


def plan_one(
    candidate: Candidate,
    config: BrandConfig,
    pricing: PricingConfig,
    rules: PlanRules,
    *,
    now: dt.datetime,
    public_base_url: str,
    force: bool = False,
) -> list[Work] | str:
    """The work for one candidate, or the reason there is none."""
    product, listing = candidate.product, candidate.listing
    base = _base(
        candidate.account,
        product.id,
        listing.sku if listing is not None else product.sku,
        listing,
        now,
    )
    if listing is not None and listing.paused_until and listing.paused_until > now:
        return "paused"
    if listing is not None and listing.in_doubt_operation:
        return [replace(base, action=Action.CHECK)]
    state = str(
        product.state.value if hasattr(product.state, "value") else product.state
    )
    ends = state in rules.end_states or (
        candidate.quantity <= 0 and rules.out_of_stock_ends
    )
    if ends:
        if listing is None or listing.status == "ended" or not _was_sent(listing):
            return "ended"
        return [replace(base, action=Action.END)]
    if candidate.trading_item is not None and listing is not None:
        return _plan_trading(
            candidate,
            listing,
            state,
            base,
            config,
            pricing,
            rules,
            now=now,
            public_base_url=public_base_url,
        )
    if state != "approved":
        return "not_approved"
    fingerprint = candidate.fingerprint
    if (
        not force
        and listing is not None
        and fingerprint is not None
        and is_settled(listing, fingerprint)
    ):
        return _settled_work(base, listing, fingerprint, rules, now)
    work = _plan_rendered(
        candidate,
        base,
        config,
        pricing,
        rules,
        now=now,
        public_base_url=public_base_url,
        force=force,
    )
    if isinstance(work, list) and work:
        work[-1] = replace(work[-1], fingerprint=candidate.fingerprint)
    return work


def plan_settled(
    item: Settled, rules: PlanRules, *, now: dt.datetime
) -> list[Work] | str:
    """The work for a :class:`Settled` listing, or the reason there is none."""
    listing = item.listing
    base = _base(item.account, item.product_id, listing.sku, listing, now)
    if listing.paused_until and listing.paused_until > now:
        return "paused"
    if listing.in_doubt_operation:
        return [replace(base, action=Action.CHECK)]
    if item.state in rules.end_states or (
        item.quantity <= 0 and rules.out_of_stock_ends
    ):
        return [replace(base, action=Action.END)]
    if item.state != "approved":
        return "not_approved"
    if not is_settled(listing, item.fingerprint):
        raise ValueError(f"listing {listing.id} is not settled")
    return _settled_work(base, listing, item.fingerprint, rules, now)


def _settled_work(
    base: Work,
    listing: ListingView,
    fingerprint: str,
    rules: PlanRules,
    now: dt.datetime,
) -> list[Work] | str:
    """Unchanged inputs: only the quantity re-assertion can be due, with what
    was last sent (the rendering would give the same)."""
    if not _reassert_due(listing, rules, now):
        return "in_sync"
    return [
        replace(
            base,
            action=Action.UPDATE_QUANTITY,
            quantity=listing.sent_quantity,
            currency=listing.sent_currency,
            hashes={"quantity": listing.sent_hashes["quantity"]},
            fingerprint=fingerprint,
        )
    ]


def _plan_rendered(
    candidate: Candidate,
    base: Work,
    config: BrandConfig,
    pricing: PricingConfig,
    rules: PlanRules,
    *,
    now: dt.datetime,
    public_base_url: str,
    force: bool,
) -> list[Work] | str:
    """Render the candidate and plan the difference with what was sent."""
    product, listing, account = candidate.product, candidate.listing, candidate.account
    prepared = prepare_listing(
        config,
        pricing,
        product=product,
        company=candidate.company,
        seller=account,
        images=candidate.images,
        quantity=candidate.quantity,
        rates=candidate.rates,
        public_base_url=public_base_url,
    )
    checked = prepared.result
    errors = tuple(i for i in checked.issues if i.severity == "ERROR")
    if errors or checked.rendered is None:
        issues = errors or checked.issues
        return [replace(base, action=Action.PREFLIGHT, issues=issues)]
    rendered = checked.rendered
    full = replace(
        base,
        payload=rendered.payload(),
        price=rendered.price,
        currency=rendered.currency,
        quantity=rendered.quantity,
        hashes=dict(rendered.hashes),
    )
    if (
        listing is None
        or listing.status == "ended"
        or not listing.sent_hashes.get("content")
    ):
        return [replace(full, action=Action.CREATE)]
    changed = set(rendered.changed_parts(listing.sent_hashes))
    quantity = replace(
        base,
        action=Action.UPDATE_QUANTITY,
        quantity=rendered.quantity,
        currency=rendered.currency,
        hashes={"quantity": rendered.hashes["quantity"]},
    )
    if force or changed & {"content", "images"}:
        content = replace(full, action=Action.UPDATE_CONTENT)
        # A full replace waits behind all quantity work; a changed quantity
        # (a sale elsewhere) must not wait with it.
        return [quantity, content] if "quantity" in changed else [content]
    work: list[Work] = []
    if "quantity" in changed or _reassert_due(listing, rules, now):
        work.append(quantity)
    if "price" in changed and _price_moved(
        listing, rendered.price, rendered.currency, rules
    ):
        work.append(
            replace(
                base,
                action=Action.UPDATE_PRICE,
                price=rendered.price,
                currency=rendered.currency,
                hashes={"price": rendered.hashes["price"]},
            )
        )
    return work or "in_sync"


def _plan_trading(
    candidate: Candidate,
    listing: Listing,
    state: str,
    base: Work,
    config: BrandConfig,
    pricing: PricingConfig,
    rules: PlanRules,
    *,
    now: dt.datetime,
    public_base_url: str,
) -> list[Work] | str:
    """Price and quantity of a listing managed through the Trading API,
    compared with what was last sent (or read from eBay when it was linked)."""
    prepared = prepare_listing(
        config,
        pricing,
        product=candidate.product,
        company=candidate.company,
        seller=candidate.account,
        images=candidate.images,
        quantity=candidate.quantity,
        rates=candidate.rates,
        public_base_url=public_base_url,
    )
    quantity = candidate.quantity if prepared.action == "list" else 0
    base = replace(base, marketplace_listing_id=candidate.trading_item)
    work: list[Work] = []
    if listing.sent_quantity != quantity or _reassert_due(listing, rules, now):
        work.append(replace(base, action=Action.UPDATE_QUANTITY, quantity=quantity))
    quote = prepared.quote
    if (
        state == "approved"
        and quote is not None
        and _price_moved(listing, quote.price, quote.currency, rules)
    ):
        work.append(
            replace(
                base,
                action=Action.UPDATE_PRICE,
                price=quote.price,
                currency=quote.currency,
            )
        )
    return work or "in_sync"


def _base(
    account: SellerAccount,
    product_id: int,
    sku: str,
    listing: ListingView | None,
    now: dt.datetime,
) -> Work:
    """The work item before an action is chosen."""
    return Work(
        action=Action.CHECK,
        account_id=account.id,
        product_id=product_id,
        sku=sku,
        marketplace=account.marketplace,
        listing_row_id=listing.id if listing is not None else None,
        # eBay price/quantity updates need the offer id (looked up by SKU
        # when unknown); Amazon needs none.
        marketplace_listing_id=listing.offer_id if listing is not None else None,
        waiting_since=(
            listing.pending_since
            if listing is not None and listing.pending_since
            else now
        ),
    )


def _was_sent(listing: Listing) -> bool:
    return bool(listing.sent_hashes) or bool(listing.listing_id or listing.offer_id)


def _reassert_due(listing: ListingView, rules: PlanRules, now: dt.datetime) -> bool:
    if listing.status not in ("live", "submitted"):
        return False
    last = listing.last_quantity_assert_at or listing.last_submitted_at
    return last is None or now - last >= rules.quantity_reassert


def _price_moved(
    listing: Listing, price: Decimal, currency: str, rules: PlanRules
) -> bool:
    if currency != listing.sent_currency or listing.sent_price is None:
        return True
    return should_resend(Decimal(listing.sent_price), price, rules.price_threshold)
