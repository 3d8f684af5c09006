"""Pending revisions: content edits of approved products wait for the staff.

A company's content edit of an approved product (names, descriptions,
bullets, images, brand, GTIN, product type, category, attributes, size and
weight, HS code, condition) does not touch the product row: it becomes the
product's one pending :class:`~export_hub.catalog.models.ProductRevision`.
The approved content stays live and keeps syncing stock and price. When the
staff approve, the revision's content is written onto the product (its
version moves, its state stays ``approved``) and the next sync sends it;
when they reject it (with a reason the company reads), the live content
stays. The company may edit its pending revision again or withdraw it.

Images: new uploads are stored as :class:`RevisionImage` rows, not attached
to the product; images to drop are named in ``remove_image_ids``. Approval
moves the new images onto the product and drops the named ones; rejection
and withdrawal drop the new uploads. Functions that drop images return the
stored names, for :meth:`ImageStore.discard` after the commit.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from export_hub.accounts.models import Company, User
from export_hub.catalog.images import (
    CheckedImage,
    ImageStore,
    check_image_count,
)
from export_hub.catalog.locking import STALE, check_version, ensure_sku_free
from export_hub.catalog.models import (
    AuditEvent,
    Product,
    ProductImage,
    ProductRevision,
    ReviewState,
    RevisionImage,
    RevisionState,
)
from export_hub.catalog.review import ReviewAction, clean_reason
from export_hub.catalog.validation import CONTENT_FIELDS, content_of, set_content
from export_hub.db import utcnow
from export_hub.errors import Conflict, NotFound, PermissionDenied, Text

#: Korean and English labels of the content fields, for the diff.
FIELD_LABELS: dict[str, Text] = {
    "sku": Text("SKU", "SKU"),
    "name_ko": Text("제품명 (국문)", "Name (Korean)"),
    "name_en": Text("제품명 (영문)", "Name (English)"),
    "description_ko": Text("제품 설명 (국문)", "Description (Korean)"),
    "description_en": Text("제품 설명 (영문)", "Description (English)"),
    "bullets_en": Text("영문 특징", "English bullet points"),
    "category": Text("카테고리", "Category"),
    "amazon_product_type": Text("아마존 상품 유형", "Amazon product type"),
    "ebay_categories": Text("사이트별 eBay 카테고리", "eBay category per site"),
    "marketplace_attributes": Text(
        "마켓플레이스 항목 (item specifics·속성)",
        "Marketplace fields (item specifics, attributes)",
    ),
    "brand": Text("브랜드", "Brand"),
    "gtin": Text("GTIN", "GTIN"),
    "gtin_exempt": Text("GTIN 면제", "GTIN exemption"),
    "hs_code": Text("HS 코드", "HS code"),
    "country_of_origin": Text("원산지", "Country of origin"),
    "weight_g": Text("무게 (g)", "Weight (g)"),
    "length_mm": Text("길이 (mm)", "Length (mm)"),
    "width_mm": Text("너비 (mm)", "Width (mm)"),
    "height_mm": Text("높이 (mm)", "Height (mm)"),
    "condition": Text("상품 상태", "Condition"),
}
IMAGES_LABEL = Text("이미지", "Images")
NO_PENDING = Text(
    "심사 대기 중인 변경 요청이 없습니다. 새로 고쳐 확인해 주세요.",
    "There is no pending revision. Reload to see the product's current state.",
)


@dataclass(frozen=True)
class Change:
    """One changed field: its label, the live value and the proposed one."""

    field: str
    label: Text
    old: str
    new: str


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "예 / yes" if value else "아니오 / no"
    if isinstance(value, list):
        return "\n".join(f"• {item}" for item in value) or "—"
    return str(value)


def revision_changes(product: Product, revision: ProductRevision) -> list[Change]:
    """Field by field, what approving ``revision`` would change (product's
    images and the revision's images loaded)."""
    live = content_of(product)
    changes = [
        Change(name, FIELD_LABELS[name], _shown(live[name]), _shown(new))
        for name in CONTENT_FIELDS
        if (new := revision.content.get(name)) != live[name]
    ]
    removed = [
        i.stored_name for i in product.images if i.id in revision.remove_image_ids
    ]
    added = [i.stored_name for i in revision.images]
    if removed or added:
        changes.append(
            Change(
                "images",
                IMAGES_LABEL,
                f"{len(product.images)}",
                f"{len(product.images) - len(removed) + len(added)}"
                f" (−{len(removed)} / +{len(added)})",
            )
        )
    return changes


async def pending_revision(
    db: AsyncSession, product_id: int, *, for_update: bool = False
) -> ProductRevision | None:
    """The product's pending revision (its images loaded), if any."""
    query = (
        select(ProductRevision)
        .where(
            ProductRevision.product_id == product_id,
            ProductRevision.state == RevisionState.PENDING,
        )
        .options(selectinload(ProductRevision.images))
    )
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def latest_revision(db: AsyncSession, product_id: int) -> ProductRevision | None:
    """The product's newest revision in any state (images loaded)."""
    return await db.scalar(
        select(ProductRevision)
        .where(ProductRevision.product_id == product_id)
        .order_by(ProductRevision.id.desc())
        .limit(1)
        .options(selectinload(ProductRevision.images))
    )


async def waiting_revisions(
    db: AsyncSession, *, limit: int = 200
) -> list[tuple[ProductRevision, Product, Company]]:
    """Pending revisions with their products and companies, oldest first."""
    rows = await db.execute(
        select(ProductRevision, Product, Company)
        .join(Product, Product.id == ProductRevision.product_id)
        .join(Company, Company.id == Product.company_id)
        .where(ProductRevision.state == RevisionState.PENDING)
        .order_by(ProductRevision.created_at, ProductRevision.id)
        .limit(limit)
    )
    return [(r, p, c) for r, p, c in rows]


def _ensure_approved(product: Product) -> None:
    if product.state is not ReviewState.APPROVED:
        raise Conflict(
            Text(
                "승인된 제품만 변경 요청을 만들 수 있습니다. 새로 고쳐 확인해 주세요.",
                "Only an approved product has revisions. Reload to see its state.",
            )
        )


async def _flush(db: AsyncSession) -> None:
    try:
        await db.flush()
    except (StaleDataError, IntegrityError) as exc:
        # A concurrent edit, or a second pending revision of the same product.
        raise Conflict(STALE) from exc


def _audit(
    db: AsyncSession,
    product: Product,
    actor: User | None,
    action: str,
    revision: ProductRevision,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    db.add(
        AuditEvent(
            actor_user_id=actor.id if actor else None,
            subject_type="product",
            subject_id=product.id,
            action=action,
            from_state=product.state.value,
            to_state=product.state.value,
            reason=reason,
            details={"revision": revision.id} | (details or {}),
        )
    )


async def _open(
    db: AsyncSession, product: Product, actor: User
) -> tuple[ProductRevision, bool]:
    revision = await pending_revision(db, product.id, for_update=True)
    if revision is not None:
        return revision, False
    revision = ProductRevision(
        product_id=product.id,
        state=RevisionState.PENDING,
        content=content_of(product),
        remove_image_ids=[],
        author_user_id=actor.id,
        images=[],
    )
    db.add(revision)
    return revision, True


def _is_noop(product: Product, revision: ProductRevision) -> bool:
    return (
        revision.content == content_of(product)
        and not revision.remove_image_ids
        and not revision.images
    )


async def _save(
    db: AsyncSession,
    product: Product,
    actor: User,
    revision: ProductRevision,
    created: bool,
    details: dict[str, Any],
) -> ProductRevision | None:
    """Keep a revision that changes something (else withdraw it); the product's
    version moves so another open form of it gets 409."""
    if _is_noop(product, revision):
        if created:
            db.expunge(revision)
            return None
        product.updated_at = utcnow()
        await _close(db, product, actor, revision, RevisionState.WITHDRAWN)
        return None
    product.updated_at = utcnow()
    await _flush(db)
    action = "revision_propose" if created else "revision_edit"
    _audit(db, product, actor, action, revision, details=details)
    return revision


async def propose_content(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    content: Mapping[str, Any],
) -> ProductRevision | None:
    """Make ``content`` (every content field, JSON values, validated) the
    approved product's pending revision: a new one, or the pending one edited.

    Content equal to the live content with no image change withdraws the
    pending revision; returns the pending revision or ``None``. The caller
    has checked the owner and the version.
    """
    _ensure_approved(product)
    await ensure_sku_free(db, product.company_id, str(content["sku"]), product.id)
    revision, created = await _open(db, product, actor)
    if not created and revision.content == dict(content):
        return revision
    revision.content = dict(content)
    live = content_of(product)
    changed = [n for n in CONTENT_FIELDS if content[n] != live[n]]
    return await _save(db, product, actor, revision, created, {"fields": changed})


async def add_revision_images(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    store: ImageStore,
    images: list[CheckedImage],
) -> list[str]:
    """Store new images in the pending revision (not on the live product).

    Returns the stored names to discard if the transaction fails.
    """
    if not images:
        return []
    _ensure_approved(product)
    revision, created = await _open(db, product, actor)
    kept = len(product.images) - len(revision.remove_image_ids)
    check_image_count(kept + len(revision.images), len(images))
    names: list[str] = []
    position = max((i.position for i in revision.images), default=-1) + 1
    for offset, image in enumerate(images):
        name = store.save(image)
        names.append(name)
        revision.images.append(
            RevisionImage(
                stored_name=name,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size_bytes=len(image.data),
                sha256=image.sha256,
                position=position + offset,
            )
        )
    await _save(db, product, actor, revision, created, {"add_images": names})
    return names


async def remove_live_image(
    db: AsyncSession, product: Product, *, actor: User, image_id: int
) -> None:
    """Propose dropping a live image (it stays until approval)."""
    _ensure_approved(product)
    if not any(img.id == image_id for img in product.images):
        raise NotFound(Text("이미지를 찾을 수 없습니다.", "No such image."))
    revision, created = await _open(db, product, actor)
    if image_id not in revision.remove_image_ids:
        revision.remove_image_ids = [*revision.remove_image_ids, image_id]
    await _save(db, product, actor, revision, created, {"remove_image": image_id})


async def remove_revision_image(
    db: AsyncSession, product: Product, *, actor: User, image_id: int
) -> str:
    """Drop an image uploaded with the pending revision; returns its stored
    name for discarding after commit."""
    revision = await pending_revision(db, product.id, for_update=True)
    image = (
        next((i for i in revision.images if i.id == image_id), None)
        if revision
        else None
    )
    if revision is None or image is None:
        raise NotFound(Text("이미지를 찾을 수 없습니다.", "No such image."))
    revision.images.remove(image)
    await _save(db, product, actor, revision, False, {"drop_image": image.stored_name})
    return image.stored_name


async def _close(
    db: AsyncSession,
    product: Product,
    actor: User,
    revision: ProductRevision,
    state: RevisionState,
    reason: str = "",
) -> list[str]:
    names = [i.stored_name for i in revision.images]
    revision.images.clear()
    revision.state = state
    revision.reason = reason
    revision.decided_at = utcnow()
    revision.decided_by_user_id = actor.id
    await _flush(db)
    action = {
        RevisionState.WITHDRAWN: "revision_withdraw",
        RevisionState.REJECTED: "revision_reject",
    }[state]
    _audit(
        db, product, actor, action, revision, reason=reason, details={"images": names}
    )
    return names


async def withdraw_revision(
    db: AsyncSession, product: Product, *, actor: User, expected_version: int | None
) -> list[str]:
    """The company takes its pending revision back; the live content stays.

    Returns the stored names of its new images, to discard after commit.
    """
    check_version(product, expected_version)
    revision = await pending_revision(db, product.id, for_update=True)
    if revision is None:
        raise Conflict(NO_PENDING)
    product.updated_at = utcnow()
    return await _close(db, product, actor, revision, RevisionState.WITHDRAWN)


def _check_revision(
    revision: ProductRevision | None, actor: User, expected_version: int | None
) -> ProductRevision:
    if not actor.is_staff:
        raise PermissionDenied(
            Text(
                "심사는 기관 담당자만 할 수 있습니다.",
                "Only agency staff review products.",
            )
        )
    if revision is None:
        raise Conflict(NO_PENDING)
    if expected_version is None or revision.version != expected_version:
        raise Conflict(
            Text(
                "기업이 변경 요청을 다시 수정했습니다."
                " 새로 고쳐 최신 내용을 확인해 주세요.",
                "The company changed its revision since. Reload to see the latest.",
            )
        )
    return revision


async def approve_revision(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    expected_version: int | None,
) -> tuple[ProductRevision, list[str]]:
    """Write the pending revision onto the product (images loaded); the state
    stays ``approved`` and the next sync sends the new content.

    ``expected_version`` is the revision's version the staff looked at.
    Returns the revision and the stored names of the dropped live images.
    """
    revision = _check_revision(
        await pending_revision(db, product.id, for_update=True), actor, expected_version
    )
    _ensure_approved(product)
    changed = [c.field for c in revision_changes(product, revision)]
    await ensure_sku_free(db, product.company_id, revision.content["sku"], product.id)
    set_content(product, revision.content)
    dropped = [i for i in product.images if i.id in revision.remove_image_ids]
    for image in dropped:
        product.images.remove(image)
    position = max((i.position for i in product.images), default=-1) + 1
    for offset, new in enumerate(revision.images):
        product.images.append(
            ProductImage(
                stored_name=new.stored_name,
                content_type=new.content_type,
                width=new.width,
                height=new.height,
                size_bytes=new.size_bytes,
                sha256=new.sha256,
                position=position + offset,
            )
        )
    revision.images.clear()
    revision.state = RevisionState.APPROVED
    revision.decided_at = product.reviewed_at = utcnow()
    revision.decided_by_user_id = actor.id
    product.updated_at = utcnow()
    # The new files now belong to product_images; the revision's rows go.
    await _flush(db)
    _audit(
        db, product, actor, "revision_approve", revision, details={"fields": changed}
    )
    return revision, [i.stored_name for i in dropped]


async def reject_revision(
    db: AsyncSession,
    product: Product,
    *,
    actor: User,
    reason: str,
    expected_version: int | None,
) -> tuple[ProductRevision, list[str]]:
    """Refuse the pending revision with a ``reason`` the company reads; the
    approved content stays live. Returns the revision and the stored names
    of its new images, to discard after commit."""
    reason = clean_reason(ReviewAction.REJECT, reason)
    revision = _check_revision(
        await pending_revision(db, product.id, for_update=True), actor, expected_version
    )
    names = await _close(db, product, actor, revision, RevisionState.REJECTED, reason)
    return revision, names
