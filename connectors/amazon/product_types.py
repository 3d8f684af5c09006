"""Product type definitions: fetched once, cached by version and checksum.

A definition (``getDefinitionsProductType``) links a schema document valid for
7 days. Definitions are cached per (product type, marketplace, seller) for
``ttl_seconds``; schema documents are cached by their checksum, so a refreshed
definition with an unchanged schema reuses the compiled validator. Concurrent
callers needing the same definition wait for one fetch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.amazon.schema import (
    ProductTypeValidator,
    attribute_issues,
    compile_schema,
    enum_values,
)
from connectors.amazon.transport import AmazonTransport, SellerSession
from connectors.transport import SingleFlight
from export_hub.errors import MarketplaceIssue, NeedsHumanError

#: Hangul syllables and jamo: never in English marketplace content.
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
ENGLISH_MARKETPLACES = frozenset({"ATVPDKIKX0DER", "A1F83G8C2ARO7P", "A2EUQ1WTGCTBG2"})


@dataclass(frozen=True)
class ProductTypeDefinition:
    product_type: str
    marketplace_id: str
    version: str
    checksum: str
    schema: Mapping[str, Any]
    validator: ProductTypeValidator
    #: The seller the schema was tailored to (brand values), if any.
    seller_id: str | None = None

    def issues(self, attributes: Mapping[str, Any]) -> list[MarketplaceIssue]:
        """Schema violations plus Hangul in English content (pre-flight)."""
        found = attribute_issues(self.validator, attributes)
        if self.marketplace_id in ENGLISH_MARKETPLACES:
            found.extend(_hangul_issues(attributes))
        return found

    @property
    def brands(self) -> list[str]:
        """The brands a seller-specific schema lists for ``brand``."""
        return enum_values(self.schema.get("properties", {}).get("brand", {}))


def _hangul_issues(attributes: Mapping[str, Any]) -> list[MarketplaceIssue]:
    return [
        MarketplaceIssue(
            code="HANGUL_IN_CONTENT",
            message=f"'{name}' contains Korean text; this marketplace needs English.",
            attribute_names=(name,),
            categories=("INVALID_ATTRIBUTE",),
        )
        for name, value in attributes.items()
        if HANGUL.search(json.dumps(value, ensure_ascii=False))
    ]


def checksum_matches(document: bytes, checksum: str) -> bool:
    """Whether ``checksum`` is the document's MD5, as Base64 (the model's text)
    or as a hex digest (the model's example shows one)."""
    digest = hashlib.md5(document, usedforsecurity=False).digest()
    given = checksum.strip()
    return given == base64.b64encode(digest).decode() or given.lower() == digest.hex()


class SchemaChecksumMismatch(NeedsHumanError):
    """The schema document Amazon linked does not match the definition's
    checksum. Only listings of that product type are held back; a person must
    look (a retry would download the same document)."""

    def __init__(self, product_type: str, seller_id: str, checksum: str):
        self.product_type = product_type
        message = (
            f"상품 유형 {product_type}의 스키마 문서가 체크섬({checksum})과 맞지 "
            f"않습니다(판매자 {seller_id}). 이 상품 유형의 등록을 보류했습니다. / "
            f"The schema document of product type {product_type} does not match "
            f"its checksum {checksum} (seller {seller_id}); listings of this "
            f"product type are held until someone checks."
        )
        super().__init__(
            message,
            marketplace="amazon",
            operation="downloadSchema",
            seller_id=seller_id,
            code="SCHEMA_CHECKSUM_MISMATCH",
            issues=(
                MarketplaceIssue(
                    code="SCHEMA_CHECKSUM_MISMATCH",
                    message=message,
                    categories=("PRODUCT_TYPE",),
                ),
            ),
        )


class ProductTypeCache:
    """Shared by every seller's connector in a process."""

    def __init__(
        self,
        ttl_seconds: float = 24 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ttl = ttl_seconds
        self._clock = clock
        self._definitions: dict[
            tuple[str, str, str], tuple[float, ProductTypeDefinition]
        ] = {}
        self._validators: dict[str, tuple[Mapping[str, Any], ProductTypeValidator]] = {}
        self._flights: SingleFlight[ProductTypeDefinition] = SingleFlight()
        #: Schema documents downloaded (for tests and metrics).
        self.downloads = 0

    async def get(
        self,
        transport: AmazonTransport,
        session: SellerSession,
        product_type: str,
        *,
        seller_specific: bool = False,
    ) -> ProductTypeDefinition:
        """The current definition; raises the marketplace errors of the calls."""
        account = session.account
        seller = account.seller_id if seller_specific else ""
        key = (product_type, account.marketplace_id, seller)
        cached = self._definitions.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]

        async def fetch() -> ProductTypeDefinition:
            definition = await self._fetch(transport, session, product_type, seller)
            self._definitions[key] = (self._clock() + self._ttl, definition)
            return definition

        return await self._flights.run("/".join(key), fetch)

    async def _fetch(
        self,
        transport: AmazonTransport,
        session: SellerSession,
        product_type: str,
        seller: str,
    ) -> ProductTypeDefinition:
        account = session.account
        params: dict[str, Any] = {
            "marketplaceIds": [account.marketplace_id],
            "requirements": "LISTING",
            "locale": "DEFAULT",
        }
        if seller:
            params["sellerId"] = seller
        response = await transport.call(
            "getDefinitionsProductType",
            session,
            lambda: session.definitions.get_definitions_product_type(
                product_type, **params
            ),
        )
        payload = response.payload
        checksum = str(payload["schema"]["checksum"])
        found = self._validators.get(checksum)
        if found is None:
            schema = await self._download(
                transport,
                session,
                payload["schema"]["link"]["resource"],
                checksum,
                product_type,
            )
            found = self._validators[checksum] = (schema, compile_schema(schema))
        return ProductTypeDefinition(
            product_type=product_type,
            marketplace_id=account.marketplace_id,
            version=str(payload.get("productTypeVersion", {}).get("version", "")),
            checksum=checksum,
            schema=found[0],
            validator=found[1],
            seller_id=seller or None,
        )

    async def _download(
        self,
        transport: AmazonTransport,
        session: SellerSession,
        url: str,
        checksum: str,
        product_type: str,
    ) -> dict[str, Any]:
        account = session.account

        async def fetch() -> bytes:
            response = await session.http.get(url)
            if response.status_code >= 400:
                return b""  # the transport raises for the recorded status
            document = response.content
            if not checksum_matches(document, checksum):
                raise SchemaChecksumMismatch(product_type, account.seller_id, checksum)
            return document

        document = await transport.call("downloadSchema", session, fetch)
        self.downloads += 1
        schema: dict[str, Any] = json.loads(document)
        return schema
