"""Product operations: create, edit, submit, review, delete.

Every function takes the caller's session and never commits; the handler owns
the transaction, so a failure anywhere leaves nothing half-saved. Edits name
the version they started from (optimistic locking): a stale one raises
``Conflict`` (409) instead of overwriting someone else's change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.images import CheckedImage, ImageStore, attach_images
from export_hub.catalog.models import AuditEvent, Product, ReviewState
from export_hub.catalog.review import (
    STAFF_ACTIONS,
    ReviewAction,
    clean_reason,
    next_state,
    record_transition,
    state_after_edit,
)
from export_hub.catalog.validation import ProductFields
from export_hub.db import utcnow
from export_hub.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Text,
    ValidationFailed,
)

STALE = Text(
    "다른 사람이 먼저 이 제품을 수정했습니다."
    " 새로 고쳐 최신 내용을 확인한 뒤 다시 저장해 주세요.",
    "Someone else changed this product first. Reload to see the latest version,"
    " then save again.",
)
DUPLICATE_SKU = Text("이미 등록된 SKU입니다.", "This SKU is already in use.")
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


def check_version(product: Product, expected_version: int | None) -> None:
    """Raise ``Conflict`` when the caller edited an older version."""
    if expected_version is None or expected_version != product.version:
        raise Conflict(STALE)


async def _ensure_sku_free(
    db: AsyncSession, company_id: int, sku: str, product_id: int | None = None
) -> None:
    query = select(Product.id).where(
        Product.company_id == company_id, Product.sku == sku
    )
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if await db.scalar(query) is not None:
        raise ValidationFailed({"sku": DUPLICATE_SKU})


async def _flush(db: AsyncSession) -> None:
    try:
        await db.flush()
    except StaleDataError as exc:
        raise Conflict(STALE) from exc
    except IntegrityError as exc:
        # Two concurrent creates of the same SKU: the unique key decides.
        raise ValidationFailed({"sku": DUPLICATE_SKU}) from exc


async def create_product(
    db: AsyncSession,
    *,
    company: Company,
    actor: User | None,
    fields: ProductFields,
    submit: bool = False,
) -> Product:
    """Add a product in ``draft`` (or ``submitted`` with ``submit``), audited."""
    await _ensure_sku_free(db, company.id, fields.sku)
    product = Product(company_id=company.id, state=ReviewState.DRAFT, images=[])
    fields.apply_to(product)
    db.add(product)
    await _flush(db)
    record_transition(
        db,
        product=product,
        actor=actor,
        action="create",
        from_state=None,
        to_state=ReviewState.DRAFT,
        details={"sku": product.sku},
    )
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
) -> Product:
    """Replace the product's content with ``fields`` as its company.

    ``changes_requested`` goes back to ``draft``; ``approved`` goes back to
    ``submitted`` for another review. A rejected product cannot be edited.
    Raises ``Conflict`` if ``expected_version`` is not the current version.
    """
    _ensure_company_owner(product, actor)
    check_version(product, expected_version)
    state_after_edit(product.state)  # a final state refuses before any change
    if fields.differs_from(product):
        await _ensure_sku_free(db, product.company_id, fields.sku, product.id)
        fields.apply_to(product)
        await _record_edit(db, product, actor, "edit")
    if submit and product.state in (ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED):
        await submit_product(db, product, actor=actor)
    return product


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
        reason = (
            "edited after approval: needs another review"
            if before is ReviewState.APPROVED
            else "edited after a request for changes"
        )
    await _flush(db)
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
    only); the next sync ends its listings. Raises ``Conflict`` otherwise."""
    return await _company_transition(
        db, product, actor, ReviewAction.WITHDRAW, expected_version
    )


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
    await _flush(db)
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
    await _flush(db)
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
    await _flush(db)


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

    New images are an edit: an approved product goes back to review. Returns
    the stored names for :meth:`ImageStore.discard` if the transaction fails.
    """
    if not images:
        return []
    _ensure_company_owner(product, actor)
    state_after_edit(product.state)
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
) -> str:
    """Detach one image (its file is the caller's to discard after commit)."""
    _ensure_company_owner(product, actor)
    check_version(product, expected_version)
    image = next((img for img in product.images if img.id == image_id), None)
    if image is None:
        raise NotFound(Text("이미지를 찾을 수 없습니다.", "No such image."))
    product.images.remove(image)
    await _record_edit(db, product, actor, "remove_image", {"image": image.stored_name})
    return image.stored_name
