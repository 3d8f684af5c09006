"""Product operations: create, edit, submit, review, delete.

Every function takes the caller's session and never commits; the handler owns
the transaction, so a failure anywhere leaves nothing half-saved. Edits name
the version they started from (optimistic locking, :mod:`.locking`): a stale
one raises ``Conflict`` (409) instead of overwriting someone else's change.
Stock and prices change without review (:mod:`.operations`); content edits
of an approved product become a pending revision (:mod:`.revisions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.images import CheckedImage, ImageStore, attach_images
from export_hub.catalog.locking import (
    DUPLICATE_SKU,
    STALE,
    check_version,
    ensure_sku_free,
    flush,
)
from export_hub.catalog.models import AuditEvent, Product, ProductRevision, ReviewState
from export_hub.catalog.operations import apply_operations
from export_hub.catalog.review import (
    STAFF_ACTIONS,
    ReviewAction,
    clean_reason,
    next_state,
    record_transition,
    state_after_edit,
)
from export_hub.catalog.revisions import (
    add_revision_images,
    pending_revision,
    propose_content,
    remove_live_image,
    withdraw_revision,
)
from export_hub.catalog.validation import (
    CONTENT_FIELDS,
    OPERATION_FIELDS,
    ProductFields,
)
from export_hub.db import utcnow
from export_hub.errors import Conflict, NotFound, PermissionDenied, Text
from export_hub.stock.ledger import set_on_hand
from export_hub.stock.models import Cause

__all__ = ["DUPLICATE_SKU", "STALE", "check_version"]

DELETABLE = frozenset(
    {ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED}
)


async def get_product_for(
    db: AsyncSession, user: User, product_id: int, *, with_images: bool = True
) -> Product:
    """The product if ``user`` may see it: staff see all, a company its own.

    Raises ``NotFound`` otherwise, so another company's ids reveal nothing.
    """
    query = select(Product).where(Product.id == product_id)
    if with_images:
        query = query.options(selectinload(Product.images))
    if not user.is_staff:
        if user.role is not Role.COMPANY or user.company_id is None:
            raise NotFound()
        query = query.where(Product.company_id == user.company_id)
    product = await db.scalar(query)
    if product is None:
        raise NotFound(Text("제품을 찾을 수 없습니다.", "No such product."))
    return product


async def create_product(
    db: AsyncSession,
    *,
    company: Company,
    actor: User | None,
    fields: ProductFields,
    submit: bool = False,
    cause: Cause = Cause.OPENING,
) -> Product:
    """Add a product in ``draft`` (or ``submitted`` with ``submit``), audited.

    Its initial stock on hand is the ledger's opening movement (``cause``).
    """
    await ensure_sku_free(db, company.id, fields.sku)
    product = Product(
        company_id=company.id, state=ReviewState.DRAFT, quantity=0, images=[]
    )
    fields.apply_content(product)
    db.add(product)
    await flush(db)
    record_transition(
        db,
        product=product,
        actor=actor,
        action="create",
        from_state=None,
        to_state=ReviewState.DRAFT,
        details={"sku": product.sku},
    )
    await set_on_hand(
        db,
        product.id,
        fields.quantity,
        cause=cause,
        actor_user_id=actor.id if actor else None,
    )
    set_committed_value(product, "quantity", fields.quantity)
    if submit and actor is not None:
        await submit_product(db, product, actor=actor)
    return product


def _ensure_company_owner(product: Product, actor: User) -> None:
    if actor.role is not Role.COMPANY or actor.company_id != product.company_id:
        raise PermissionDenied(
            Text(
                "제품은 해당 기업만 수정할 수 있습니다.",
                "Only the company edits its products.",
            )
        )


async def update_product(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    fields: ProductFields,
    expected_version: int | None,
    submit: bool = False,
    operations: Mapping[str, Any] | None = None,
) -> ProductRevision | None:
    """Edit the product as its company: stock and prices at once, content by
    the rules of its state.

    ``operations`` are the validated stock, price and buffer changes
    (:func:`export_hub.catalog.operations.clean_operations`); when ``None``,
    the prices of ``fields`` apply and its quantity sets on hand. Stock and
    prices never change the state. Content changes of an approved product
    become its pending revision (returned); of a product not yet approved,
    they apply at once (``changes_requested`` goes back to ``draft``). A
    rejected or withdrawn product cannot be edited. Raises ``Conflict`` if
    ``expected_version`` is not the current version.
    """
    _ensure_company_owner(product, actor)
    check_version(product, expected_version)
    state_after_edit(product.state)  # a final state refuses before any change
    if operations is None:
        operations = {name: getattr(fields, name) for name in OPERATION_FIELDS}
    await apply_operations(db, product, actor=actor, changes=operations)
    if product.state is ReviewState.APPROVED:
        return await propose_content(db, product, actor=actor, content=fields.content())
    if fields.content_differs_from(product):
        await ensure_sku_free(db, product.company_id, fields.sku, product.id)
        for name in CONTENT_FIELDS:
            setattr(product, name, getattr(fields, name))
        await _record_edit(db, product, actor, "edit")
    if submit and product.state in (ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED):
        await submit_product(db, product, actor=actor)
    return None


async def edit_operations(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> dict[str, list[Any]]:
    """Set stock on hand, prices or the buffer as the product's company, in
    any review state and without review (the state never changes), audited.

    Raises ``Conflict`` if ``expected_version`` is stale; an order that moved
    reserved or shipped units since does not make it stale.
    """
    _ensure_company_owner(product, actor)
    check_version(product, expected_version)
    return await apply_operations(db, product, actor=actor, changes=changes)


async def _record_edit(
    db: AsyncSession,
    product: Product,
    actor: User,
    action: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Move an edited product to its after-edit state, flush, and audit it."""
    before = product.state
    after = state_after_edit(before)
    product.updated_at = utcnow()  # bumps the version even if only images changed
    reason = ""
    if after is not before:
        _move(product, after)
        reason = "edited after a request for changes"
    await flush(db)
    record_transition(
        db,
        product=product,
        actor=actor,
        action=action,
        from_state=before,
        to_state=after,
        reason=reason,
        details=details,
    )


