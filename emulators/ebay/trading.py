"""Trading API (XML) on ``/ws/api.dll``: GetMyeBaySelling, GetSellerList,
GetItem and ReviseInventoryStatus, answering ``<{CallName}Response>`` with
``Ack`` and eBay's ``Errors`` elements."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from aiohttp import web

from emulators.ebay.common import STATE, bearer_seller, over_limits
from emulators.ebay.state import EmulatorState, LegacyItem, Seller

NS = "urn:ebay:apis:eBLBaseComponents"
Q = f"{{{NS}}}"
SITE_CURRENCY = {"0": "USD", "3": "GBP", "77": "EUR", "15": "AUD"}


@dataclass
class TradingError:
    code: int
    short: str
    long: str
    severity: str = "Error"
    params: tuple[str, ...] = ()


def setup(app: web.Application) -> None:
    app.router.add_post("/ws/api.dll", api_dll)


def _el(
    parent: ET.Element, tag: str, text: object | None = None, **attrs: str
) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = str(text)
    return child


def _respond(
    call: str,
    errors: list[TradingError],
    fill: Callable[[ET.Element], None] | None,
    *,
    partial: bool = False,
) -> web.Response:
    root = ET.Element(f"{call}Response", {"xmlns": NS})
    _el(root, "Timestamp", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    failing = any(e.severity == "Error" for e in errors)
    ack = (
        "PartialFailure"
        if partial and failing
        else ("Failure" if failing else ("Warning" if errors else "Success"))
    )
    _el(root, "Ack", ack)
    for err in errors:
        node = _el(root, "Errors")
        _el(node, "ShortMessage", err.short)
        _el(node, "LongMessage", err.long)
        _el(node, "ErrorCode", err.code)
        _el(node, "SeverityCode", err.severity)
        for index, value in enumerate(err.params):
            _el(_el(node, "ErrorParameters", ParamID=str(index)), "Value", value)
        _el(node, "ErrorClassification", "RequestError")
    _el(root, "Version", "1331")
    _el(root, "Build", "E1331_EMULATOR")
    if fill is not None and ack != "Failure":
        fill(root)
    body = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root)
    return web.Response(body=body, content_type="text/xml")


def _text(node: ET.Element | None, path: str, default: str = "") -> str:
    found = _find(node, path) if node is not None else None
    return found.text.strip() if found is not None and found.text else default


def _find(node: ET.Element, path: str) -> ET.Element | None:
    return node.find("/".join(Q + part for part in path.split("/")))


async def api_dll(request: web.Request) -> web.Response:
    state = request.app[STATE]
    call = request.headers.get("X-EBAY-API-CALL-NAME", "")
    if not call:
        return web.Response(status=400, text="missing X-EBAY-API-CALL-NAME")
    if request.headers.get("X-EBAY-API-APP-NAME") != state.config.client_id:
        return _respond(
            call,
            [
                TradingError(
                    10007,
                    "Internal error to the application.",
                    "Application id is not valid.",
                )
            ],
            None,
        )
    seller = bearer_seller(state, request.headers.get("X-EBAY-API-IAF-TOKEN", ""))
    if seller == "expired":
        return _respond(
            call,
            [
                TradingError(
                    21917053, "Expired IAF token.", "IAF token supplied is expired."
                )
            ],
            None,
        )
    if not isinstance(seller, Seller):
        return _respond(
            call,
            [
                TradingError(
                    931,
                    "Auth token is invalid.",
                    "Validation of the authentication token in API request failed.",
                )
            ],
            None,
        )
    if over_limits(state, seller.username, "trading"):
        return _respond(
            call,
            [
                TradingError(
                    518,
                    "Call usage limit has been reached.",
                    "Your application has exceeded usage limit on this call.",
                )
            ],
            None,
        )
    raw = await request.read()
    try:
        root = ET.fromstring(raw)  # noqa: S314 - local test clients only
    except ET.ParseError:
        return _respond(
            call, [TradingError(5, "XML Parse error.", "XML Error Text.")], None
        )
    if root.tag != f"{Q}{call}Request":
        return _respond(
            call,
            [
                TradingError(
                    2,
                    "Unsupported verb.",
                    "The API call name in the header does not match the request.",
                )
            ],
            None,
        )
    site = request.headers.get("X-EBAY-API-SITEID", "0")
    state.log.append(("POST", f"/ws/api.dll#{call}", seller.username, raw))
    handler = CALLS.get(call)
    if handler is None:
        return _respond(
            call,
            [
                TradingError(
                    2, "Unsupported API call.", f"The API call {call} is not supported."
                )
            ],
            None,
        )
    return handler(state, seller, root, site)


def _active(seller: Seller) -> list[LegacyItem]:
    return sorted(
        (i for i in seller.legacy.values() if i.status == "Active"),
        key=lambda i: i.item_id,
    )


def _page(root: ET.Element, container: str) -> tuple[int, int]:
    pagination = _find(root, f"{container}/Pagination" if container else "Pagination")
    per_page = int(_text(pagination, "EntriesPerPage", "25") or 25)
    number = int(_text(pagination, "PageNumber", "1") or 1)
    return max(1, min(per_page, 200)), max(1, number)


def _item_summary(parent: ET.Element, item: LegacyItem) -> None:
    node = _el(parent, "Item")
    _el(node, "ItemID", item.item_id)
    _el(node, "Title", item.title)
    if item.sku:
        _el(node, "SKU", item.sku)
    _el(node, "ListingType", item.listing_type)
    _el(node, "Quantity", item.quantity)
    _el(node, "QuantityAvailable", item.quantity)
    status = _el(node, "SellingStatus")
    _el(status, "CurrentPrice", item.price, currencyID=item.currency)
    _el(status, "ListingStatus", item.status)
    _el(status, "QuantitySold", 0)


def get_my_ebay_selling(
    state: EmulatorState, seller: Seller, root: ET.Element, site: str
) -> web.Response:
    per_page, number = _page(root, "ActiveList")
    items = _active(seller)
    pages = max(1, math.ceil(len(items) / per_page))

    def fill(resp: ET.Element) -> None:
        active = _el(resp, "ActiveList")
        array = _el(active, "ItemArray")
        for item in items[(number - 1) * per_page : number * per_page]:
            _item_summary(array, item)
        result = _el(active, "PaginationResult")
        _el(result, "TotalNumberOfPages", pages)
        _el(result, "TotalNumberOfEntries", len(items))

    return _respond("GetMyeBaySelling", [], fill)


def get_seller_list(
    state: EmulatorState, seller: Seller, root: ET.Element, site: str
) -> web.Response:
    per_page, number = _page(root, "")
    items = sorted(seller.legacy.values(), key=lambda i: i.item_id)
    pages = max(1, math.ceil(len(items) / per_page))

    def fill(resp: ET.Element) -> None:
        result = _el(resp, "PaginationResult")
        _el(result, "TotalNumberOfPages", pages)
        _el(result, "TotalNumberOfEntries", len(items))
        _el(resp, "HasMoreItems", "true" if number < pages else "false")
        array = _el(resp, "ItemArray")
        for item in items[(number - 1) * per_page : number * per_page]:
            _item_summary(array, item)
        _el(resp, "PageNumber", number)

    return _respond("GetSellerList", [], fill)


def get_item(
    state: EmulatorState, seller: Seller, root: ET.Element, site: str
) -> web.Response:
    item = seller.legacy.get(_text(root, "ItemID"))
    if item is None:
        return _respond(
            "GetItem",
            [
                TradingError(
                    17,
                    "This item cannot be accessed because the listing has been deleted "
                    "or you are "
                    "not the seller.",
                    "This item cannot be accessed because the listing has been "
                    "deleted, is a Half.com listing, or you are not the seller.",
                    params=(_text(root, "ItemID"),),
                )
            ],
            None,
        )

    def fill(resp: ET.Element) -> None:
        node = _el(resp, "Item")
        _el(node, "ItemID", item.item_id)
        _el(node, "Title", item.title)
        if item.sku:
            _el(node, "SKU", item.sku)
        _el(node, "Country", "KR")
        _el(node, "Location", "Daejeon")
        _el(node, "Site", item.site)
        _el(node, "ListingType", item.listing_type)
        _el(node, "Quantity", item.quantity)
        _el(node, "StartPrice", item.price, currencyID=item.currency)
        _el(_el(node, "PrimaryCategory"), "CategoryID", item.category_id)
        status = _el(node, "SellingStatus")
        _el(status, "CurrentPrice", item.price, currencyID=item.currency)
        _el(status, "ListingStatus", item.status)
        _el(status, "QuantitySold", 0)
        if item.business_policies:
            _el(
                _el(_el(node, "SellerProfiles"), "SellerShippingProfile"),
                "ShippingProfileID",
                "1",
            )

    return _respond("GetItem", [], fill)


def revise_inventory_status(
    state: EmulatorState, seller: Seller, root: ET.Element, site: str
) -> web.Response:
    entries = root.findall(f"{Q}InventoryStatus")
    limit = state.config.max_revise_inventory_status
    if not entries or len(entries) > limit:
        return _respond(
            "ReviseInventoryStatus",
            [
                TradingError(
                    37,
                    "Input data is invalid.",
                    f"Input data for tag <InventoryStatus> is invalid or "
                    f"missing: 1 to {limit} are allowed.",
                    params=("InventoryStatus",),
                )
            ],
            None,
        )
    errors: list[TradingError] = []
    done: list[LegacyItem] = []
    for entry in entries:
        problem = _revise(seller, entry, site)
        if isinstance(problem, TradingError):
            errors.append(problem)
        else:
            done.append(problem)

    def fill(resp: ET.Element) -> None:
        for item in done:
            node = _el(resp, "InventoryStatus")
            _el(node, "ItemID", item.item_id)
            if item.sku:
                _el(node, "SKU", item.sku)
            _el(node, "StartPrice", item.price)
            _el(node, "Quantity", item.quantity)

    return _respond("ReviseInventoryStatus", errors, fill, partial=bool(done))


def _revise(seller: Seller, entry: ET.Element, site: str) -> TradingError | LegacyItem:
    item_id = _text(entry, "ItemID")
    item = seller.legacy.get(item_id)
    if item is None:
        return TradingError(
            17,
            "This item cannot be accessed.",
            "The item does not exist or you are not the seller.",
            params=(item_id,),
        )
    if item.status != "Active":
        return TradingError(
            21916750,
            "FixedPrice item ended.",
            "You are not allowed to revise an ended item.",
            params=(item_id,),
        )
    if item.migrated:
        return TradingError(
            21919474,
            "Inventory-based listing management is not supported.",
            "This listing is managed through the Inventory API.",
            params=(item_id,),
        )
    price, quantity = _text(entry, "StartPrice"), _text(entry, "Quantity")
    try:
        if price and Decimal(price) <= 0:
            raise InvalidOperation
    except InvalidOperation:
        return TradingError(
            37,
            "Input data is invalid.",
            f"Input data for tag <StartPrice> is invalid: {price}.",
            params=(item_id, "StartPrice"),
        )
    if quantity and (not quantity.isdigit()):
        return TradingError(
            37,
            "Input data is invalid.",
            f"Input data for tag <Quantity> is invalid: {quantity}.",
            params=(item_id, "Quantity"),
        )
    if price:
        item.price = f"{Decimal(price):.2f}"
    if quantity:
        item.quantity = int(quantity)
    item.revisions += 1
    return item


def end_fixed_price_item(
    state: EmulatorState, seller: Seller, root: ET.Element, site: str
) -> web.Response:
    item = seller.legacy.get(_text(root, "ItemID"))
    if item is None:
        return _respond(
            "EndFixedPriceItem",
            [
                TradingError(
                    17,
                    "This item cannot be accessed.",
                    "The item does not exist or you are not the seller.",
                    params=(_text(root, "ItemID"),),
                )
            ],
            None,
        )
    if item.status != "Active":
        return _respond(
            "EndFixedPriceItem",
            [
                TradingError(
                    1047,
                    "Auction already closed.",
                    "The auction has already been closed.",
                    params=(item.item_id,),
                )
            ],
            None,
        )
    if item.migrated:
        return _respond(
            "EndFixedPriceItem",
            [
                TradingError(
                    21919474,
                    "Inventory-based listing management is not supported.",
                    "This listing is managed through the Inventory API.",
                    params=(item.item_id,),
                )
            ],
            None,
        )
    item.status = "Ended"

    def fill(resp: ET.Element) -> None:
        _el(resp, "EndTime", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"))

    return _respond("EndFixedPriceItem", [], fill)


CALLS = {
    "GetMyeBaySelling": get_my_ebay_selling,
    "GetSellerList": get_seller_list,
    "GetItem": get_item,
    "ReviseInventoryStatus": revise_inventory_status,
    "EndFixedPriceItem": end_fixed_price_item,
}
