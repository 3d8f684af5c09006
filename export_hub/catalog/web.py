"""Company pages for products (list, form with images, detail) and image serving."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.web import form_values
from export_hub.catalog import stock_web
from export_hub.catalog.attributes import collect_form_inputs, marketplace_form
from export_hub.catalog.images import (
    STORED_NAME_PATTERN,
    CheckedImage,
    ImageStore,
    check_image_count,
    check_image_file,
)
from export_hub.catalog.locking import check_version
from export_hub.catalog.models import (
    Condition,
    Product,
    ProductImage,
    ProductRevision,
    RevisionImage,
)
from export_hub.catalog.operations import (
    OPERATION_INPUTS,
    StockView,
    clean_operations,
    stock_view,
)
from export_hub.catalog.queries import company_products
from export_hub.catalog.review import STATE_LABELS
from export_hub.catalog.revisions import (
    latest_revision,
    pending_revision,
    remove_revision_image,
    revision_changes,
    withdraw_revision,
)
from export_hub.catalog.service import (
    add_images,
    create_product,
    delete_product,
    get_product_for,
    product_history,
    remove_image,
    submit_product,
    update_product,
    withdraw_product,
)
from export_hub.catalog.stock_web import default_buffer
from export_hub.catalog.taxonomy import SearchHit, load_taxonomy
from export_hub.catalog.validation import clean_product, product_form_values
from export_hub.errors import Conflict, NotFound, Text, ValidationFailed
from export_hub.validation import parse_id
from export_hub.web.auth import load_user, require_user
from export_hub.web.keys import CPU_WORK, SESSIONS, SETTINGS
from export_hub.web.render import render

CONDITIONS = [
    (Condition.NEW.value, Text("새 상품", "New")),
    (Condition.REFURBISHED.value, Text("리퍼브", "Refurbished")),
    (Condition.USED.value, Text("중고", "Used")),
]


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/company", product_list, name="company_products")
    r.add_get("/company/products/new", new_product_page)
    r.add_post("/company/products", create_product_submit)
    r.add_get("/company/products/{product_id:\\d+}", product_detail)
    r.add_get("/company/products/{product_id:\\d+}/edit", edit_product_page)
    r.add_post("/company/products/{product_id:\\d+}", update_product_submit)
    r.add_post("/company/products/{product_id:\\d+}/submit", submit_submit)
    r.add_post("/company/products/{product_id:\\d+}/withdraw", withdraw_submit)
    r.add_post("/company/products/{product_id:\\d+}/delete", delete_submit)
    r.add_post(
        "/company/products/{product_id:\\d+}/images/{image_id:\\d+}/delete",
        image_delete_submit,
    )
    r.add_post(
        "/company/products/{product_id:\\d+}/revision/withdraw", revision_withdraw
    )
    r.add_post(
        "/company/products/{product_id:\\d+}/revision/images/{image_id:\\d+}/delete",
        revision_image_delete,
    )
    r.add_get("/company/taxonomy/search", taxonomy_search_page)
    r.add_get("/company/taxonomy/search.json", taxonomy_search_json)
    r.add_get(f"/media/{{name:{STORED_NAME_PATTERN}}}", media)
    stock_web.setup(app)


def image_store(request: web.Request) -> ImageStore:
    return ImageStore(request.app[SETTINGS].web.upload_dir)


def _product_id(request: web.Request) -> int:
    return parse_id(request.match_info["product_id"])


def _version(values: dict[str, str]) -> int | None:
    try:
        return int(values.get("version", ""))
    except ValueError:
        return None


async def product_list(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    async with request.app[SESSIONS]() as db:
        company = await db.get(Company, user.company_id)
        products = await company_products(db, user.company_id or 0)
    return await render(
        request,
        "company/products.html",
        {"company": company, "products": products, "labels": STATE_LABELS},
    )


def _form_context(
    product: Product | None,
    values: dict[str, str],
    errors: dict[str, Text],
    message: Text | None = None,
    *,
    revision: ProductRevision | None = None,
    stock: StockView | None = None,
) -> dict[str, Any]:
    return {
        "revision": revision,
        "stock": stock,
        "product": product,
        "values": values,
        "errors": errors,
        "message": message,
        "conditions": CONDITIONS,
        "labels": STATE_LABELS,
        "taxonomy": load_taxonomy(),
        "marketplace": marketplace_form(load_taxonomy(), values),
    }


async def new_product_page(request: web.Request) -> web.StreamResponse:
    await require_user(request, Role.COMPANY)
    return await render(
        request,
        "company/product_form.html",
        _form_context(None, product_form_values(None), {}),
    )


async def read_uploads(request: web.Request, form: Any) -> list[CheckedImage]:
    """Check every file uploaded as ``images``; ``ValidationFailed`` if one is bad.

    Decoding runs off the event loop, bounded by the app's ``CPU_WORK``; call
    it only after the product's owner is checked.
    """
    web_settings = request.app[SETTINGS].web
    uploads = [
        item
        for item in form.getall("images", [])
        if isinstance(item, web.FileField) and item.filename
    ]
    check_image_count(0, len(uploads))
    cpu = request.app[CPU_WORK]
    return [
        await cpu.run(
            check_image_file,
            item.file,
            max_bytes=web_settings.upload_max_bytes,
            max_pixels=web_settings.upload_max_pixels,
        )
        for item in uploads
    ]


def _merge_errors(
    values: dict[str, str], images: list[CheckedImage] | Exception
) -> Any:
    """Validate the fields and combine their errors with the upload's."""
    errors: dict[str, Text] = {}
    fields = None
    try:
        fields = clean_product(values)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if isinstance(images, ValidationFailed):
        errors.update(images.fields)
    if errors:
        raise ValidationFailed(errors)
    return fields


