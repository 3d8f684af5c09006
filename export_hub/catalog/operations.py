"""Stock and price: operations on a product that never wait for review.

The stock on hand (moved only through :mod:`export_hub.stock.ledger`), the
prices (cost, KRW price, target USD price) and the product's safety buffer
change at once, whatever the review state, and reach the marketplaces at the
next sync turn. Each change is audited (``stock_price_edit``, or
``stock_import`` from a bulk file) with its old and new values; a change of
on hand is also a ledger movement naming the actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from export_hub.accounts.models import Company, User
from export_hub.catalog.locking import flush
from export_hub.catalog.models import AuditEvent, Product
from export_hub.catalog.validation import PRICE_FIELDS, clean_integer, clean_usd
from export_hub.errors import FieldErrors, Text
from export_hub.stock.ledger import (
    MAX_ON_HAND,
    available,
    safety_buffer,
    set_on_hand,
)
from export_hub.stock.models import Cause

#: Inputs an operation may carry (``stock_buffer``: the product's override).
OPERATION_INPUTS = ("quantity", *PRICE_FIELDS, "stock_buffer")
MAX_BUFFER = 10_000
LABELS: dict[str, Text] = {
    "quantity": Text("보유 재고", "On hand"),
    "cost_krw": Text("원가 (원)", "Cost (KRW)"),
    "price_krw": Text("판매가 (원)", "Price (KRW)"),
    "target_price_usd": Text("목표 가격 (USD)", "Target price (USD)"),
    "stock_buffer": Text("안전 재고", "Safety buffer"),
}


@dataclass(frozen=True)
class StockView:
    """What the pages show: on hand (보유 재고), reserved (주문 대기), the
    buffer that applies and available (판매 가능) = on hand − reserved − buffer."""

    on_hand: int
    reserved: int
    buffer: int

    @property
    def available(self) -> int:
        return available(self.on_hand, self.reserved, self.buffer)


def stock_view(product: Product, company: Company | None, default: int) -> StockView:
    """The product's stock with the buffer that applies to it."""
    buffer = safety_buffer(
        default, company.stock_buffer if company else None, product.stock_buffer
    )
    return StockView(product.quantity, product.reserved, buffer)


def clean_buffer(
    raw: Any, errors: FieldErrors, name: str = "stock_buffer"
) -> int | None:
    """An optional safety buffer override: empty is ``None`` (inherit)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = clean_integer(raw, errors, name, minimum=0)
    if value > MAX_BUFFER:
        errors.add(
            name,
            f"안전 재고는 {MAX_BUFFER:,} 이하입니다.",
            f"The safety buffer is at most {MAX_BUFFER:,}.",
        )
    return value


def clean_operations(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the operation inputs present in ``data`` (others untouched).

    Raises ``ValidationFailed`` naming every bad field, in Korean and English.
    """
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    if "quantity" in data:
        quantity = clean_integer(data["quantity"], errors, "quantity", minimum=0)
        if quantity > MAX_ON_HAND:
            errors.add(
                "quantity",
                f"보유 재고는 {MAX_ON_HAND:,} 이하입니다.",
                f"On hand is at most {MAX_ON_HAND:,}.",
            )
        changes["quantity"] = quantity
    for name in ("cost_krw", "price_krw"):
        if name in data:
            changes[name] = clean_integer(data[name], errors, name, minimum=1)
    if "target_price_usd" in data:
        raw = data["target_price_usd"]
        text = "" if raw is None else str(raw).strip()
        changes["target_price_usd"] = clean_usd(text, errors)
    if "stock_buffer" in data:
        changes["stock_buffer"] = clean_buffer(data["stock_buffer"], errors)
    errors.raise_if_any()
    return changes


def _json(value: Any) -> Any:
    return f"{value:.2f}" if isinstance(value, Decimal) else value


async def apply_operations(
    db: AsyncSession,
    product: Product,
    *,
    actor: User | None,
    changes: Mapping[str, Any],
    cause: Cause = Cause.EDIT,
    note: str = "",
) -> dict[str, list[Any]]:
    """Apply validated stock, price and buffer ``changes`` now, audited.

    No review and no state change. Prices and the buffer are an ORM update
    of the product (the version moves, so a stale form gets 409); on hand is
    set through the ledger (:func:`export_hub.stock.ledger.set_on_hand`),
    which does not move the version. Returns ``{field: [old, new]}`` of what
    actually changed (empty: nothing recorded).
    """
    changed: dict[str, list[Any]] = {}
    for name in (*PRICE_FIELDS, "stock_buffer"):
        if name in changes and getattr(product, name) != changes[name]:
            changed[name] = [_json(getattr(product, name)), _json(changes[name])]
            setattr(product, name, changes[name])
    if changed:
        await flush(db)
    if "quantity" in changes:
        quantity = int(changes["quantity"])
        delta = await set_on_hand(
            db,
            product.id,
            quantity,
            cause=cause,
            actor_user_id=actor.id if actor else None,
            note=note,
        )
        # The ledger updated the row directly: show the object the new total
        # without marking it changed (that would move the version).
        set_committed_value(product, "quantity", quantity)
        if delta:
            changed["quantity"] = [quantity - delta, quantity]
    if changed:
        db.add(
            AuditEvent(
                actor_user_id=actor.id if actor else None,
                subject_type="product",
                subject_id=product.id,
                action="stock_import" if cause is Cause.IMPORT else "stock_price_edit",
                from_state=product.state.value,
                to_state=product.state.value,
                reason=note,
                details={"changes": changed},
            )
        )
    return changed