def _move(product: Product, state: ReviewState) -> None:
    product.state = state
    now = utcnow()
    if state is ReviewState.SUBMITTED:
        product.submitted_at = now
    elif state in (
        ReviewState.APPROVED,
        ReviewState.CHANGES_REQUESTED,
        ReviewState.REJECTED,
    ):
        product.reviewed_at = now


async def submit_product(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    expected_version: int | None = None,
) -> Product:
    """Send the product for review (``draft``/``changes_requested``/``withdrawn``
    → ``submitted``)."""
    return await _company_transition(
        db, product, actor, ReviewAction.SUBMIT, expected_version
    )


async def withdraw_product(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    expected_version: int | None = None,
) -> Product:
    """Take a submitted or approved product off the programme (its company
    only); the next sync ends its listings. A pending revision is withdrawn
    with it. Raises ``Conflict`` otherwise."""
    await _company_transition(
        db, product, actor, ReviewAction.WITHDRAW, expected_version
    )
    revision = await pending_revision(db, product.id, for_update=True)
    if revision is not None:
        await withdraw_revision(
            db, product, actor=actor, expected_version=product.version
        )
    return product


async def _company_transition(
    db: AsyncSession,
    product: Product,
    actor: User,
    action: ReviewAction,
    expected_version: int | None,
) -> Product:
    _ensure_company_owner(product, actor)
    if expected_version is not None:
        check_version(product, expected_version)
    before = product.state
    after = next_state(before, action)
    _move(product, after)
    await flush(db)
    record_transition(
        db,
        product=product,
        actor=actor,
        action=action.value,
        from_state=before,
        to_state=after,
    )
    return product


async def review_product(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    action: ReviewAction,
    reason: str = "",
    expected_version: int | None = None,
) -> Product:
    """Approve, request changes or reject a submitted product (staff only).

    Requests for changes and rejections need a ``reason``, which the company
    sees. Raises ``PermissionDenied``, ``ValidationFailed`` or ``Conflict``.
    """
    if not actor.is_staff or action not in STAFF_ACTIONS:
        raise PermissionDenied(
            Text(
                "심사는 기관 담당자만 할 수 있습니다.",
                "Only agency staff review products.",
            )
        )
    reason = clean_reason(action, reason)
    if expected_version is not None:
        check_version(product, expected_version)
    before = product.state
    after = next_state(before, action)
    _move(product, after)
    product.review_reason = reason if action is not ReviewAction.APPROVE else ""
    await flush(db)
    record_transition(
        db,
        product=product,
        actor=actor,
        action=action.value,
        from_state=before,
        to_state=after,
        reason=reason,
    )
    return product


async def delete_product(
    db: AsyncSession, product: Product, *, actor: User, expected_version: int | None
) -> None:
    """Delete a product that is not under review or approved (its company only)."""
    _ensure_company_owner(product, actor)
    check_version(product, expected_version)
    if product.state not in DELETABLE:
        raise Conflict(
            Text(
                "심사 중이거나 승인된 제품은 삭제할 수 없습니다.",
                "A product under review or approved cannot be deleted.",
            )
        )
    record_transition(
        db,
        product=product,
        actor=actor,
        action="delete",
        from_state=product.state,
        to_state=None,
        details={"sku": product.sku},
    )
    await db.delete(product)
    await flush(db)


async def product_history(db: AsyncSession, product_id: int) -> list[AuditEvent]:
    """The product's audit trail, oldest first."""
    rows = await db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "product", AuditEvent.subject_id == product_id
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(rows)


async def add_images(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    store: ImageStore,
    images: list[CheckedImage],
) -> list[str]:
    """Store and attach checked images (``product.images`` loaded).

    New images are an edit: on an approved product they join its pending
    revision (the live images stay until staff approve). Returns the stored
    names for :meth:`ImageStore.discard` if the transaction fails.
    """
    if not images:
        return []
    _ensure_company_owner(product, actor)
    state_after_edit(product.state)
    if product.state is ReviewState.APPROVED:
        return await add_revision_images(
            db, product, actor=actor, store=store, images=images
        )
    names = attach_images(product, store, images)
    await _record_edit(db, product, actor, "add_images", {"images": names})
    return names


async def remove_image(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    image_id: int,
    expected_version: int | None,
) -> str | None:
    """Detach one image; returns the stored name whose file the caller
    discards after commit (``None`` when nothing is discarded yet: on an
    approved product the removal joins the pending revision)."""
    _ensure_company_owner(product, actor)
    check_version(product, expected_version)
    if product.state is ReviewState.APPROVED:
        await remove_live_image(db, product, actor=actor, image_id=image_id)
        return None
    image = next((img for img in product.images if img.id == image_id), None)
    if image is None:
        raise NotFound(Text("이미지를 찾을 수 없습니다.", "No such image."))
    product.images.remove(image)
    await _record_edit(db, product, actor, "remove_image", {"image": image.stored_name})
    return image.stored_name