async def _fields_and_images(request: web.Request) -> tuple[dict[str, str], Any, Any]:
    form = await request.post()
    values = form_values(form)
    collect_form_inputs(values, load_taxonomy())
    images: list[CheckedImage] | ValidationFailed
    try:
        images = await read_uploads(request, form)
    except ValidationFailed as exc:
        images = exc
    return values, form, images


async def create_product_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values, _, images = await _fields_and_images(request)
    if values.get("action") == "refresh":
        # No JavaScript: show the fields the chosen category and product
        # type ask for, without saving.
        return await render(
            request, "company/product_form.html", _form_context(None, values, {})
        )
    store = image_store(request)
    names: list[str] = []
    try:
        fields = _merge_errors(values, images)
        async with request.app[SESSIONS].begin() as db:
            company = await db.get(Company, user.company_id)
            if company is None:
                raise NotFound()
            product = await create_product(
                db, company=company, actor=user, fields=fields
            )
            names = await add_images(
                db, product, actor=user, store=store, images=images
            )
            if values.get("action") == "submit":
                await submit_product(db, product, actor=user)
    except ValidationFailed as exc:
        store.discard(names)
        return await render(
            request,
            "company/product_form.html",
            _form_context(None, values, exc.fields),
            status=400,
        )
    except BaseException:
        store.discard(names)
        raise
    raise web.HTTPSeeOther(f"/company/products/{product.id}?saved=1")


async def _edit_state(
    request: web.Request, db: Any, product: Product
) -> tuple[ProductRevision | None, StockView]:
    revision = await pending_revision(db, product.id)
    company = await db.get(Company, product.company_id)
    return revision, stock_view(product, company, default_buffer(request.app))


async def edit_product_page(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    async with request.app[SESSIONS]() as db:
        product = await get_product_for(db, user, _product_id(request))
        revision, stock = await _edit_state(request, db, product)
    values = product_form_values(product, revision.content if revision else None)
    values |= {"version": str(product.version), "quantity_seen": str(product.quantity)}
    context = _form_context(product, values, {}, revision=revision, stock=stock)
    return await render(request, "company/product_form.html", context)


def _form_operations(values: dict[str, str]) -> dict[str, Any]:
    """The stock, price and buffer inputs of the form, validated. On hand is
    set only if the company changed the number the form showed: a shipment
    since must not be undone by saving an unrelated field."""
    given = {name: values.get(name, "") for name in OPERATION_INPUTS}
    if given["quantity"].strip() == values.get("quantity_seen", "").strip():
        del given["quantity"]
    return clean_operations(given)


async def update_product_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    async with request.app[SESSIONS]() as db:
        # The owner first: a stranger's upload is never decoded.
        await get_product_for(db, user, _product_id(request))
    values, _, images = await _fields_and_images(request)
    if values.get("action") == "refresh":
        async with request.app[SESSIONS]() as db:
            shown = await get_product_for(db, user, _product_id(request))
            revision, stock = await _edit_state(request, db, shown)
        context = _form_context(shown, values, {}, revision=revision, stock=stock)
        return await render(request, "company/product_form.html", context)
    store = image_store(request)
    names: list[str] = []
    product: Product | None = None
    try:
        async with request.app[SESSIONS].begin() as db:
            product = await get_product_for(db, user, _product_id(request))
            fields = _merge_errors(values, images)
            await update_product(
                db,
                product,
                actor=user,
                fields=fields,
                expected_version=_version(values),
                operations=_form_operations(values),
            )
            names = await add_images(
                db, product, actor=user, store=store, images=images
            )
            if values.get("action") == "submit":
                await submit_product(db, product, actor=user)
    except (ValidationFailed, Conflict) as exc:
        store.discard(names)
        if product is None:
            raise
        # The rollback expired the instance: show the stored state afresh.
        async with request.app[SESSIONS]() as db:
            product = await get_product_for(db, user, _product_id(request))
            revision, stock = await _edit_state(request, db, product)
        context = _form_context(
            product, values, exc.fields, exc.message, revision=revision, stock=stock
        )
        return await render(
            request, "company/product_form.html", context, status=exc.status
        )
    except BaseException:
        store.discard(names)
        raise
    raise web.HTTPSeeOther(f"/company/products/{product.id}?saved=1")


async def product_detail(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    async with request.app[SESSIONS]() as db:
        product = await get_product_for(db, user, _product_id(request))
        history = await product_history(db, product.id)
        actors = await actor_names(db, history)
        revision = await latest_revision(db, product.id)
        _, stock = await _edit_state(request, db, product)
    return await render(
        request,
        "company/product_detail.html",
        {
            "revision": revision,
            "changes": revision_changes(product, revision) if revision else [],
            "stock": stock,
            "product": product,
            "history": history,
            "actors": actors,
            "labels": STATE_LABELS,
            "saved": bool(request.query.get("saved")),
        },
    )


async def actor_names(db: Any, history: list[Any]) -> dict[int, str]:
    """E-mail addresses of the users in an audit trail, by id."""
    ids = {e.actor_user_id for e in history if e.actor_user_id is not None}
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {uid: email for uid, email in rows}


async def submit_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values = form_values(await request.post())
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        await submit_product(db, product, actor=user, expected_version=_version(values))
    raise web.HTTPSeeOther(f"/company/products/{product.id}")


async def withdraw_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values = form_values(await request.post())
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        await withdraw_product(
            db, product, actor=user, expected_version=_version(values)
        )
    raise web.HTTPSeeOther(f"/company/products/{product.id}")


async def delete_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values = form_values(await request.post())
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        names = [img.stored_name for img in product.images]
        await delete_product(db, product, actor=user, expected_version=_version(values))
    image_store(request).discard(names)
    raise web.HTTPSeeOther("/company")


async def image_delete_submit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values = form_values(await request.post())
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        name = await remove_image(
            db,
            product,
            actor=user,
            image_id=parse_id(request.match_info["image_id"]),
            expected_version=_version(values),
        )
    if name is not None:
        image_store(request).discard([name])
    raise web.HTTPSeeOther(f"/company/products/{product.id}/edit")


async def revision_withdraw(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values = form_values(await request.post())
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        names = await withdraw_revision(
            db, product, actor=user, expected_version=_version(values)
        )
    image_store(request).discard(names)
    raise web.HTTPSeeOther(f"/company/products/{product.id}")


async def revision_image_delete(request: web.Request) -> web.StreamResponse:
    user = await require_user(request, Role.COMPANY)
    values = form_values(await request.post())
    async with request.app[SESSIONS].begin() as db:
        product = await get_product_for(db, user, _product_id(request))
        check_version(product, _version(values))
        name = await remove_revision_image(
            db, product, actor=user, image_id=parse_id(request.match_info["image_id"])
        )
    image_store(request).discard([name])
    raise web.HTTPSeeOther(f"/company/products/{product.id}/edit")


def _search(request: web.Request) -> tuple[str, str, list[SearchHit]]:
    kind = request.query.get("kind", "category")
    query = request.query.get("q", "")[:100]
    taxonomy = load_taxonomy()
    if kind == "product_type":
        return kind, query, taxonomy.search_product_types(query)
    return "category", query, taxonomy.search_categories(query)


async def taxonomy_search_json(request: web.Request) -> web.StreamResponse:
    """Categories (``kind=category``) or Amazon product types
    (``kind=product_type``) matching every word of ``q``, Korean or English."""
    await require_user(request, Role.COMPANY, Role.STAFF, Role.ADMIN)
    kind, query, hits = _search(request)
    return web.json_response(
        {
            "kind": kind,
            "q": query,
            "results": [
                {"value": h.value, "label_ko": h.label.ko, "label_en": h.label.en}
                for h in hits
            ],
        }
    )


async def taxonomy_search_page(request: web.Request) -> web.StreamResponse:
    """The same search as a page, for browsers without JavaScript."""
    await require_user(request, Role.COMPANY, Role.STAFF, Role.ADMIN)
    kind, query, hits = _search(request)
    return await render(
        request,
        "company/taxonomy_search.html",
        {"kind": kind, "q": query, "hits": hits if query else []},
    )


async def media(request: web.Request) -> web.StreamResponse:
    """An uploaded image, to its company and staff only, never as script."""
    user = await load_user(request)
    if user is None:
        raise NotFound()
    name = request.match_info["name"]
    async with request.app[SESSIONS]() as db:
        row = await db.execute(
            select(ProductImage.content_type, Product.company_id)
            .join(Product, Product.id == ProductImage.product_id)
            .where(ProductImage.stored_name == name)
        )
        found = row.first()
        if found is None:
            # An image uploaded with a pending revision, not yet live.
            row = await db.execute(
                select(RevisionImage.content_type, Product.company_id)
                .join(ProductRevision, ProductRevision.id == RevisionImage.revision_id)
                .join(Product, Product.id == ProductRevision.product_id)
                .where(RevisionImage.stored_name == name)
            )
            found = row.first()
    if found is None or not (user.is_staff or user.company_id == found.company_id):
        raise NotFound()
    path = image_store(request).path_of(name)
    if not path.is_file():
        raise NotFound()
    return web.FileResponse(
        path,
        headers={
            "Content-Type": found.content_type,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
